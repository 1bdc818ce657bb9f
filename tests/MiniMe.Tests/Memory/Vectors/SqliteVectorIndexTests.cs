using MiniMe.Tests.Support;
using System.Globalization;
using MiniMe.Configuration;
using MiniMe.Memory;
using MiniMe.Memory.Vectors;
using MiniMe.Storage.Sqlite;

namespace MiniMe.Tests.Memory.Vectors;

/// <summary>The HNSW index as the SQLite store uses it: threshold, filters, persistence, repair.</summary>
public sealed class SqliteVectorIndexTests : IDisposable
{
    private const int Dims = 32;
    private const string Model = "test/model:1";
    private readonly TempDirectory _dir = new();
    private readonly float[][] _vectors = TestVectors.Clustered(700, Dims, clusters: 12, seed: 21);

    public void Dispose() => _dir.Dispose();

    private string DbPath => _dir.Combine("memory.db");

    private string IndexPath => $"{DbPath}.{SqliteVectorIndex.FileSafe(Model)}.hnsw";

    private static VectorOptions Ann(int threshold = 0, int m = 8) => new() { AnnThreshold = threshold, M = m, EfConstruction = 80, EfSearch = 64 };

    private static VectorOptions ExactOnly => new() { AnnThreshold = int.MaxValue };

    private static string Hash(int i) => $"h{i:D5}";

    private static int Id(Candidate c) => int.Parse(c.Chunk.ContentHash.AsSpan(1), CultureInfo.InvariantCulture);

    private async Task<SqliteMemoryStore> OpenAsync(VectorOptions options)
    {
        var store = new SqliteMemoryStore(DbPath, options);
        await store.InitializeAsync(CancellationToken.None);
        return store;
    }

    /// <summary>Chunks [from, to): one document per 10 chunks; every 100th block of 10 is domain "rare", else alpha/beta alternating.</summary>
    private async Task WriteAsync(SqliteMemoryStore store, int from, int to)
    {
        var writes = new List<DocumentWrite>();
        for (var d = from / 10; d < to / 10; d++)
        {
            var domain = d % 10 == 3 && d < 10 ? "rare" : d % 2 == 0 ? "alpha" : "beta";
            var chunks = Enumerable.Range(0, 10).Select(o => new ChunkRecord(o, o * 10, o * 10 + 9, $"chunk {d * 10 + o}", Hash(d * 10 + o), null, "t", "")).ToList();
            writes.Add(new DocumentWrite(new DocumentRecord($"/docs/{d}.md", $"doc{d}", 100, DateTimeOffset.UnixEpoch, domain, ["tag" + (d % 3).ToString(CultureInfo.InvariantCulture)]), chunks));
        }
        await store.WriteDocumentsAsync(writes, CancellationToken.None);
        var rows = Enumerable.Range(from, to - from).Select(i => (Hash(i), new ReadOnlyMemory<float>(_vectors[i]))).ToList();
        for (var at = 0; at < rows.Count; at += 32)
            await store.PutEmbeddingsAsync(Model, rows.Skip(at).Take(32).ToList(), CancellationToken.None);
    }

    private static Task<IReadOnlyList<Candidate>> SearchAsync(SqliteMemoryStore store, float[] q, int limit, SearchFilter? filter = null) =>
        store.SearchDenseAsync(Model, q, limit, filter ?? SearchFilter.None, CancellationToken.None);

    [Fact]
    public async Task Index_search_agrees_with_the_exact_scan_and_is_saved_next_to_memory_db()
    {
        await using (var ann = await OpenAsync(Ann()))
        {
            await WriteAsync(ann, 0, 600);
            await using var exact = await OpenAsync(ExactOnly);
            double hits = 0;
            foreach (var q in _vectors[600..700])
            {
                var expected = (await SearchAsync(exact, q, 10)).Select(Id).ToHashSet();
                var found = await SearchAsync(ann, q, 10);
                Assert.Equal(10, found.Count);
                hits += found.Count(c => expected.Contains(Id(c)));
            }
            Assert.True(hits / 1000 >= 0.95, $"recall@10 through the store = {hits / 1000:0.000}");
            var status = Assert.Single(await ann.GetVectorIndexStatusAsync(CancellationToken.None));
            Assert.True(status.UsesIndex);
            Assert.Equal(600, status.IndexedVectors);
        }
        Assert.True(File.Exists(IndexPath));
        using var saved = HnswIndex.Load(IndexPath, Model);
        Assert.Equal(600, saved.Count);
    }

