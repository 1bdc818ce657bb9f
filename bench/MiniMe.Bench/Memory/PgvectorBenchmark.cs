using System.Diagnostics;
using System.Globalization;
using MiniMe.Bench.Ann;
using MiniMe.Bench.Support;
using MiniMe.Configuration;
using MiniMe.Memory;
using MiniMe.Storage.Postgres;
using MiniMe.Storage.Sqlite;
using MiniMe.Tests.Support;
using Npgsql;

namespace MiniMe.Bench.Memory;

/// <summary>
/// Dense search on PostgreSQL, on the same 384-dimension vectors (MiniLM's size, clustered like
/// sentence embeddings): MiniMe's exact paths, its pgvector HNSW index over vector and over halfvec
/// (vectors.halfPrecision), and the SQLite store's own index. The floor is the bare pgvector query (nearest ids only, no chunk join)
/// on the same index; recall@10 is against the exact top 10 computed in memory. The cluster is a
/// throwaway one, started like the tests' (<see cref="PostgresCluster"/>).
/// </summary>
public static class PgvectorBenchmark
{
    private const string Model = "bench-384";
    private const int Dims = 384;
    private const int K = 10;
    private const int ChunksPerDocument = 100;

    public static async Task<int> RunAsync(int[] sizes, int queries, int efSearch, CancellationToken cancellationToken)
    {
        if (PostgresBinaries.PgvectorSkipReason is { } reason)
        {
            Console.Error.WriteLine($"pgvector benchmark: {reason} (scripts/build-pgvector.sh installs it)");
            return 1;
        }
        // Room for an in-memory HNSW build at 100k x 384 (pgvector warns and slows down past maintenance_work_mem).
        await using var cluster = await PostgresCluster.StartAsync(PostgresBinaries.Found!,
            ["maintenance_work_mem = '1GB'", "shared_buffers = '512MB'", "max_parallel_maintenance_workers = 1"]);
        var options = new VectorOptions { EfSearch = efSearch };
        Console.WriteLine();
        Console.WriteLine($"HNSW m={options.M}, ef_construction={options.EfConstruction}, ef_search={options.EfSearch}; {queries} queries after 10 warm-up; k={K}");
        Report.Header("Dense search, 384 dims (PostgreSQL exact / HNSW vector / HNSW halfvec, SQLite HNSW)",
            "chunks", "path", "index MB", "build s", $"recall@{K}", "p50 ms", "p95 ms", "floor p50 ms", "p50/floor");
        foreach (var size in sizes.Order())
            await RunSizeAsync(cluster, size, queries, options, cancellationToken);
        return 0;
    }

