namespace MiniMe.Memory.Evaluation;

/// <summary>
/// Ranking metrics as BEIR reports them (pytrec_eval conventions): graded judgements, a document
/// is relevant when its grade is above 0, nDCG uses the grade as gain with a log2(rank + 1) discount.
/// </summary>
public static class RetrievalMetrics
{
    public static double NdcgAtK(IReadOnlyList<string> ranked, IReadOnlyDictionary<string, int> judged, int k)
    {
        ArgumentNullException.ThrowIfNull(ranked);
        ArgumentNullException.ThrowIfNull(judged);
        double dcg = 0;
        for (var i = 0; i < Math.Min(k, ranked.Count); i++)
            if (judged.TryGetValue(ranked[i], out var grade) && grade > 0)
                dcg += grade / Math.Log2(i + 2);
        var ideal = judged.Values.Where(g => g > 0).OrderByDescending(g => g).Take(k).ToList();
        double idcg = 0;
        for (var i = 0; i < ideal.Count; i++) idcg += ideal[i] / Math.Log2(i + 2);
        return idcg == 0 ? 0 : dcg / idcg;
    }

    public static double RecallAtK(IReadOnlyList<string> ranked, IReadOnlyDictionary<string, int> judged, int k)
    {
        ArgumentNullException.ThrowIfNull(ranked);
        ArgumentNullException.ThrowIfNull(judged);
        var relevant = judged.Count(p => p.Value > 0);
        if (relevant == 0) return 0;
        var found = ranked.Take(k).Count(id => judged.TryGetValue(id, out var g) && g > 0);
        return (double)found / relevant;
    }

    /// <summary>1 / rank of the first relevant document within the top k, else 0.</summary>
    public static double ReciprocalRankAtK(IReadOnlyList<string> ranked, IReadOnlyDictionary<string, int> judged, int k)
    {
        ArgumentNullException.ThrowIfNull(ranked);
        ArgumentNullException.ThrowIfNull(judged);
        for (var i = 0; i < Math.Min(k, ranked.Count); i++)
            if (judged.TryGetValue(ranked[i], out var grade) && grade > 0) return 1.0 / (i + 1);
        return 0;
    }
}