    [Fact]
    public async Task Filters_apply_to_index_results_and_fall_back_to_exact_when_too_few_pass()
    {
        await using var ann = await OpenAsync(Ann());
        await WriteAsync(ann, 0, 600);
        await using var exact = await OpenAsync(ExactOnly);
        var q = _vectors[650];

        var rare = await SearchAsync(ann, q, 10, new SearchFilter("rare"));
        Assert.Equal(10, rare.Count);
        Assert.All(rare, c => Assert.Equal("rare", c.Chunk.Domain));
        Assert.Equal((await SearchAsync(exact, q, 10, new SearchFilter("rare"))).Select(Id), rare.Select(Id));

        var tagged = await SearchAsync(ann, q, 5, new SearchFilter("alpha", ["tag1"]));
        Assert.Equal(5, tagged.Count);
        Assert.All(tagged, c => Assert.True(c.Chunk.Domain == "alpha" && c.Chunk.Tags.Contains("tag1")));
        Assert.Equal((await SearchAsync(exact, q, 5, new SearchFilter("alpha", ["tag1"]))).Select(Id), tagged.Select(Id));

        Assert.Empty(await SearchAsync(ann, q, 5, new SearchFilter("nowhere")));
    }

    [Fact]
    public async Task Below_the_threshold_the_exact_scan_is_used_and_no_file_is_written()
    {
        await using (var store = await OpenAsync(Ann(threshold: 1000)))
        {
            await WriteAsync(store, 0, 300);
            var hits = await SearchAsync(store, _vectors[5], 3);
            Assert.Equal(5, Id(hits[0]));
            Assert.False(Assert.Single(await store.GetVectorIndexStatusAsync(CancellationToken.None)).UsesIndex);
        }
        Assert.False(File.Exists(IndexPath));
    }

    [Fact]
    public async Task Crossing_the_threshold_builds_the_index_and_later_writes_update_it()
    {
        await using (var store = await OpenAsync(Ann(threshold: 250)))
        {
            await WriteAsync(store, 0, 200);
            Assert.Null(Assert.Single(await store.GetVectorIndexStatusAsync(CancellationToken.None)).IndexedVectors);
            await WriteAsync(store, 200, 400);
            var status = Assert.Single(await store.GetVectorIndexStatusAsync(CancellationToken.None));
            Assert.True(status.UsesIndex);
            Assert.Equal(400, status.IndexedVectors);
            Assert.Equal(399, Id((await SearchAsync(store, _vectors[399], 1))[0]));
        }
        using var saved = HnswIndex.Load(IndexPath, Model);
        Assert.Equal(400, saved.Count);
    }

    [Fact]
    public async Task A_corrupt_index_file_is_rebuilt_from_memory_db()
    {
        await using (var store = await OpenAsync(Ann()))
        {
            await WriteAsync(store, 0, 300);
            await SearchAsync(store, _vectors[0], 1);
        }
        var bytes = await File.ReadAllBytesAsync(IndexPath);
        bytes[bytes.Length / 3] ^= 0xFF;
        await File.WriteAllBytesAsync(IndexPath, bytes);

        await using (var store = await OpenAsync(Ann()))
        {
            // The index is approximate and built by parallel inserts (graphs differ run to run): the exact
            // vector must be among the nearest few, not necessarily first, on clustered data with M = 8.
            Assert.Contains(123, (await SearchAsync(store, _vectors[123], 5)).Select(Id));
            var status = Assert.Single(await store.GetVectorIndexStatusAsync(CancellationToken.None));
            Assert.Contains("checksum", status.Problem, StringComparison.Ordinal);
            Assert.Equal(300, status.IndexedVectors);
        }
        using var repaired = HnswIndex.Load(IndexPath, Model);
        Assert.Equal(300, repaired.Count);
    }

    [Fact]
    public async Task A_stale_index_file_catches_up_with_vectors_written_after_it_was_saved()
    {
        await using (var store = await OpenAsync(Ann()))
        {
            await WriteAsync(store, 0, 300);
            await SearchAsync(store, _vectors[0], 1);
        }
        File.Copy(IndexPath, IndexPath + ".old");
        await using (var store = await OpenAsync(Ann()))
            await WriteAsync(store, 300, 400);
        // As if the process had crashed after committing the vectors but before saving the index.
        File.Move(IndexPath + ".old", IndexPath, overwrite: true);

        await using var reopened = await OpenAsync(Ann());
        Assert.Equal(377, Id((await SearchAsync(reopened, _vectors[377], 1))[0]));
        Assert.Equal(400, Assert.Single(await reopened.GetVectorIndexStatusAsync(CancellationToken.None)).IndexedVectors);
    }