    private static async Task RunSizeAsync(PostgresCluster cluster, int size, int queryCount, VectorOptions options, CancellationToken ct)
    {
        var generator = new SyntheticVectors(Dims, Math.Clamp(size / 1000, 32, 4096), seed: 42);
        var data = new float[(long)size * Dims];
        generator.Fill(data, size, stream: 1, ct);
        var queries = new float[(queryCount + 10) * Dims];
        generator.Fill(queries, queryCount + 10, stream: 2, ct);
        var truth = AnnBenchmark.ExactTopK(data, size, queries.AsSpan(10 * Dims).ToArray(), queryCount, Dims, K, ct);
        var documents = Documents(size);
        var vectors = Enumerable.Range(0, size).Select(n => (Hash(n), (ReadOnlyMemory<float>)data.AsMemory(n * Dims, Dims))).ToList();

        var connectionString = await cluster.CreateDatabaseAsync();
        try
        {
            var load = Stopwatch.StartNew();
            await using (var loader = new PostgresMemoryStore(connectionString, PostgresVectorSearch.Exact))
            {
                await loader.InitializeAsync(ct);
                foreach (var batch in documents.Chunk(20)) await loader.WriteDocumentsAsync(batch, ct);
                foreach (var batch in vectors.Chunk(1000)) await loader.PutEmbeddingsAsync(Model, batch, ct);
            }
            Console.Error.WriteLine($"pgvector bench: {size:N0} chunks with vectors loaded into PostgreSQL in {load.Elapsed.TotalSeconds:0.0}s");

            // Opening with pgvector builds the index over the loaded vectors (m and ef_construction from vectors.*).
            var build = Stopwatch.StartNew();
            await using var pgExact = new PostgresMemoryStore(connectionString, PostgresVectorSearch.Pgvector, vectors: Copy(options, int.MaxValue, half: false));
            await pgExact.InitializeAsync(ct);
            var vectorBuild = build.Elapsed.TotalSeconds;
            await using var sql = new NpgsqlConnection(connectionString);
            await sql.OpenAsync(ct);
            var vectorMb = await IndexMegabytesAsync(sql, ct);

            await using (var arrayExact = new PostgresMemoryStore(connectionString, PostgresVectorSearch.Exact))
            {
                await arrayExact.InitializeAsync(ct);
                // Seconds per query: a handful is enough to show it.
                var arrayRun = await MeasureStoreAsync(arrayExact, queries, Math.Clamp(200_000 / size, 5, queryCount), truth, ct);
                Row(size, "PostgreSQL exact, float4[] dot product (no pgvector)", "—", "—", arrayRun, null);
            }
            var exactFloor = await MeasureSqlAsync(sql, "vector", options.EfSearch, queries, queryCount, truth, indexScans: false, ct);
            Row(size, "PostgreSQL exact, pgvector distance scan", "—", "—", await MeasureStoreAsync(pgExact, queries, queryCount, truth, ct), exactFloor);

            await using (var full = new PostgresMemoryStore(connectionString, PostgresVectorSearch.Pgvector, vectors: Copy(options, 0, half: false)))
            {
                await full.InitializeAsync(ct);
                var floor = await MeasureSqlAsync(sql, "vector", options.EfSearch, queries, queryCount, truth, indexScans: true, ct);
                Row(size, "PostgreSQL HNSW vector (vectors.halfPrecision false)", Mb(vectorMb), Seconds(vectorBuild), await MeasureStoreAsync(full, queries, queryCount, truth, ct), floor);
            }

            // Opening with halfPrecision rebuilds the index over halfvec.
            build.Restart();
            await using (var half = new PostgresMemoryStore(connectionString, PostgresVectorSearch.Pgvector, vectors: Copy(options, 0, half: true)))
            {
                await half.InitializeAsync(ct);
                var halfBuild = build.Elapsed.TotalSeconds;
                var halfMb = await IndexMegabytesAsync(sql, ct);
                var floor = await MeasureSqlAsync(sql, "halfvec", options.EfSearch, queries, queryCount, truth, indexScans: true, ct);
                Row(size, "PostgreSQL HNSW halfvec (vectors.halfPrecision true)", Mb(halfMb), Seconds(halfBuild), await MeasureStoreAsync(half, queries, queryCount, truth, ct), floor);
            }

            var sqliteRun = await MeasureSqliteAsync(documents, vectors, options, queries, queryCount, truth, ct);
            Row(size, "SQLite HNSW (memory.db.<model>.hnsw)", Mb(sqliteRun.IndexMb), Seconds(sqliteRun.BuildSeconds), sqliteRun.Run, null);
        }
        finally
        {
            await cluster.DropDatabaseAsync(connectionString);
        }
    }

    private sealed record Run(double Recall, double P50, double P95);

    private static void Row(int size, string path, string indexMb, string build, Run run, Run? floor) =>
        Report.Row(size.ToString("N0", CultureInfo.InvariantCulture), path, indexMb, build, Recall(run.Recall),
            Stats.Ms(run.P50), Stats.Ms(run.P95),
            floor is null ? "—" : Stats.Ms(floor.P50),
            floor is null ? "—" : (run.P50 / floor.P50).ToString("0.00", CultureInfo.InvariantCulture) + "×");

    private static string Recall(double value) => value.ToString("0.000", CultureInfo.InvariantCulture);

    private static string Mb(double value) => value.ToString("0.0", CultureInfo.InvariantCulture);

    private static string Seconds(double value) => value.ToString("0.0", CultureInfo.InvariantCulture);

    private static VectorOptions Copy(VectorOptions options, int annThreshold, bool half) => new()
    {
        AnnThreshold = annThreshold,
        HalfPrecision = half,
        M = options.M,
        EfConstruction = options.EfConstruction,
        EfSearch = options.EfSearch,
    };

    private static string Hash(int n) => "v" + n.ToString(CultureInfo.InvariantCulture);

    private static List<DocumentWrite> Documents(int size)
    {
        var now = DateTimeOffset.UtcNow;
        return Enumerable.Range(0, (size + ChunksPerDocument - 1) / ChunksPerDocument).Select(d =>
        {
            var first = d * ChunksPerDocument;
            var chunks = Enumerable.Range(first, Math.Min(ChunksPerDocument, size - first))
                .Select(n => new ChunkRecord(n - first, 0, 10, $"chunk {n}", Hash(n), null, $"doc {d}", ""))
                .ToList();
            return new DocumentWrite(new DocumentRecord($"/bench/{d}.md", $"doc{d}", 1000, now, "general", []), chunks);
        }).ToList();
    }

    private static double RecallOf(IEnumerable<string> hashes, int[] truth)
    {
        var expected = truth.Select(Hash).ToHashSet(StringComparer.Ordinal);
        return hashes.Count(expected.Contains) / (double)K;
    }

