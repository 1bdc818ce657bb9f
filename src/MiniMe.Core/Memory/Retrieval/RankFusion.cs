using MiniMe.Configuration;
using MiniMe.Memory.Lexical;

namespace MiniMe.Memory.Retrieval;

/// <summary>What a query looks like, for choosing fusion weights.</summary>
public enum QueryKind
{
    /// <summary>Words and questions ("how are tags cleaned up on import").</summary>
    NaturalLanguage,
    /// <summary>Names code or exact text: a dotted or compound identifier, snake_case, a path, a call, or a "quoted term".</summary>
    Identifier,
}

/// <summary>Sorts queries into <see cref="QueryKind"/>s by their surface form alone (no model).</summary>
public static class QueryShape
{
    public static QueryKind Classify(string query)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Contains('"') || query.Contains('`') || query.Contains("::", StringComparison.Ordinal) || query.Contains("()", StringComparison.Ordinal))
            return QueryKind.Identifier;
        var words = query.Split((char[])[' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries);
        foreach (var word in words)
        {
            var w = word.TrimEnd('?', '!', ',', ';', ':').TrimEnd('.');
            if (w.Length < 2) continue;
            // Dotted member access (HnswIndex.Search, a.b.c), not a sentence end or a decimal.
            var dot = w.IndexOf('.', StringComparison.Ordinal);
            if (dot > 0 && dot < w.Length - 1 && char.IsLetter(w[dot + 1]) && w.Split('.').All(p => p.Length > 0 && p.All(Tokens.IsWordChar)) && !IsAbbreviation(w))
                return QueryKind.Identifier;
            if (w.Contains('_', StringComparison.Ordinal) && w.Trim('_').Length > 0) return QueryKind.Identifier;
            if (w.Contains('/', StringComparison.Ordinal) && w.Length > 2) return QueryKind.Identifier;
            // An inner capital after a lower-case letter: HnswIndex, getHttpClient (not "Lisbon", not "CI", not "iPhone"-like once).
            for (var i = 1; i < w.Length - 1; i++)
                if (char.IsLower(w[i - 1]) && char.IsUpper(w[i]) && char.IsLetter(w[i + 1]) && i > 1)
                    return QueryKind.Identifier;
        }
        return QueryKind.NaturalLanguage;
    }

    private static bool IsAbbreviation(string w) => w.Length <= 5 && w.Count(c => c == '.') >= 1 && w.Replace(".", "", StringComparison.Ordinal).Length <= 3;
}

/// <summary>A candidate after fusion: its fused score and the raw scores of the lists that found it.</summary>
public sealed record FusedCandidate(StoredChunk Chunk, double Score, double? Lexical, double? Dense);

