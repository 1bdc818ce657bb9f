using MiniMe.Memory.Vectors;

namespace MiniMe.Tests.Memory.Vectors;

public sealed class HnswIndexTests
{
    private const int Dims = 64;
    private static readonly HnswOptions Options = new() { M = 12, EfConstruction = 100, EfSearch = 64 };

    private static HnswIndex BuildParallel(float[][] data, HnswOptions? options = null)
    {
        var index = new HnswIndex(Dims, options ?? Options);
        index.AddRange([.. data.Select((v, i) => new KeyValuePair<string, ReadOnlyMemory<float>>(TestVectors.Key(i), v))], maxDegreeOfParallelism: 2);
        return index;
    }

    private static IEnumerable<int> Ids(HnswIndex index, float[] q, int k = 10) => index.Search(q, k).Select(m => TestVectors.Id(m.Key));

    [Fact]
    public void Parallel_build_reaches_recall_at_10_of_0_95_against_exact_search()
    {
        // Same clusters, held-out points as queries.
        var all = TestVectors.Clustered(4200, Dims, clusters: 40, seed: 1);
        var data = all[..4000];
        using var index = BuildParallel(data);

        Assert.Equal(4000, index.Count);
        var recall = TestVectors.RecallAtK(q => Ids(index, q), data, all[4000..], 10);
        Assert.True(recall >= 0.95, $"recall@10 = {recall:0.000}");
    }

    [Fact]
    public void One_by_one_build_reaches_recall_at_10_of_0_95()
    {
        var all = TestVectors.Clustered(3200, Dims, clusters: 25, seed: 2);
        var data = all[..3000];
        using var index = new HnswIndex(Dims, Options);
        for (var i = 0; i < data.Length; i++) Assert.True(index.Add(TestVectors.Key(i), data[i]));

        var recall = TestVectors.RecallAtK(q => Ids(index, q), data, all[3000..], 10);
        Assert.True(recall >= 0.95, $"recall@10 = {recall:0.000}");
    }

    [Fact]
    public void Results_are_best_first_with_cosine_scores()
    {
        var data = TestVectors.Clustered(500, Dims, clusters: 5, seed: 3);
        using var index = BuildParallel(data);
        var results = index.Search(data[42], 5);

        Assert.Equal("v42", results[0].Key);
        Assert.Equal(1f, results[0].Score, 4);
        for (var i = 1; i < results.Count; i++) Assert.True(results[i - 1].Score >= results[i].Score);
    }

    [Fact]
    public void Vectors_are_normalized_so_scale_does_not_matter()
    {
        using var index = new HnswIndex(3, Options);
        index.Add("x", [10, 0, 0]);
        index.Add("y", [0, 0.5f, 0]);
        var hit = Assert.Single(index.Search([0, 3, 0.1f], 1));
        Assert.Equal("y", hit.Key);
        Assert.True(hit.Score is > 0.99f and <= 1.0001f);
    }

    [Fact]
    public void Removed_keys_are_never_returned_but_neighbours_stay_reachable()
    {
        var data = TestVectors.Clustered(1500, Dims, clusters: 10, seed: 4);
        using var index = BuildParallel(data);
        var removed = Enumerable.Range(0, 1500).Where(i => i % 3 == 0).ToHashSet();
        foreach (var i in removed) Assert.True(index.Remove(TestVectors.Key(i)));
        Assert.False(index.Remove("v0"));

        Assert.Equal(1000, index.Count);
        Assert.Equal(500, index.DeletedCount);
        Assert.False(index.Contains("v3"));
        var remaining = data.Select((v, i) => removed.Contains(i) ? null : v).ToArray();
        var live = Enumerable.Range(0, 1500).Where(i => !removed.Contains(i)).ToArray();
        double hits = 0;
        for (var qi = 0; qi < 100; qi++)
        {
            var q = data[qi * 15];
            var found = Ids(index, q).ToList();
            Assert.DoesNotContain(found, removed.Contains);
            var exact = live.OrderByDescending(i => System.Numerics.Tensors.TensorPrimitives.Dot(q, remaining[i]!)).Take(10).ToHashSet();
            hits += found.Count(exact.Contains);
        }
        Assert.True(hits / 1000 >= 0.95, $"recall@10 after removals = {hits / 1000:0.000}");
    }