    [Fact]
    public async Task Changing_m_in_configuration_rebuilds_the_index()
    {
        await using (var store = await OpenAsync(Ann(m: 8)))
        {
            await WriteAsync(store, 0, 200);
            await SearchAsync(store, _vectors[0], 1);
        }
        await using (var store = await OpenAsync(Ann(m: 12)))
        {
            await SearchAsync(store, _vectors[0], 1);
            Assert.Contains("m=8", Assert.Single(await store.GetVectorIndexStatusAsync(CancellationToken.None)).Problem, StringComparison.Ordinal);
        }
        using var rebuilt = HnswIndex.Load(IndexPath, Model);
        Assert.Equal(12, rebuilt.Options.M);
    }

    [Fact]
    public async Task Rebuild_on_demand_reports_progress_and_replaces_the_file()
    {
        await using var store = await OpenAsync(Ann(threshold: 100_000));
        await WriteAsync(store, 0, 500);
        var reports = new List<VectorIndexProgress>();
        var status = await store.RebuildVectorIndexAsync(Model, new InlineProgress(reports.Add), CancellationToken.None);

        Assert.Equal(500, status.IndexedVectors);
        Assert.False(status.UsesIndex);
        Assert.True(status.IndexFileExists);
        Assert.Contains(reports, r => r.Phase == VectorIndexPhase.Building && r.Done == 500 && r.Total == 500);
        Assert.Equal(500, HnswIndex.Load(IndexPath, Model).Count);
    }

    [Fact]
    public async Task Cli_index_rebuild_and_status()
    {
        var home = _dir.Combine("ws");
        Assert.Equal(0, (await CliRunner.RunAsync("init", "--home", home, "--name", "t")).ExitCode);
        var db = Path.Combine(home, "memory.db");
        await using (var store = new SqliteMemoryStore(db, ExactOnly))
        {
            await store.InitializeAsync(CancellationToken.None);
            await store.PutEmbeddingsAsync(Model, [.. _vectors[..50].Select((v, i) => (Hash(i), new ReadOnlyMemory<float>(v)))], CancellationToken.None);
        }

        var rebuild = await CliRunner.RunAsync("index", "rebuild", "--home", home);
        Assert.Equal(0, rebuild.ExitCode);
        Assert.Contains($"Rebuilt {Model}: 50 vectors", rebuild.Out, StringComparison.Ordinal);
        Assert.Contains("indexed 50/50 (100%)", rebuild.Error, StringComparison.Ordinal);
        Assert.True(File.Exists($"{db}.{SqliteVectorIndex.FileSafe(Model)}.hnsw"));

        var status = await CliRunner.RunAsync("index", "status", "--home", home);
        Assert.Equal(0, status.ExitCode);
        Assert.Contains("50 vectors; searches scan exactly", status.Out, StringComparison.Ordinal);
        var json = await CliRunner.RunAsync("index", "status", "--json", "--home", home);
        Assert.Equal(0, json.ExitCode);
        var statusJson = System.Text.Json.JsonDocument.Parse(json.Out).RootElement;
        Assert.True(statusJson.GetProperty("index_files").GetBoolean());
        var index = Assert.Single(statusJson.GetProperty("indexes").EnumerateArray());
        Assert.Equal((Model, 50L, false, true), (index.GetProperty("model").GetString(), index.GetProperty("vectors").GetInt64(),
            index.GetProperty("uses_index").GetBoolean(), index.GetProperty("index_file_exists").GetBoolean()));

        var unknown = await CliRunner.RunAsync("index", "rebuild", "--model", "nope", "--home", home);
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("No vectors stored for model 'nope'", unknown.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Model_names_become_safe_distinct_file_names()
    {
        Assert.Equal("all-MiniLM-L6-v2", SqliteVectorIndex.FileSafe("all-MiniLM-L6-v2"));
        var a = SqliteVectorIndex.FileSafe("nomic/embed:latest");
        var b = SqliteVectorIndex.FileSafe("nomic_embed_latest");
        Assert.NotEqual(a, b);
        Assert.DoesNotContain('/', a);
        Assert.DoesNotContain(':', a);
        Assert.StartsWith("_.._", SqliteVectorIndex.FileSafe("/../"), StringComparison.Ordinal);
    }

    private sealed class InlineProgress(Action<VectorIndexProgress> report) : IProgress<VectorIndexProgress>
    {
        public void Report(VectorIndexProgress value) => report(value);
    }
}
