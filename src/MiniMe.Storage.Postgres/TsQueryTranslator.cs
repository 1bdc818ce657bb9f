using System.Text;

namespace MiniMe.Storage.Postgres;

/// <summary>
/// Translates the FTS5-style match expression the retriever builds ("term" OR "two words" OR ...)
/// into tsquery text for <c>to_tsquery</c>: each quoted string becomes a phrase of single-quoted
/// words joined by &lt;-&gt;, and the phrases are OR-ed. Anything outside quotes is read as plain
/// words (FTS5 operators AND, OR, NOT, NEAR are dropped), so any input yields a valid query: words
/// hold only letters and digits after <see cref="SearchText"/>, which leaves no tsquery syntax to inject.
/// The result is still passed as a parameter, never spliced into SQL.
/// </summary>
internal static class TsQueryTranslator
{
    public const int MaxPhrases = 64;
    public const int MaxWordsPerPhrase = 16;
    /// <summary>PostgreSQL rejects query words of 2 KiB or more; no indexed word is that long either.</summary>
    private const int MaxWordBytes = 2046;

    private static readonly HashSet<string> Operators = new(StringComparer.Ordinal) { "AND", "OR", "NOT", "NEAR" };

    /// <returns>The tsquery text, or null when the expression holds no searchable word.</returns>
    public static string? Translate(string matchExpression)
    {
        var phrases = Phrases(matchExpression);
        return phrases.Count == 0 ? null : ToTsQuery(phrases);
    }

    /// <summary>
    /// The phrases of the expression, each its words in order: what FTS5 scores one by one in bm25().
    /// A phrase given twice stays twice ("api-key" OR "api key" are one phrase that FTS5 counts twice),
    /// so the scores agree; <see cref="ToTsQuery"/> lists it once.
    /// </summary>
    public static IReadOnlyList<string[]> Phrases(string matchExpression)
    {
        ArgumentNullException.ThrowIfNull(matchExpression);
        var phrases = new List<string[]>();
        foreach (var (text, quoted) in Split(matchExpression))
        {
            if (quoted)
                AddPhrase(phrases, SearchText.Words(text));
            else
                foreach (var word in text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
                    if (!Operators.Contains(word))
                        foreach (var part in SearchText.Words(word))
                            AddPhrase(phrases, [part]);
            if (phrases.Count >= MaxPhrases) break;
        }
        return phrases;
    }

    /// <summary>Each distinct phrase as single-quoted words joined by &lt;-&gt;, the phrases OR-ed.</summary>
    public static string ToTsQuery(IReadOnlyList<string[]> phrases)
    {
        ArgumentNullException.ThrowIfNull(phrases);
        return string.Join(" | ", phrases
            .Select(p => p.Length == 1 ? Quote(p[0]) : "(" + string.Join(" <-> ", p.Select(Quote)) + ")")
            .Distinct(StringComparer.Ordinal));
    }

    private static string Quote(string word) => "'" + word + "'";

    private static void AddPhrase(List<string[]> phrases, string[] words)
    {
        var kept = words.Where(w => Encoding.UTF8.GetByteCount(w) <= MaxWordBytes).Take(MaxWordsPerPhrase).ToArray();
        if (kept.Length > 0 && phrases.Count < MaxPhrases) phrases.Add(kept);
    }

    /// <summary>Splits into quoted strings ("" inside quotes is a literal quote) and the text between them; an unclosed quote runs to the end.</summary>
    private static IEnumerable<(string Text, bool Quoted)> Split(string expression)
    {
        var i = 0;
        var outside = new StringBuilder();
        while (i < expression.Length)
        {
            if (expression[i] != '"')
            {
                outside.Append(expression[i++]);
                continue;
            }
            if (outside.Length > 0)
            {
                yield return (outside.ToString(), false);
                outside.Clear();
            }
            var inside = new StringBuilder();
            i++;
            while (i < expression.Length)
            {
                if (expression[i] == '"')
                {
                    if (i + 1 < expression.Length && expression[i + 1] == '"')
                    {
                        inside.Append('"');
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                inside.Append(expression[i++]);
            }
            yield return (inside.ToString(), true);
        }
        if (outside.Length > 0) yield return (outside.ToString(), false);
    }
}
