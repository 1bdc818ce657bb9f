using System.Text;

namespace MiniMe.Memory.Lexical;

/// <summary>
/// Turns free text into a safe FTS5 match expression: every term is a quoted string (no FTS syntax
/// from the user survives), stopwords are dropped, and code identifiers also match their parts
/// as a phrase ("HttpClientFactory" OR "http client factory").
/// </summary>
public static class FtsQueryBuilder
{
    public const int MaxTerms = 32;

    /// <returns>The expression, or null when the text has no searchable word.</returns>
    public static string? Build(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var terms = new List<string>();
        var fallback = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (start, length) in Tokens.Find(text))
        {
            var raw = text.AsSpan(start, length);
            var lower = raw.ToString().ToLowerInvariant();
            if (lower.Length == 1 && !char.IsDigit(lower[0])) continue;
            if (Stopwords.Contains(lower))
            {
                if (seen.Add(lower)) fallback.Add(Quote(lower));
                continue;
            }
            if (seen.Add(lower)) terms.Add(Quote(lower));
            if (IdentifierSplitter.IsCompound(raw))
            {
                var phrase = string.Join(' ', IdentifierSplitter.Split(raw));
                if (seen.Add(phrase)) terms.Add(Quote(phrase));
            }
            if (terms.Count >= MaxTerms) break;
        }
        // A query made only of stopwords ("how to") still searches for them rather than failing.
        var chosen = terms.Count > 0 ? terms : fallback;
        return chosen.Count == 0 ? null : string.Join(" OR ", chosen);
    }

    private static string Quote(string term) => "\"" + term.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
