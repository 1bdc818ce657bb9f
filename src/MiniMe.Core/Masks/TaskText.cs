using System.Text;

namespace MiniMe.Masks;

/// <summary>
/// Word-level view of a task or document: lowercase stemmed words in order (camelCase, snake_case,
/// kebab-case and punctuation split apart) plus the whole lowercase form of compound identifiers
/// ("OAuth" gives "o", "auth" and "oauth").
/// </summary>
internal sealed class TaskText
{
    private TaskText(IReadOnlyList<string> words, IReadOnlyList<string> compounds, int rawWordCount)
    {
        Words = words;
        Compounds = compounds;
        RawWordCount = rawWordCount;
    }

    /// <summary>Stemmed word parts, in order (used for phrases).</summary>
    public IReadOnlyList<string> Words { get; }

    /// <summary>Stemmed whole forms of identifiers that were split into several parts.</summary>
    public IReadOnlyList<string> Compounds { get; }

    /// <summary>Number of whitespace/punctuation separated words before identifier splitting.</summary>
    public int RawWordCount { get; }

    public static TaskText Parse(string text, int maxChars)
    {
        var span = text.AsSpan(0, Math.Min(text.Length, maxChars));
        var words = new List<string>();
        var compounds = new List<string>();
        var raw = 0;
        var i = 0;
        while (i < span.Length)
        {
            if (!char.IsLetterOrDigit(span[i]))
            {
                i++;
                continue;
            }

            var start = i;
            while (i < span.Length && char.IsLetterOrDigit(span[i]))
            {
                i++;
            }

            raw++;
            var token = span[start..i];
            var parts = SplitCamel(token);
            foreach (var p in parts)
            {
                words.Add(Stemmer.Stem(p));
            }

            if (parts.Count > 1)
            {
                compounds.Add(Stemmer.Stem(token.ToString().ToLowerInvariant()));
            }
        }

        return new TaskText(words, compounds, raw);
    }

    /// <summary>Splits "getHTTPResponse" into get, http, response (lowercased).</summary>
    private static List<string> SplitCamel(ReadOnlySpan<char> token)
    {
        var parts = new List<string>(2);
        var sb = new StringBuilder();
        for (var k = 0; k < token.Length; k++)
        {
            var c = token[k];
            var boundary = k > 0 && char.IsUpper(c) &&
                           (char.IsLower(token[k - 1]) ||
                            (char.IsUpper(token[k - 1]) && k + 1 < token.Length && char.IsLower(token[k + 1])));
            if (boundary && sb.Length > 0)
            {
                parts.Add(sb.ToString());
                sb.Clear();
            }

            sb.Append(char.ToLowerInvariant(c));
        }

        if (sb.Length > 0)
        {
            parts.Add(sb.ToString());
        }

        return parts;
    }
}
