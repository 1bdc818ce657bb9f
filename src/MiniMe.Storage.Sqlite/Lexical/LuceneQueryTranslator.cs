using System.Text;
using Lucene.Net.Analysis;
using Lucene.Net.Analysis.TokenAttributes;
using Lucene.Net.Index;
using Lucene.Net.Search;

namespace MiniMe.Storage.Sqlite.Lexical;

/// <summary>
/// Reads the match expressions FtsQueryBuilder writes (quoted strings joined by OR) as phrases for the Lucene folder:
/// each string analyzed like chunks_fts analyzes it (one word: a term; several: a phrase with positions), ranked by
/// <see cref="Fts5Ranking"/>. Any other FTS5 syntax is not translated: the caller asks FTS5 itself.
/// </summary>
internal static class LuceneQueryTranslator
{
    public static readonly string[] Fields = ["title", "body", "symbols"];

    /// <summary>The quoted strings of <c>"a" OR "b c" OR ...</c>, or null when the expression is anything else.</summary>
    public static List<string>? Phrases(string expression)
    {
        var phrases = new List<string>();
        var i = 0;
        while (true)
        {
            while (i < expression.Length && expression[i] == ' ') i++;
            if (i >= expression.Length || expression[i] != '"') return null;
            var phrase = new StringBuilder();
            i++;
            while (true)
            {
                if (i >= expression.Length) return null;
                if (expression[i] == '"')
                {
                    if (i + 1 < expression.Length && expression[i + 1] == '"')
                    {
                        phrase.Append('"');
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                phrase.Append(expression[i++]);
            }
            phrases.Add(phrase.ToString());
            while (i < expression.Length && expression[i] == ' ') i++;
            if (i == expression.Length) return phrases;
            if (string.CompareOrdinal(expression, i, "OR", 0, 2) != 0 || i + 2 >= expression.Length || expression[i + 2] != ' ') return null;
            i += 3;
        }
    }

    /// <summary>Each phrase as its analyzed terms with positions (empty when nothing is left of it).</summary>
    public static List<IReadOnlyList<(string Term, int Position)>> AnalyzeAll(IReadOnlyList<string> phrases, Analyzer analyzer) =>
        [.. phrases.Select(p => (IReadOnlyList<(string, int)>)Analyze(analyzer, p))];

    private static List<(string Term, int Position)> Analyze(Analyzer analyzer, string text)
    {
        var terms = new List<(string, int)>();
        using var stream = analyzer.GetTokenStream("body", text);
        var term = stream.AddAttribute<ICharTermAttribute>();
        var increment = stream.AddAttribute<IPositionIncrementAttribute>();
        stream.Reset();
        var position = -1;
        while (stream.IncrementToken())
        {
            position += increment.PositionIncrement;
            terms.Add((term.ToString(), position));
        }
        stream.End();
        return terms;
    }
}
