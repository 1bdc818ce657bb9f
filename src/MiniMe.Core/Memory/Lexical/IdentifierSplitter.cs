namespace MiniMe.Memory.Lexical;

/// <summary>
/// Splits code identifiers into words: "SqliteMemoryStore" -> sqlite, memory, store;
/// "max_file_bytes" -> max, file, bytes; "HTTPClient2Factory" -> http, client, 2, factory.
/// </summary>
public static class IdentifierSplitter
{
    public static List<string> Split(ReadOnlySpan<char> identifier)
    {
        var parts = new List<string>(4);
        Walk(identifier, parts);
        return parts;
    }

    /// <summary>True when the token splits into more than one word.</summary>
    public static bool IsCompound(ReadOnlySpan<char> token) => Walk(token, null) > 1;

    /// <summary>Counts the words of <paramref name="s"/>, adding them (lower-cased) to <paramref name="parts"/> when given.</summary>
    private static int Walk(ReadOnlySpan<char> s, List<string>? parts)
    {
        var count = 0;
        var start = -1;
        for (var i = 0; i <= s.Length; i++)
        {
            var end = i == s.Length || !char.IsLetterOrDigit(s[i]) || (start >= 0 && IsBoundary(s, i));
            if (end && start >= 0)
            {
                count++;
                parts?.Add(s[start..i].ToString().ToLowerInvariant());
                start = -1;
            }
            if (i < s.Length && char.IsLetterOrDigit(s[i]) && start < 0) start = i;
        }
        return count;
    }

    private static bool IsBoundary(ReadOnlySpan<char> s, int i)
    {
        var previous = s[i - 1];
        var c = s[i];
        if (!char.IsLetterOrDigit(previous)) return false;
        return (char.IsLower(previous) && char.IsUpper(c))
            || (char.IsLetter(previous) && char.IsDigit(c))
            || (char.IsDigit(previous) && char.IsLetter(c))
            // "HTTPClient": the boundary is before the last capital of a run ("HTTP" + "Client").
            || (char.IsUpper(previous) && char.IsUpper(c) && i + 1 < s.Length && char.IsLower(s[i + 1]));
    }
}
