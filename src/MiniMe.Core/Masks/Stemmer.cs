namespace MiniMe.Masks;

/// <summary>
/// A deliberately light suffix stemmer. Applied to both lexicon terms and input words, so it only
/// has to be consistent, not linguistically right: "migrations", "migrating", "migrated" and
/// "migrate" all become "migrat".
/// </summary>
internal static class Stemmer
{
    public static string Stem(string word)
    {
        var w = word;
        if (w.Length <= 3)
        {
            return w;
        }

        // Plurals.
        if (w.EndsWith("ies", StringComparison.Ordinal) && w.Length > 4)
        {
            w = w[..^3] + "y";
        }
        else if (w.EndsWith("sses", StringComparison.Ordinal))
        {
            w = w[..^2];
        }
        else if (w.EndsWith('s') && !w.EndsWith("ss", StringComparison.Ordinal)
                 && !w.EndsWith("us", StringComparison.Ordinal) && !w.EndsWith("is", StringComparison.Ordinal))
        {
            w = w[..^1];
        }

        // One derivational / inflectional suffix.
        if (w.EndsWith("ing", StringComparison.Ordinal) && w.Length > 5)
        {
            w = Undouble(w[..^3]);
        }
        else if (w.EndsWith("ed", StringComparison.Ordinal) && w.Length > 5)
        {
            w = Undouble(w[..^2]);
        }
        else if (w.EndsWith("ion", StringComparison.Ordinal) && w.Length >= 7)
        {
            w = w[..^3];
            if (w.EndsWith("izat", StringComparison.Ordinal))
            {
                w = w[..^2];
            }
        }
        else if (w.EndsWith("ment", StringComparison.Ordinal) && w.Length >= 9)
        {
            w = w[..^4];
        }

        // Trailing silent e: cache/caching, migrate/migrating.
        if (w.Length > 4 && w.EndsWith('e'))
        {
            w = w[..^1];
        }

        return w;
    }

    private static string Undouble(string w)
    {
        if (w.Length >= 3 && w[^1] == w[^2] && w[^1] is not ('s' or 'l' or 'z') && !IsVowel(w[^1]))
        {
            return w[..^1];
        }

        return w;
    }

    private static bool IsVowel(char c) => c is 'a' or 'e' or 'i' or 'o' or 'u';
}
