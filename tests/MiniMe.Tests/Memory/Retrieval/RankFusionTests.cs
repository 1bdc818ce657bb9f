using MiniMe.Configuration;
using MiniMe.Memory;
using MiniMe.Memory.Retrieval;

namespace MiniMe.Tests.Memory.Retrieval;

public sealed class RankFusionTests
{
    private static StoredChunk Chunk(long id) => new(id, $"/doc{id}.md", 0, 10, "general", [], $"text {id}", null, $"hash{id}", DateTimeOffset.UnixEpoch, 0);

    private static List<Candidate> List(params (long Id, double Score)[] items) => [.. items.Select(i => new Candidate(Chunk(i.Id), i.Score))];

    private static Dictionary<long, double> Scores(IEnumerable<FusedCandidate> fused) => fused.ToDictionary(f => f.Chunk.Id, f => f.Score);

    [Fact]
    public void Convex_minmax_fusion_weights_each_list_normalised_to_its_range()
    {
        var lexical = List((1, 10), (2, 5), (3, 0));
        var dense = List((2, 0.9), (4, 0.5));

        var s = Scores(RankFusion.Convex(lexical, dense, 0.5, ScoreNormalization.MinMax));

        Assert.Equal(0.5, s[1], 9);   // best BM25, no cosine
        Assert.Equal(0.75, s[2], 9);  // BM25 halfway, best cosine
        Assert.Equal(0.0, s[3], 9);   // worst of BM25, no cosine
        Assert.Equal(0.0, s[4], 9);   // worst cosine, no BM25
    }

    [Fact]
    public void Convex_dense_weight_moves_the_balance_between_the_lists()
    {
        var lexical = List((1, 10), (2, 0));
        var dense = List((2, 0.9), (1, 0.1));

        var leanLexical = Scores(RankFusion.Convex(lexical, dense, 0.2, ScoreNormalization.MinMax));
        var leanDense = Scores(RankFusion.Convex(lexical, dense, 0.8, ScoreNormalization.MinMax));

        Assert.Equal(0.8, leanLexical[1], 9);
        Assert.Equal(0.2, leanLexical[2], 9);
        Assert.Equal(0.2, leanDense[1], 9);
        Assert.Equal(0.8, leanDense[2], 9);
    }

    [Fact]
    public void Convex_fusion_ranks_a_chunk_found_by_both_lists_above_one_found_by_one_with_equal_scores()
    {
        var lexical = List((1, 10), (2, 10), (3, 1));
        var dense = List((1, 0.8), (4, 0.8), (5, 0.1));

        foreach (var normalization in Enum.GetValues<ScoreNormalization>())
        {
            var ranked = RankFusion.Convex(lexical, dense, 0.5, normalization).OrderByDescending(f => f.Score).ToList();
            Assert.Equal(1, ranked[0].Chunk.Id);
            Assert.True(ranked[0].Score > ranked[1].Score, $"{normalization}: both lists beat one");
        }
    }

    [Fact]
    public void Zscore_fusion_gives_scores_in_zero_to_one_with_the_best_at_one()
    {
        var fused = RankFusion.Convex(List((1, 12), (2, 3), (3, 1)), List((1, 0.7), (3, 0.6), (4, 0.2)), 0.5, ScoreNormalization.ZScore);

        Assert.All(fused, f => Assert.InRange(f.Score, 0, 1));
        Assert.Equal(1.0, fused.Max(f => f.Score), 9);
        Assert.Equal(1, fused.MaxBy(f => f.Score)!.Chunk.Id);
    }

    [Fact]
    public void Rrf_sums_reciprocal_ranks_scaled_so_first_in_both_lists_is_one()
    {
        var fused = Scores(RankFusion.Rrf(List((1, 9), (2, 8)), List((1, 0.9), (3, 0.8)), 60));

        Assert.Equal(1.0, fused[1], 9);
        Assert.Equal((1.0 / 62) / (2.0 / 61), fused[2], 9);
        Assert.Equal((1.0 / 62) / (2.0 / 61), fused[3], 9);
    }

    [Fact]
    public void Identifier_queries_use_the_identifier_dense_weight()
    {
        var options = new RetrievalOptions { Fusion = FusionMethod.Convex, DenseWeight = 0.8, IdentifierDenseWeight = 0.2 };
        var lexical = List((1, 10), (2, 0));
        var dense = List((2, 0.9), (1, 0.1));

        var natural = RankFusion.Fuse(lexical, dense, options, QueryKind.NaturalLanguage).MaxBy(f => f.Score)!;
        var code = RankFusion.Fuse(lexical, dense, options, QueryKind.Identifier).MaxBy(f => f.Score)!;

        Assert.Equal(2, natural.Chunk.Id);
        Assert.Equal(1, code.Chunk.Id);
    }

    [Fact]
    public void Weak_dense_lists_are_dropped_and_low_cosines_cut_by_the_floor()
    {
        var dense = List((1, 0.35), (2, 0.25), (3, 0.1));

        Assert.Empty(RankFusion.UsableDense(dense, new RetrievalOptions { DenseMinBest = 0.4 }));
        Assert.Equal([1, 2], RankFusion.UsableDense(dense, new RetrievalOptions { DenseFloor = 0.2 }).Select(c => c.Chunk.Id));
        Assert.Equal(3, RankFusion.UsableDense(dense, new RetrievalOptions { DenseFloor = 0, DenseMinBest = 0 }).Count);
        // A chunk BM25 found too keeps its cosine under the floor; one only dense search found does not.
        Assert.Equal([1, 3], RankFusion.UsableDense(dense, new RetrievalOptions { DenseFloor = 0.3 }, lexical: List((3, 4.0))).Select(c => c.Chunk.Id));
    }

    [Theory]
    [InlineData("HnswIndex.Search", QueryKind.Identifier)]
    [InlineData("RunMeter EnsureWithinBudget", QueryKind.Identifier)]
    [InlineData("where is ts_rank_cd used", QueryKind.Identifier)]
    [InlineData("\"connection reset\" in the log", QueryKind.Identifier)]
    [InlineData("what does src/MiniMe.Cli/Program.cs do", QueryKind.Identifier)]
    [InlineData("how are tags cleaned up on import?", QueryKind.NaturalLanguage)]
    [InlineData("what did Dr. Okafor say, e.g. about rabies?", QueryKind.NaturalLanguage)]
    [InlineData("CI tests flaky after 30 seconds.", QueryKind.NaturalLanguage)]
    [InlineData("Lisbon in October", QueryKind.NaturalLanguage)]
    public void Query_shape_routes_code_like_queries_apart_from_questions(string query, QueryKind expected) =>
        Assert.Equal(expected, QueryShape.Classify(query));
}