    private static ReadOnlyMemory<float> Query(float[] queries, int index) => queries.AsMemory(index * Dims, Dims);

    /// <summary>Ten warm-up queries (not measured), then <paramref name="count"/> measured ones through the store.</summary>
    private static async Task<Run> MeasureStoreAsync(IMemoryStore store, float[] queries, int count, int[][] truth, CancellationToken ct)
    {
        for (var i = 0; i < 10; i++) await store.SearchDenseAsync(Model, Query(queries, i), K, SearchFilter.None, ct);
        var samples = new List<double>(count);
        var recall = 0.0;
        for (var i = 0; i < count; i++)
        {
            var clock = Stopwatch.StartNew();
            var hits = await store.SearchDenseAsync(Model, Query(queries, i + 10), K, SearchFilter.None, ct);
            samples.Add(clock.Elapsed.TotalMilliseconds);
            recall += RecallOf(hits.Select(h => h.Chunk.ContentHash), truth[i]);
        }
        return new Run(recall / count, Stats.Percentile(samples, 50), Stats.Percentile(samples, 95));
    }

    /// <summary>The bare nearest-neighbour query of one element type, in a transaction with ef_search set (or index scans off: the exact scan).</summary>
    private static async Task<Run> MeasureSqlAsync(
        NpgsqlConnection connection, string type, int efSearch, float[] queries, int count, int[][] truth, bool indexScans, CancellationToken ct)
    {
        var samples = new List<double>(count);
        var recall = 0.0;
        for (var i = -10; i < count; i++)
        {
            var clock = Stopwatch.StartNew();
            await using var transaction = await connection.BeginTransactionAsync(ct);
            await ExecuteAsync(connection, transaction,
                $"SET LOCAL hnsw.ef_search = {efSearch.ToString(CultureInfo.InvariantCulture)}; SET LOCAL enable_indexscan = {(indexScans ? "on" : "off")}", ct);
            await using var command = new NpgsqlCommand(
                $"SELECT content_hash FROM embeddings WHERE dims = {Dims} AND model = $1 " +
                $"ORDER BY (vector::{type}({Dims})) <=> $2::real[]::{type}({Dims}) LIMIT {K}", connection, transaction);
            command.Parameters.AddWithValue(Model);
            command.Parameters.AddWithValue(Query(queries, i + 10).ToArray());
            var hashes = new List<string>(K);
            await using (var reader = await command.ExecuteReaderAsync(ct))
                while (await reader.ReadAsync(ct)) hashes.Add(reader.GetString(0));
            await transaction.CommitAsync(ct);
            if (i < 0) continue;
            samples.Add(clock.Elapsed.TotalMilliseconds);
            recall += RecallOf(hashes, truth[i]);
        }
        return new Run(recall / count, Stats.Percentile(samples, 50), Stats.Percentile(samples, 95));
    }

    private sealed record SqliteRun(Run Run, double IndexMb, double BuildSeconds);

    private static async Task<SqliteRun> MeasureSqliteAsync(
        List<DocumentWrite> documents, List<(string, ReadOnlyMemory<float>)> vectors, VectorOptions options,
        float[] queries, int count, int[][] truth, CancellationToken ct)
    {
        var directory = Path.Combine(Path.GetTempPath(), "minime-bench-pgvector-" + Environment.ProcessId);
        Directory.CreateDirectory(directory);
        try
        {
            var path = Path.Combine(directory, "memory.db");
            double buildSeconds;
            Run run;
            await using (var store = new SqliteMemoryStore(path, Copy(options, 0, half: false)))
            {
                await store.InitializeAsync(ct);
                foreach (var batch in documents.Chunk(20)) await store.WriteDocumentsAsync(batch, ct);
                var build = Stopwatch.StartNew();
                foreach (var batch in vectors.Chunk(1000)) await store.PutEmbeddingsAsync(Model, batch, ct);
                await store.SearchDenseAsync(Model, Query(queries, 0), K, SearchFilter.None, ct);
                buildSeconds = build.Elapsed.TotalSeconds;
                run = await MeasureStoreAsync(store, queries, count, truth, ct);
            }
            var indexBytes = Directory.EnumerateFiles(directory, "*.hnsw").Sum(f => new FileInfo(f).Length);
            return new SqliteRun(run, indexBytes / 1048576.0, buildSeconds);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<double> IndexMegabytesAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT pg_relation_size(to_regclass($1))", connection);
        command.Parameters.AddWithValue(VectorSearchPath.IndexName(Dims));
        return (long)(await command.ExecuteScalarAsync(ct))! / 1048576.0;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(ct);
    }
}
