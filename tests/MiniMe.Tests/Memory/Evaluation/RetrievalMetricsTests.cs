using MiniMe.Memory.Evaluation;

namespace MiniMe.Tests.Memory.Evaluation;

public sealed class RetrievalMetricsTests
{
    private static readonly Dictionary<string, int> Judged = new() { ["a"] = 3, ["b"] = 1, ["c"] = 0 };

    [Fact]
    public void Ndcg_uses_grades_as_gains_with_a_log2_discount()
    {
        // Ideal: a(3) then b(1): 3 + 1/log2(3). Ranked: x, b, a: 1/log2(3) + 3/log2(4).
        var ideal = 3 + 1 / Math.Log2(3);
        Assert.Equal((1 / Math.Log2(3) + 3 / 2.0) / ideal, RetrievalMetrics.NdcgAtK(["x", "b", "a"], Judged, 10), 12);
        Assert.Equal(1.0, RetrievalMetrics.NdcgAtK(["a", "b", "c"], Judged, 10), 12);
        Assert.Equal(0.0, RetrievalMetrics.NdcgAtK(["x", "b", "a"], Judged, 1), 12);
        Assert.Equal(0.0, RetrievalMetrics.NdcgAtK([], Judged, 10), 12);
    }

    [Fact]
    public void Recall_counts_only_positive_grades()
    {
        Assert.Equal(0.5, RetrievalMetrics.RecallAtK(["c", "b", "x"], Judged, 10), 12);
        Assert.Equal(0.0, RetrievalMetrics.RecallAtK(["c", "x", "a"], Judged, 2), 12);
        Assert.Equal(1.0, RetrievalMetrics.RecallAtK(["b", "a"], Judged, 2), 12);
    }

    [Fact]
    public void Reciprocal_rank_is_that_of_the_first_relevant_document_within_k()
    {
        Assert.Equal(1 / 3.0, RetrievalMetrics.ReciprocalRankAtK(["c", "x", "b", "a"], Judged, 10), 12);
        Assert.Equal(0.0, RetrievalMetrics.ReciprocalRankAtK(["c", "x", "b"], Judged, 2), 12);
    }
}
