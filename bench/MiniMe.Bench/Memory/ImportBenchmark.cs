using System.Globalization;
using MiniMe.Bench.Support;
using MiniMe.Configuration;
using MiniMe.Masks;
using MiniMe.Memory;
using MiniMe.Memory.Import;
using MiniMe.Storage.Sqlite;

namespace MiniMe.Bench.Memory;

/// <summary>Import throughput of `minime import` (walk, read, decode, chunk, classify, store) on Markdown files.</summary>
public static class ImportBenchmark
{
    public static async Task<int> RunAsync(int files, CancellationToken cancellationToken)
    {
        var directory = Path.Combine(Path.GetTempPath(), "minime-bench-import-" + Environment.ProcessId);
        var corpusDirectory = Path.Combine(directory, "corpus");
        Directory.CreateDirectory(corpusDirectory);
        try
        {
            var corpus = new SyntheticCorpus(seed: 11);
            long bytes = 0;
            for (var i = 0; i < files; i++)
            {
                var folder = Path.Combine(corpusDirectory, $"d{i / 200:D3}");
                Directory.CreateDirectory(folder);
                var text = $"# Note {i}\n\n" + string.Join("\n\n", Enumerable.Range(0, 8).Select(_ => corpus.Paragraph(90)));
                var path = Path.Combine(folder, $"note{i:D5}.md");
                await File.WriteAllTextAsync(path, text, cancellationToken);
                bytes += text.Length;
            }

            Report.Header("Import throughput (`minime import`, fresh store; floor = the same rows written the simplest way, in one prepared transaction; ratio = floor chunks/s / MiniMe chunks/s, lower is better)",
                "lexical engine", "files", "MB", "chunks", "seconds", "chunks/s", "re-import s (unchanged)", "store writes alone chunks/s", "floor", "floor chunks/s", "ratio");
            var rc = 0;
            // fts5: what a one-shot `minime import` writes (memory.lexical auto); lucene: the server's import, which also feeds memory.db.lexical.
            foreach (var engine in new[] { SqliteLexicalEngine.Fts5, SqliteLexicalEngine.Lucene })
            {
                var databasePath = Path.Combine(directory, $"memory-{engine}.db");
                ImportReport first, second;
                await using (var store = new SqliteMemoryStore(databasePath, lexicalEngine: engine))
                {
                    await store.InitializeAsync(cancellationToken);
                    var importer = new Importer(store, new ImportOptions(), new KeywordTaskClassifier());
                    first = await importer.ImportAsync(new ImportRequest(corpusDirectory), null, cancellationToken);
                    second = await importer.ImportAsync(new ImportRequest(corpusDirectory), null, cancellationToken);
                }
                var seconds = first.Elapsed.TotalSeconds;
                var rows = ImportFloor.ReadRows(databasePath);
                var floor = await ImportFloor.WriteSqliteAsync(Path.Combine(directory, $"floor-{engine}.db"), rows, cancellationToken);
                if (engine == SqliteLexicalEngine.Lucene) floor += ImportFloor.WriteLucene(Path.Combine(directory, "floor-lucene"), rows);
                var storeOnly = await StoreWritesAsync(Path.Combine(directory, $"store-{engine}.db"), engine, rows, cancellationToken);
                var chunks = rows.Sum(r => r.Chunks.Count);
                var floorRate = chunks / floor.TotalSeconds;
                var rate = first.ChunksAdded / seconds;
                Report.Row(engine.ToString().ToLowerInvariant(), files, (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture), first.ChunksAdded,
                    seconds.ToString("0.00", CultureInfo.InvariantCulture), rate.ToString("N0", CultureInfo.InvariantCulture),
                    second.Elapsed.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture),
                    (chunks / storeOnly.TotalSeconds).ToString("N0", CultureInfo.InvariantCulture),
                    engine == SqliteLexicalEngine.Lucene ? "SQLite + Lucene" : "SQLite", floorRate.ToString("N0", CultureInfo.InvariantCulture),
                    (floorRate / rate).ToString("0.00", CultureInfo.InvariantCulture) + "×");
                if (!(first.ChunksAdded > 0 && second.ChunksAdded == 0 && chunks == first.ChunksAdded)) rc = 1;
            }
            return rc;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>The store's own share: the same rows written through SqliteMemoryStore in the importer's batches of 64 documents, nothing read or chunked.</summary>
    private static async Task<TimeSpan> StoreWritesAsync(string path, SqliteLexicalEngine engine, List<DocumentWrite> rows, CancellationToken cancellationToken)
    {
        await using var store = new SqliteMemoryStore(path, lexicalEngine: engine);
        await store.InitializeAsync(cancellationToken);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        foreach (var batch in rows.Chunk(64))
            await store.WriteDocumentsAsync(batch, cancellationToken);
        await store.DisposeAsync();   // the Lucene writer commits on dispose: part of the work
        return clock.Elapsed;
    }
}
