using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Lucene.Net.Analysis;
using Lucene.Net.Analysis.En;
using Lucene.Net.Documents;
using Lucene.Net.Index;
using Lucene.Net.QueryParsers.Classic;
using Lucene.Net.Search;
using Lucene.Net.Search.Similarities;
using Lucene.Net.Util;
using Microsoft.Data.Sqlite;
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
/// store, in a schema of its own that is dropped afterwards. On SQLite the same run also times the peers on the same
/// chunks and queries: Lucene.Net used the simplest way, and FTS5's bm25() on the store's own index.
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
            var sqlite = postgres is null;
            Report.Header($"Search latency (lexical BM25, k=8, {(sqlite ? "SQLite" : "PostgreSQL")}; ratio = MiniMe p50 / peer p50, lower is better)",
                "chunks", "queries", "MiniMe p50 ms", "MiniMe p95 ms", "MiniMe p99 ms",
                "Lucene.Net p50 ms", "Lucene.Net p95 ms", "Lucene.Net + text p50 ms", "FTS5 bm25() p50 ms", "FTS5 p95 ms", "× Lucene.Net", "× Lucene.Net + text", "× FTS5", "db MB", "load s");
            await using IMemoryStore store = sqlite
                ? new SqliteMemoryStore(Path.Combine(directory, "memory.db"))
                : new PostgresMemoryStore(postgres!, PostgresVectorSearch.Exact, schema);
            await store.InitializeAsync(cancellationToken);
            // The peer: Lucene.Net used the simplest way (its EnglishAnalyzer, BM25, 3 fields with the same boosts, top 40), fed the same chunks.
            using var lucene = sqlite ? new LuceneFloor(Path.Combine(directory, "floor-lucene"), new RetrievalOptions()) : null;
            var corpus = new SyntheticCorpus();
            var loaded = 0;
            foreach (var size in sizes.Order())
            {
                var load = Stopwatch.StartNew();
                loaded = await LoadAsync(store, corpus, loaded, size, cancellationToken, lucene is null ? null : lucene.Add);
                var loadSeconds = load.Elapsed.TotalSeconds;
                lucene?.Commit();
                var retriever = new HybridRetriever(store, new RetrievalOptions(), embeddings: null, embeddingModel: null);
                var samples = await MeasureAsync(q => retriever.RetrieveAsync(new RetrievalRequest(q, 8, SearchFilter.None, RetrievalBoosts.None), cancellationToken), queries);
                var megabytes = sqlite
                    ? (StoreBytes(directory) / 1048576.0).ToString("0", CultureInfo.InvariantCulture)
                    : "–";
                string luceneP50 = "–", luceneP95 = "–", textP50 = "–", ftsP50 = "–", ftsP95 = "–", toLucene = "–", toText = "–", toFts = "–";
                var p50 = Stats.Percentile(samples, 50);
                if (sqlite)
                {
                    var luceneSamples = await MeasureAsync(q => { lucene!.Search(q, 40); return Task.CompletedTask; }, queries);
                    // The same, returning what MiniMe returns for each hit: its text (stored fields of the top 40).
                    var textSamples = await MeasureAsync(q => { lucene!.SearchWithText(q, 40); return Task.CompletedTask; }, queries);
                    using var fts = new Fts5Floor(Path.Combine(directory, "memory.db"), new RetrievalOptions());
                    var ftsSamples = await MeasureAsync(q => { fts.Search(q, 40); return Task.CompletedTask; }, queries);
                    luceneP50 = Stats.Ms(Stats.Percentile(luceneSamples, 50));
                    luceneP95 = Stats.Ms(Stats.Percentile(luceneSamples, 95));
                    ftsP50 = Stats.Ms(Stats.Percentile(ftsSamples, 50));
                    ftsP95 = Stats.Ms(Stats.Percentile(ftsSamples, 95));
                    toLucene = (p50 / Stats.Percentile(luceneSamples, 50)).ToString("0.00", CultureInfo.InvariantCulture) + "×";
                    textP50 = Stats.Ms(Stats.Percentile(textSamples, 50));
                    toText = (p50 / Stats.Percentile(textSamples, 50)).ToString("0.00", CultureInfo.InvariantCulture) + "×";
                    toFts = (p50 / Stats.Percentile(ftsSamples, 50)).ToString("0.00", CultureInfo.InvariantCulture) + "×";
                }
                if (store is SqliteMemoryStore { LexicalIndex: { } index })
                {
                    var answered = index.TrySearch(FtsQueryBuilder.Build(new SyntheticCorpus(seed: 7).Query())!, 40, SearchFilter.None, new Bm25Weights(2.5, 1, 0.7), cancellationToken) is not null;
                    if (!answered) Console.Error.WriteLine($"warning: the Lucene index did not answer, MiniMe's figure is FTS5's: {index.Problem}");
                }
                Report.Row(size.ToString("N0", CultureInfo.InvariantCulture), queries,
                    Stats.Ms(p50), Stats.Ms(Stats.Percentile(samples, 95)), Stats.Ms(Stats.Percentile(samples, 99)),
                    luceneP50, luceneP95, textP50, ftsP50, ftsP95, toLucene, toText, toFts,
                    megabytes, loadSeconds.ToString("0.0", CultureInfo.InvariantCulture));
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

    /// <summary>memory.db, its WAL and the index files and folders beside it (not the peer's index).</summary>
    private static long StoreBytes(string directory) =>
        Directory.EnumerateFiles(directory, "memory.db*").Sum(f => new FileInfo(f).Length)
        + Directory.EnumerateDirectories(directory, "memory.db*").SelectMany(d => Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories)).Sum(f => new FileInfo(f).Length);

    /// <summary>The same query sequence for every engine (seed 7): 20 warm-up queries (page cache, statement cache, JIT), then <paramref name="count"/> timed.</summary>
    private static async Task<List<double>> MeasureAsync(Func<string, Task> search, int count)
    {
        var queries = new SyntheticCorpus(seed: 7);
        for (var i = 0; i < 20; i++)
            await search(queries.Query());
        var samples = new List<double>(count);
        for (var i = 0; i < count; i++)
        {
            var query = queries.Query();
            var clock = Stopwatch.StartNew();
            await search(query);
            samples.Add(clock.Elapsed.TotalMilliseconds);
        }
        return samples;
    }

    /// <summary>Raw FTS5: the store's own chunks_fts ranked by bm25() with the same column weights, top N rowids, one prepared statement on one connection.</summary>
    private sealed class Fts5Floor : IDisposable
    {
        private readonly SqliteConnection _connection;
        private readonly SqliteCommand _command;
        private readonly SqliteParameter _match;
        private readonly SqliteParameter _limit;

        public Fts5Floor(string databasePath, RetrievalOptions options)
        {
            _connection = new SqliteConnection($"Data Source={databasePath};Mode=ReadOnly");
            _connection.Open();
            _command = _connection.CreateCommand();
            _command.CommandText = "SELECT rowid, bm25(chunks_fts, $tw, $bw, $sw) AS rank FROM chunks_fts WHERE chunks_fts MATCH $match ORDER BY rank LIMIT $limit";
            _command.Parameters.AddWithValue("$tw", options.TitleWeight);
            _command.Parameters.AddWithValue("$bw", options.BodyWeight);
            _command.Parameters.AddWithValue("$sw", options.SymbolWeight);
            _match = _command.Parameters.Add("$match", SqliteType.Text);
            _limit = _command.Parameters.Add("$limit", SqliteType.Integer);
        }

        public int Search(string query, int limit)
        {
            _match.Value = FtsQueryBuilder.Build(query);
            _limit.Value = limit;
            var rows = 0;
            using var reader = _command.ExecuteReader();
            while (reader.Read()) rows++;
            return rows;
        }

        public void Dispose()
        {
            _command.Dispose();
            _connection.Dispose();
        }
    }

    /// <summary>
    /// Lucene.Net 4.8 the simplest way: an FSDirectory index of title/body/symbols with its EnglishAnalyzer, BM25Similarity,
    /// MultiFieldQueryParser with the same per-field boosts, top N; the searcher opened once. Title and body are stored, so
    /// the "+ text" variant returns each hit's text as MiniMe does.
    /// </summary>
    private sealed class LuceneFloor : IDisposable
    {
        private static readonly string[] Fields = ["title", "body", "symbols"];
        private readonly Lucene.Net.Store.FSDirectory _directory;
        private readonly Analyzer _analyzer = new EnglishAnalyzer(LuceneVersion.LUCENE_48);
        private readonly IndexWriter _writer;
        private readonly MultiFieldQueryParser _parser;
        private DirectoryReader? _reader;
        private IndexSearcher? _searcher;

        public LuceneFloor(string path, RetrievalOptions options)
        {
            _directory = Lucene.Net.Store.FSDirectory.Open(path);
            _writer = new IndexWriter(_directory, new IndexWriterConfig(LuceneVersion.LUCENE_48, _analyzer)
            {
                OpenMode = OpenMode.CREATE,
                Similarity = new BM25Similarity(),
                RAMBufferSizeMB = 64,
            });
            var boosts = new Dictionary<string, float>
            {
                ["title"] = (float)options.TitleWeight,
                ["body"] = (float)options.BodyWeight,
                ["symbols"] = (float)options.SymbolWeight,
            };
            _parser = new MultiFieldQueryParser(LuceneVersion.LUCENE_48, Fields, _analyzer, boosts);
        }

        public void Add(ChunkRecord chunk) => _writer.AddDocument(
        [
            new TextField("title", chunk.Title, Field.Store.YES),
            new TextField("body", chunk.Text, Field.Store.YES),
            new TextField("symbols", chunk.Symbols, Field.Store.NO),
        ]);

        public void Commit()
        {
            _writer.Commit();
            _reader?.Dispose();
            _reader = DirectoryReader.Open(_directory);
            _searcher = new IndexSearcher(_reader) { Similarity = new BM25Similarity() };
        }

        public int Search(string query, int limit) => _searcher!.Search(_parser.Parse(QueryParserBase.Escape(query)), limit).ScoreDocs.Length;

        /// <summary>The top hits with their stored title and text, as a Lucene.Net application shows results.</summary>
        public int SearchWithText(string query, int limit)
        {
            var characters = 0;
            foreach (var hit in _searcher!.Search(_parser.Parse(QueryParserBase.Escape(query)), limit).ScoreDocs)
            {
                var document = _searcher.Doc(hit.Doc);
                characters += document.Get("title").Length + document.Get("body").Length;
            }
            return characters;
        }

        public void Dispose()
        {
            _reader?.Dispose();
            _writer.Dispose();
            _analyzer.Dispose();
            _directory.Dispose();
        }
    }

    /// <summary>Adds chunks [from, to) of the synthetic corpus (10 per document, 150 words each) in batches of 200 documents.</summary>
    internal static async Task<int> LoadAsync(IMemoryStore store, SyntheticCorpus corpus, int from, int to, CancellationToken cancellationToken, Action<ChunkRecord>? alsoTo = null)
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
                alsoTo?.Invoke(chunks[^1]);
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