/// <summary>
/// Combines BM25 and dense candidate lists into one ranking, by reciprocal rank or by a convex sum of
/// per-query normalised scores with a dense weight chosen by the query's <see cref="QueryKind"/>. Both
/// give scores in [0, 1] (1 = the best possible), so mask boosts mean the same whichever is used.
/// </summary>
public static class RankFusion
{
    /// <summary>The method's name for traces and reports ("hybrid-convex-minmax(w=0.50)").</summary>
    public static string Describe(RetrievalOptions options, QueryKind kind)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Fusion == FusionMethod.Rrf
            ? $"hybrid-rrf(k={options.RrfK})"
            : FormattableString.Invariant($"hybrid-convex-{options.Normalization.ToString().ToLowerInvariant()}(w={DenseWeightFor(options, kind):0.00})");
    }

    public static double DenseWeightFor(RetrievalOptions options, QueryKind kind)
    {
        ArgumentNullException.ThrowIfNull(options);
        return kind == QueryKind.Identifier ? options.IdentifierDenseWeight : options.DenseWeight;
    }

    /// <summary>
    /// Dense candidates that count: none when the best is below <see cref="RetrievalOptions.DenseMinBest"/>;
    /// of those the lexical list did not find, only the ones at or above <see cref="RetrievalOptions.DenseFloor"/>
    /// (a dense search always returns its nearest chunks, however far: without the floor a query about
    /// nothing in memory lists unrelated chunks). A chunk both lists found keeps its cosine.
    /// </summary>
    public static IReadOnlyList<Candidate> UsableDense(IReadOnlyList<Candidate> dense, RetrievalOptions options, IReadOnlyList<Candidate>? lexical = null)
    {
        ArgumentNullException.ThrowIfNull(dense);
        ArgumentNullException.ThrowIfNull(options);
        if (dense.Count == 0) return dense;
        if (options.DenseMinBest > 0 && dense.Max(c => c.RawScore) < options.DenseMinBest) return [];
        if (options.DenseFloor <= 0) return dense;
        var found = lexical is null ? [] : lexical.Select(c => c.Chunk.Id).ToHashSet();
        return dense.Where(c => c.RawScore >= options.DenseFloor || found.Contains(c.Chunk.Id)).ToList();
    }

    /// <summary>BM25 scores scaled to (0, 1] by the best one.</summary>
    public static List<FusedCandidate> LexicalOnly(IReadOnlyList<Candidate> lexical)
    {
        ArgumentNullException.ThrowIfNull(lexical);
        var best = lexical.Count == 0 ? 1 : Math.Max(lexical.Max(c => c.RawScore), 1e-9);
        return lexical.Select(c => new FusedCandidate(c.Chunk, c.RawScore / best, c.RawScore, null)).ToList();
    }

    /// <summary>Cosines as they are (a cosine is already comparable across queries).</summary>
    public static List<FusedCandidate> DenseOnly(IReadOnlyList<Candidate> dense)
    {
        ArgumentNullException.ThrowIfNull(dense);
        return dense.Select(c => new FusedCandidate(c.Chunk, Math.Max(c.RawScore, 0), null, c.RawScore)).ToList();
    }

    /// <summary>Both lists fused as <paramref name="options"/> says; either list may be empty.</summary>
    public static List<FusedCandidate> Fuse(IReadOnlyList<Candidate> lexical, IReadOnlyList<Candidate> dense, RetrievalOptions options, QueryKind kind)
    {
        ArgumentNullException.ThrowIfNull(lexical);
        ArgumentNullException.ThrowIfNull(dense);
        ArgumentNullException.ThrowIfNull(options);
        return options.Fusion == FusionMethod.Rrf
            ? Rrf(lexical, dense, options.RrfK)
            : Convex(lexical, dense, DenseWeightFor(options, kind), options.Normalization);
    }

    /// <summary>Reciprocal rank fusion, scaled so a chunk ranked first by both lists scores 1.</summary>
    public static List<FusedCandidate> Rrf(IReadOnlyList<Candidate> lexical, IReadOnlyList<Candidate> dense, int k)
    {
        ArgumentNullException.ThrowIfNull(lexical);
        ArgumentNullException.ThrowIfNull(dense);
        var byId = new Dictionary<long, (StoredChunk Chunk, double Score, double? Lexical, double? Dense)>();
        for (var i = 0; i < lexical.Count; i++)
        {
            var c = lexical[i];
            byId[c.Chunk.Id] = (c.Chunk, 1.0 / (k + i + 1), c.RawScore, null);
        }
        for (var i = 0; i < dense.Count; i++)
        {
            var c = dense[i];
            var add = 1.0 / (k + i + 1);
            byId[c.Chunk.Id] = byId.TryGetValue(c.Chunk.Id, out var e)
                ? (e.Chunk, e.Score + add, e.Lexical, c.RawScore)
                : (c.Chunk, add, null, c.RawScore);
        }
        var max = 2.0 / (k + 1);
        return byId.Values.Select(v => new FusedCandidate(v.Chunk, v.Score / max, v.Lexical, v.Dense)).ToList();
    }

    /// <summary>
    /// (1 - w) * norm(bm25) + w * norm(cosine); a chunk missing from a list gets that list's lowest
    /// normalised value (0 for min-max), so being found by both lists is worth more than by one.
    /// </summary>
    public static List<FusedCandidate> Convex(IReadOnlyList<Candidate> lexical, IReadOnlyList<Candidate> dense, double denseWeight, ScoreNormalization normalization)
    {
        ArgumentNullException.ThrowIfNull(lexical);
        ArgumentNullException.ThrowIfNull(dense);
        var w = Math.Clamp(denseWeight, 0, 1);
        var lex = Normalize(lexical, normalization);
        var den = Normalize(dense, normalization);
        var lexFloor = lex.Count == 0 ? 0 : lex.Values.Min(v => v.Norm);
        var denFloor = den.Count == 0 ? 0 : den.Values.Min(v => v.Norm);
        var ids = lexical.Select(c => c.Chunk).Concat(dense.Select(c => c.Chunk)).DistinctBy(c => c.Id).ToList();
        var raw = ids.Select(chunk =>
        {
            var l = lex.TryGetValue(chunk.Id, out var a) ? a : default;
            var d = den.TryGetValue(chunk.Id, out var b) ? b : default;
            var score = ((1 - w) * (l.Found ? l.Norm : lexFloor)) + (w * (d.Found ? d.Norm : denFloor));
            return (Chunk: chunk, Score: score, Lexical: l.Found ? l.Raw : (double?)null, Dense: d.Found ? d.Raw : (double?)null);
        }).ToList();
        if (normalization == ScoreNormalization.MinMax)
            return raw.Select(r => new FusedCandidate(r.Chunk, r.Score, r.Lexical, r.Dense)).ToList();
        // z-scores are unbounded: map the fused values onto (0, 1] by their own range.
        var min = raw.Count == 0 ? 0 : raw.Min(r => r.Score);
        var max = raw.Count == 0 ? 1 : raw.Max(r => r.Score);
        var span = max - min;
        return raw.Select(r => new FusedCandidate(r.Chunk, span <= 1e-12 ? 1 : 1e-3 + ((1 - 1e-3) * (r.Score - min) / span), r.Lexical, r.Dense)).ToList();
    }

    private readonly record struct Normalized(bool Found, double Raw, double Norm);

    private static Dictionary<long, Normalized> Normalize(IReadOnlyList<Candidate> list, ScoreNormalization normalization)
    {
        var result = new Dictionary<long, Normalized>(list.Count);
        if (list.Count == 0) return result;
        var scores = list.Select(c => c.RawScore).ToList();
        var (min, max, mean) = (scores.Min(), scores.Max(), scores.Average());
        var sd = Math.Sqrt(scores.Sum(x => (x - mean) * (x - mean)) / scores.Count);
        double Map(double s) => normalization == ScoreNormalization.ZScore
            ? (sd <= 1e-12 ? 0 : (s - mean) / sd)
            : (max - min <= 1e-12 ? 1 : (s - min) / (max - min));
        foreach (var c in list)
            if (!result.ContainsKey(c.Chunk.Id)) result[c.Chunk.Id] = new Normalized(true, c.RawScore, Map(c.RawScore));
        return result;
    }
}
