using MiniMe.Memory.Lexical;

namespace MiniMe.Memory.Retrieval;

/// <summary>A sentence of a retrieved chunk, with offsets in the chunk's source and its score.</summary>
public sealed record SentenceHit(SearchHit Chunk, int StartOffset, int EndOffset, string Text, double Score, double Overlap, double? Cosine);

/// <summary>
/// Ranks the sentences of retrieved chunks for a query: each sentence's BM25 over the query's terms,
/// with document frequencies counted over the candidate chunks (so "the" of the corpus matters
/// less than a word only one chunk has), optionally blended with the cosine between the sentence's
/// embedding and the query's, and with its chunk's retrieval score.
/// </summary>
public static class SentenceRanker
{
    private const double K1 = 1.2;
    private const double B = 0.75;

    /// <summary>Weight of the chunk's own retrieval score in a sentence's score.</summary>
    public const double ChunkWeight = 0.3;

    /// <summary>Terms of a query or sentence: lower-cased words without stopwords, compound identifiers also as their parts, lightly stemmed.</summary>
    public static List<string> Terms(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var terms = new List<string>();
        foreach (var (start, length) in Tokens.Find(text))
        {
            var raw = text.AsSpan(start, length);
            var lower = raw.ToString().ToLowerInvariant();
            if (lower.Length == 1 && !char.IsDigit(lower[0])) continue;
            if (Stopwords.Contains(lower)) continue;
            terms.Add(Stem(lower));
            if (IdentifierSplitter.IsCompound(raw))
                foreach (var part in IdentifierSplitter.Split(raw))
                    if (part.Length > 1 && !Stopwords.Contains(part)) terms.Add(Stem(part));
        }
        return terms;
    }

    /// <summary>A light English stemmer: plural and -ing/-ed endings only ("chunks" = "chunk", "cached" = "cach" = "caching").</summary>
    public static string Stem(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        if (word.Length > 4 && word.EndsWith("ies", StringComparison.Ordinal)) return word[..^3] + "y";
        if (word.Length > 5 && word.EndsWith("ing", StringComparison.Ordinal)) return TrimE(word[..^3]);
        if (word.Length > 4 && word.EndsWith("ed", StringComparison.Ordinal)) return TrimE(word[..^2]);
        if (word.Length > 3 && word.EndsWith('s') && !word.EndsWith("ss", StringComparison.Ordinal) && !word.EndsWith("us", StringComparison.Ordinal)) return TrimE(word[..^1]);
        return TrimE(word);
    }

    private static string TrimE(string w) => w.Length > 3 && w.EndsWith('e') ? w[..^1] : w;

    /// <summary>
    /// The best sentences of <paramref name="chunks"/> for <paramref name="query"/>, best first.
    /// <paramref name="cosines"/>, when given, holds the cosine of each sentence (in the order of
    /// <see cref="Sentences"/>) with the query; it then counts half of the sentence's own score.
    /// </summary>
    public static List<SentenceHit> Rank(string query, IReadOnlyList<SearchHit> chunks, IReadOnlyList<double>? cosines = null)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(chunks);
        var sentences = Sentences(chunks);
        if (cosines is not null && cosines.Count != sentences.Count)
            throw new ArgumentException($"Expected {sentences.Count} cosines, got {cosines.Count}.", nameof(cosines));
        var overlaps = Overlaps(query, chunks, sentences.Select(s => s.Text).ToList());
        var bestOverlap = overlaps.Count == 0 ? 0 : overlaps.Max();
        var bestChunk = chunks.Count == 0 ? 0 : chunks.Max(c => c.Score);
        var hits = new List<SentenceHit>(sentences.Count);
        for (var i = 0; i < sentences.Count; i++)
        {
            var (chunk, span, text) = sentences[i];
            var lexical = bestOverlap > 0 ? overlaps[i] / bestOverlap : 0;
            var own = cosines is null ? lexical : (0.5 * lexical) + (0.5 * Math.Max(0, cosines[i]));
            var chunkScore = bestChunk > 0 ? chunk.Score / bestChunk : 0;
            var score = ((1 - ChunkWeight) * own) + (ChunkWeight * chunkScore);
            hits.Add(new SentenceHit(chunk, chunk.StartOffset + span.Start, chunk.StartOffset + span.End, text, score, overlaps[i], cosines?[i]));
        }
        return hits.OrderByDescending(h => h.Score).ThenBy(h => h.Chunk.Id).ThenBy(h => h.StartOffset).ToList();
    }

    /// <summary>Every sentence of the chunks, in chunk order then reading order.</summary>
    public static List<(SearchHit Chunk, SentenceSpan Span, string Text)> Sentences(IReadOnlyList<SearchHit> chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        return chunks.SelectMany(c => SentenceSplitter.Split(c.Text).Select(s => (c, s, s.Of(c.Text)))).ToList();
    }

    /// <summary>
    /// BM25 of each sentence over the query's terms; document frequencies come from
    /// <paramref name="chunks"/> (the candidate set), lengths are normalised by the sentences' mean.
    /// </summary>
    public static List<double> Overlaps(string query, IReadOnlyList<SearchHit> chunks, IReadOnlyList<string> sentences)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        return Overlaps(query, chunks.Select(c => c.Text).ToList(), sentences);
    }

    /// <summary>As above, with document frequencies counted over <paramref name="documents"/>.</summary>
    public static List<double> Overlaps(string query, IReadOnlyList<string> documents, IReadOnlyList<string> sentences)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentNullException.ThrowIfNull(sentences);
        var queryTerms = Terms(query).Distinct(StringComparer.Ordinal).ToList();
        var chunkTerms = documents.Select(d => Terms(d).ToHashSet(StringComparer.Ordinal)).ToList();
        var n = Math.Max(documents.Count, 1);
        var idf = queryTerms.ToDictionary(t => t, t =>
        {
            var df = chunkTerms.Count(set => set.Contains(t));
            return Math.Log(1 + ((n - df + 0.5) / (df + 0.5)));
        }, StringComparer.Ordinal);
        var sentenceTerms = sentences.Select(Terms).ToList();
        var avg = sentenceTerms.Count == 0 ? 1 : Math.Max(1, sentenceTerms.Average(t => t.Count));
        return sentenceTerms.Select(terms =>
        {
            double score = 0;
            foreach (var t in queryTerms)
            {
                var tf = terms.Count(x => x == t);
                if (tf == 0) continue;
                score += idf[t] * (tf * (K1 + 1)) / (tf + (K1 * (1 - B + (B * terms.Count / avg))));
            }
            return score;
        }).ToList();
    }
}
