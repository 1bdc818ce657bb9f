using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using MiniMe.Bench.Support;
using MiniMe.Configuration;
using MiniMe.Memory;
using MiniMe.Memory.Lexical;
using MiniMe.Memory.Retrieval;
using MiniMe.Storage.Postgres;
using MiniMe.Storage.Sqlite;
using Npgsql;

namespace MiniMe.Bench.Memory;

/// <summary>
/// Search latency of the embedded default (SQLite FTS5 BM25 through the HybridRetriever, exactly what
/// `minime search` runs) at growing corpus sizes; with --postgres CONNECTION the same on the PostgreSQL
/// store, in a schema of its own that is dropped afterwards.
/// </summary>
public static class SearchBenchmark
{
    private const int ChunksPerDocument = 10;
    private const int WordsPerChunk = 150;

    public static async Task<int> RunAsync(int[] sizes, int queries, string? postgres, CancellationToken cancellationToken)
    {
        var directory = Path.Combine(Path.GetTempPath(), "minime-bench-search-" + Environment.ProcessId);
        var schema = "minime_bench_" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Directory.CreateDirectory(directory);
        try
        {
            Report.Header($"Search latency (lexical BM25, k=8, {(postgres is null ? "SQLite" : "PostgreSQL")})", "chunks", "queries", "p50 ms", "p95 ms", "p99 ms", "db MB", "load s");
            await using IMemoryStore store = postgres is null
                ? new SqliteMemoryStore(Path.Combine(directory, "memory.db"))
                : new PostgresMemoryStore(postgres, PostgresVectorSearch.Exact, schema);
            await store.InitializeAsync(cancellationToken);
            var corpus = new SyntheticCorpus();
            var loaded = 0;
            foreach (var size in sizes.Order())
            {
                var load = Stopwatch.StartNew();
                loaded = await LoadAsync(store, corpus, loaded, size, cancellationToken);
                var loadSeconds = load.Elapsed.TotalSeconds;
                var retriever = new HybridRetriever(store, new RetrievalOptions(), embeddings: null, embeddingModel: null);
                var samples = await MeasureAsync(retriever, new SyntheticCorpus(seed: 7), queries, cancellationToken);
                var megabytes = postgres is null
                    ? (Directory.EnumerateFiles(directory).Sum(f => new FileInfo(f).Length) / 1048576.0).ToString("0", System.Globalization.CultureInfo.InvariantCulture)
                    : "–";
                Report.Row(size.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), queries,
                    Stats.Ms(Stats.Percentile(samples, 50)), Stats.Ms(Stats.Percentile(samples, 95)), Stats.Ms(Stats.Percentile(samples, 99)),
                    megabytes, loadSeconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture));
            }
            return 0;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
            if (postgres is not null)
            {
                await using var connection = new NpgsqlConnection(postgres);
                await connection.OpenAsync(CancellationToken.None);
                await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE", connection);
                await drop.ExecuteNonQueryAsync(CancellationToken.None);
            }
        }
    }

    private static async Task<List<double>> MeasureAsync(HybridRetriever retriever, SyntheticCorpus queries, int count, CancellationToken cancellationToken)
    {
        for (var i = 0; i < 20; i++) // warm-up: page cache, statement cache, JIT
            await retriever.RetrieveAsync(new RetrievalRequest(queries.Query(), 8, SearchFilter.None, RetrievalBoosts.None), cancellationToken);
        var samples = new List<double>(count);
        for (var i = 0; i < count; i++)
        {
            var request = new RetrievalRequest(queries.Query(), 8, SearchFilter.None, RetrievalBoosts.None);
            var clock = Stopwatch.StartNew();
            await retriever.RetrieveAsync(request, cancellationToken);
            samples.Add(clock.Elapsed.TotalMilliseconds);
        }
        return samples;
    }

    /// <summary>Adds chunks [from, to) of the synthetic corpus (10 per document, 150 words each) in batches of 200 documents.</summary>
    internal static async Task<int> LoadAsync(IMemoryStore store, SyntheticCorpus corpus, int from, int to, CancellationToken cancellationToken)
    {
        var batch = new List<DocumentWrite>();
        for (var chunkIndex = from; chunkIndex < to; chunkIndex += ChunksPerDocument)
        {
            var source = $"/bench/doc{chunkIndex / ChunksPerDocument:D6}.md";
            var chunks = new List<ChunkRecord>(ChunksPerDocument);
            var offset = 0;
            for (var c = 0; c < ChunksPerDocument; c++)
            {
                var text = corpus.Paragraph(WordsPerChunk);
                chunks.Add(new ChunkRecord(c, offset, offset + text.Length, text, Hash(text), null, SymbolExtractor.TitleFromPath(source), SymbolExtractor.Extract(text)));
                offset += text.Length + 2;
            }
            batch.Add(new DocumentWrite(new DocumentRecord(source, Hash(source), offset, DateTimeOffset.UtcNow, chunkIndex % 3 == 0 ? "backend" : "general", []), chunks));
            if (batch.Count == 200)
            {
                await store.WriteDocumentsAsync(batch, cancellationToken);
                batch.Clear();
            }
        }
        if (batch.Count > 0) await store.WriteDocumentsAsync(batch, cancellationToken);
        return to;
    }

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
