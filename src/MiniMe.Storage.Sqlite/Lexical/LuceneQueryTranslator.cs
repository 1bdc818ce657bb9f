using System.Text;
using Lucene.Net.Analysis;
using Lucene.Net.Analysis.TokenAttributes;
using Lucene.Net.Index;
using Lucene.Net.Search;
using MiniMe.Memory;

namespace MiniMe.Storage.Sqlite.Lexical;

/// <summary>
/// Translates the match expressions FtsQueryBuilder writes (quoted strings joined by OR) into a Lucene query: each
/// string analyzed like chunks_fts analyzes it, one word a term query and several a phrase, asked of title, body and
/// symbols with the column weights as boosts, all optional (BM25 summed over the fields that match).
/// Any other FTS5 syntax is not translated: the caller asks FTS5 itself.
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

    /// <returns>The query, or null when no phrase has a word left after analysis (nothing can match).</returns>
    public static Query? Translate(IReadOnlyList<string> phrases, Bm25Weights weights, Analyzer analyzer)
    {
        var boosts = new[] { weights.Title, weights.Body, weights.Symbols };
        var query = new BooleanQuery(disableCoord: true);
        foreach (var phrase in phrases)
        {
            var terms = Analyze(analyzer, phrase);
            if (terms.Count == 0) continue;
            for (var f = 0; f < Fields.Length; f++)
            {
                // FTS5 multiplies a column's hits by its weight; a weight of 0 means the column adds nothing.
                if (boosts[f] <= 0) continue;
                Query clause;
                if (terms.Count == 1) clause = new TermQuery(new Term(Fields[f], terms[0].Term));
                else
                {
                    var phraseQuery = new PhraseQuery();
                    foreach (var (term, position) in terms) phraseQuery.Add(new Term(Fields[f], term), position);
                    clause = phraseQuery;
                }
                clause.Boost = (float)boosts[f];
                query.Add(clause, Occur.SHOULD);
            }
        }
        return query.Clauses.Count == 0 ? null : query;
    }

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