    [Fact]
    public void Adding_a_key_again_is_a_no_op_for_the_same_vector_and_a_replacement_for_a_new_one()
    {
        using var index = new HnswIndex(3, Options);
        Assert.True(index.Add("a", [1, 0, 0]));
        Assert.True(index.Add("b", [0, 1, 0]));
        Assert.False(index.Add("a", [1, 0, 0]));
        Assert.Equal(2, index.NodeCount);

        Assert.True(index.Add("a", [0, 0, 1]));
        Assert.Equal(2, index.Count);
        Assert.Equal(1, index.DeletedCount);
        var hits = index.Search([0, 0, 1], 3);
        Assert.Equal("a", hits[0].Key);
        Assert.Equal(2, hits.Count);
    }

    [Fact]
    public void Batch_with_duplicate_keys_keeps_the_last_vector()
    {
        using var index = new HnswIndex(2, Options);
        var added = index.AddRange([new("k", new float[] { 1, 0 }), new("k", new float[] { 0, 1 }), new("j", new float[] { 1, 1 })]);
        Assert.Equal(2, added);
        Assert.Equal("k", index.Search([0, 1], 1)[0].Key);
        Assert.Equal(1f, index.Search([0, 1], 1)[0].Score, 5);
    }

    [Fact]
    public void Bad_vectors_are_rejected_without_changing_the_index()
    {
        using var index = new HnswIndex(3, Options);
        index.Add("a", [1, 0, 0]);
        Assert.Throws<ArgumentException>(() => index.Add("b", [1, 0]));
        Assert.Throws<ArgumentException>(() => index.Add("b", [0, 0, 0]));
        Assert.Throws<ArgumentException>(() => index.Add("b", [float.NaN, 0, 0]));
        Assert.Throws<ArgumentException>(() => index.Search([1, 0], 1));
        Assert.Equal(1, index.Count);
    }

    [Fact]
    public void Empty_index_returns_nothing()
    {
        using var index = new HnswIndex(4, Options);
        Assert.Empty(index.Search([1, 0, 0, 0], 10));
    }

    [Fact]
    public void Cancelled_batch_leaves_only_linked_vectors_searchable()
    {
        var data = TestVectors.Clustered(2000, Dims, clusters: 10, seed: 5);
        using var index = BuildParallel(data[..1000]);
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => index.AddRange(
            [.. data[1000..].Select((v, i) => new KeyValuePair<string, ReadOnlyMemory<float>>(TestVectors.Key(1000 + i), v))],
            cancellationToken: cancel.Token));

        Assert.Equal(1000, index.Count);
        foreach (var q in data[1000..1050])
            Assert.All(index.Search(q, 10), m => Assert.True(TestVectors.Id(m.Key) < 1000));
        Assert.True(index.Add("v1500", data[1500]));
        Assert.Equal("v1500", index.Search(data[1500], 1)[0].Key);
    }

    [Fact]
    public async Task Searches_run_concurrently_with_adds()
    {
        var data = TestVectors.Clustered(3000, Dims, clusters: 20, seed: 6);
        using var index = BuildParallel(data[..1000]);
        var writer = Task.Run(() =>
        {
            for (var i = 1000; i < 3000; i++) index.Add(TestVectors.Key(i), data[i]);
        });
        var reader = Task.Run(() =>
        {
            var n = 0;
            while (!writer.IsCompleted)
            {
                var hits = index.Search(data[n++ % 1000], 10);
                Assert.Equal(10, hits.Count);
            }
        });
        await Task.WhenAll(writer, reader);
        Assert.Equal(3000, index.Count);
        Assert.Equal("v2999", index.Search(data[2999], 1)[0].Key);
    }
}
