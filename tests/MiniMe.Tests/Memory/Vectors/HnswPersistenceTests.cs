using MiniMe.Tests.Support;
using MiniMe.Memory.Vectors;

namespace MiniMe.Tests.Memory.Vectors;

public sealed class HnswPersistenceTests : IDisposable
{
    private const int Dims = 32;
    private static readonly HnswOptions Options = new() { M = 8, EfConstruction = 64, EfSearch = 48 };
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static HnswIndex Build(float[][] data)
    {
        var index = new HnswIndex(Dims, Options);
        index.AddRange([.. data.Select((v, i) => new KeyValuePair<string, ReadOnlyMemory<float>>(TestVectors.Key(i), v))]);
        return index;
    }

    [Fact]
    public void Round_trip_keeps_keys_tombstones_and_search_results()
    {
        var data = TestVectors.Clustered(1200, Dims, clusters: 8, seed: 11);
        using var index = Build(data);
        index.Remove("v7");
        index.Remove("v8");
        var path = _dir.Combine("memory.db.model.hnsw");
        index.Save(path, "model-a");

        using var loaded = HnswIndex.Load(path, "model-a", Options);
        Assert.Equal(index.Count, loaded.Count);
        Assert.Equal(2, loaded.DeletedCount);
        Assert.Equal(index.NodeCount, loaded.NodeCount);
        Assert.False(loaded.Contains("v7"));
        Assert.Equal(Options.M, loaded.Options.M);
        foreach (var q in data.Take(50))
            Assert.Equal(index.Search(q, 10), loaded.Search(q, 10));
        Assert.Equal([Path.GetFileName(path)], Directory.GetFiles(_dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void Incremental_adds_after_load_are_found_and_survive_another_round_trip()
    {
        var all = TestVectors.Clustered(2200, Dims, clusters: 10, seed: 12);
        var path = _dir.Combine("i.hnsw");
        using (var index = Build(all[..1500])) index.Save(path, "m");

        using var loaded = HnswIndex.Load(path, "m", Options);
        for (var i = 1500; i < 2000; i++) Assert.True(loaded.Add(TestVectors.Key(i), all[i]));
        Assert.Equal(2000, loaded.Count);
        var recall = TestVectors.RecallAtK(q => loaded.Search(q, 10).Select(m => TestVectors.Id(m.Key)), all[..2000], all[2000..], 10);
        Assert.True(recall >= 0.95, $"recall@10 = {recall:0.000}");

        loaded.Save(path, "m");
        using var again = HnswIndex.Load(path, "m", Options);
        Assert.Equal(2000, again.Count);
        Assert.Equal("v1999", again.Search(all[1999], 1)[0].Key);
    }

    [Fact]
    public void Empty_index_round_trips()
    {
        var path = _dir.Combine("empty.hnsw");
        using (var index = new HnswIndex(Dims, Options)) index.Save(path, "m");
        using var loaded = HnswIndex.Load(path, "m", Options);
        Assert.Equal(0, loaded.Count);
        Assert.Empty(loaded.Search(new float[Dims].Select((_, i) => i == 0 ? 1f : 0f).ToArray(), 3));
    }

    [Theory]
    [InlineData("flip-body")]
    [InlineData("flip-checksum")]
    [InlineData("truncate")]
    [InlineData("append")]
    [InlineData("magic")]
    [InlineData("version")]
    [InlineData("huge-count")]
    [InlineData("empty")]
    public void Damaged_files_are_detected(string damage)
    {
        var data = TestVectors.Clustered(300, Dims, clusters: 4, seed: 13);
        var path = _dir.Combine("d.hnsw");
        using (var index = Build(data)) index.Save(path, "m");
        var bytes = File.ReadAllBytes(path);
        switch (damage)
        {
            case "flip-body": bytes[bytes.Length / 2] ^= 0x40; break;
            case "flip-checksum": bytes[^1] ^= 0x01; break;
            case "truncate": bytes = bytes[..(bytes.Length - 1000)]; break;
            case "append": bytes = [.. bytes, 0]; break;
            case "magic": bytes[0] = (byte)'X'; break;
            case "version": bytes[8] = 99; break;
            case "huge-count": bytes[27] = 0x7f; break;
            case "empty": bytes = []; break;
        }
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<VectorIndexFormatException>(() => HnswIndex.Load(path, "m", Options));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_for_another_model_is_refused()
    {
        var path = _dir.Combine("m.hnsw");
        using (var index = Build(TestVectors.Clustered(50, Dims, 2, 14))) index.Save(path, "model-a");
        var error = Assert.Throws<VectorIndexFormatException>(() => HnswIndex.Load(path, "model-b", Options));
        Assert.Contains("model-a", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Saving_replaces_the_previous_file_whole()
    {
        var data = TestVectors.Clustered(400, Dims, clusters: 4, seed: 15);
        var path = _dir.Combine("r.hnsw");
        using var index = Build(data[..100]);
        index.Save(path, "m");
        var small = new FileInfo(path).Length;
        index.AddRange([.. data[100..].Select((v, i) => new KeyValuePair<string, ReadOnlyMemory<float>>(TestVectors.Key(100 + i), v))]);
        index.Save(path, "m");

        Assert.True(new FileInfo(path).Length > small);
        Assert.Single(Directory.GetFiles(_dir.Path));
        using var loaded = HnswIndex.Load(path, "m", Options);
        Assert.Equal(400, loaded.Count);
    }
}
