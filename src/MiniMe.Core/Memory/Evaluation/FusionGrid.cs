using System.Globalization;
using MiniMe.Configuration;
using MiniMe.Memory.Retrieval;

namespace MiniMe.Memory.Evaluation;

/// <summary>
/// The retrieval settings `minime eval retrieval --compare` measures side by side: BM25 alone, dense
/// alone, reciprocal rank fusion at several k, convex fusion (min-max and z-score) at several dense
/// weights, per-query-type weights (code-like queries leaning lexical) and dense cut-offs. Every
/// variant starts from the workspace's retrieval options, so BM25 field weights stay as configured.
/// </summary>
public static class FusionGrid
{
    public static IReadOnlyList<EvaluationVariant> Variants(RetrievalOptions configured)
    {
        ArgumentNullException.ThrowIfNull(configured);
        var list = new List<EvaluationVariant>
        {
            new("bm25", RetrievalMode.Lexical, configured),
            new("dense", RetrievalMode.Dense, configured),
            new("configured", RetrievalMode.Hybrid, configured),
        };
        foreach (var k in new[] { 10, 30, 60, 100 })
            list.Add(Hybrid($"rrf k={k}", configured, o => { o.Fusion = FusionMethod.Rrf; o.RrfK = k; }));
        foreach (var w in new[] { 0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8 })
            list.Add(Hybrid(F($"convex minmax w={w:0.00}"), configured, o => Convex(o, ScoreNormalization.MinMax, w, w)));
        foreach (var w in new[] { 0.3, 0.5, 0.7 })
            list.Add(Hybrid(F($"convex zscore w={w:0.0}"), configured, o => Convex(o, ScoreNormalization.ZScore, w, w)));
        foreach (var w in new[] { 0.4, 0.5, 0.6 })
            foreach (var code in new[] { 0.1, 0.2, 0.3 })
                list.Add(Hybrid(F($"convex minmax w={w:0.0} code w={code:0.0}"), configured, o => Convex(o, ScoreNormalization.MinMax, w, code)));
        // Dense cut-offs on top of the configured convex weights.
        var (dw, cw) = (configured.DenseWeight, configured.IdentifierDenseWeight);
        foreach (var minBest in new[] { 0.3, 0.4, 0.5 })
            list.Add(Hybrid(F($"convex minmax w={dw:0.00} code w={cw:0.00} min-best {minBest:0.0}"), configured, o => { Convex(o, ScoreNormalization.MinMax, dw, cw); o.DenseMinBest = minBest; }));
        foreach (var floor in new[] { 0.2, 0.25, 0.3, 0.35, 0.4 })
            list.Add(Hybrid(F($"convex minmax w={dw:0.00} code w={cw:0.00} floor {floor:0.00}"), configured, o => { Convex(o, ScoreNormalization.MinMax, dw, cw); o.DenseFloor = floor; }));
        return list;
    }

    /// <summary>A copy of <paramref name="options"/> with <paramref name="change"/> applied.</summary>
    public static RetrievalOptions With(RetrievalOptions options, Action<RetrievalOptions> change)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(change);
        var copy = new RetrievalOptions
        {
            DefaultK = options.DefaultK,
            TitleWeight = options.TitleWeight,
            BodyWeight = options.BodyWeight,
            SymbolWeight = options.SymbolWeight,
            Fusion = options.Fusion,
            RrfK = options.RrfK,
            Normalization = options.Normalization,
            DenseWeight = options.DenseWeight,
            IdentifierDenseWeight = options.IdentifierDenseWeight,
            DenseFloor = options.DenseFloor,
            DenseMinBest = options.DenseMinBest,
            RecencyHalfLifeDays = options.RecencyHalfLifeDays,
        };
        change(copy);
        return copy;
    }

    private static EvaluationVariant Hybrid(string name, RetrievalOptions configured, Action<RetrievalOptions> change) =>
        new(name, RetrievalMode.Hybrid, With(configured, o =>
        {
            o.DenseFloor = 0;
            o.DenseMinBest = 0;
            change(o);
        }));

    private static void Convex(RetrievalOptions o, ScoreNormalization normalization, double weight, double codeWeight)
    {
        o.Fusion = FusionMethod.Convex;
        o.Normalization = normalization;
        o.DenseWeight = weight;
        o.IdentifierDenseWeight = codeWeight;
    }

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
