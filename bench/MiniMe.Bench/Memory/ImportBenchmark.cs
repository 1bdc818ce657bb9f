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

            Report.Header("Import throughput (`minime import`, fresh store; floor = the same rows written the simplest way; ratio = floor chunks/s / MiniMe chunks/s, lower is better)",
                "files", "MB", "chunks", "seconds", "chunks/s", "files/s", "re-import s (unchanged)",
                "floor SQLite chunks/s", "floor SQLite + Lucene chunks/s", "× floor (SQLite + Lucene)");
            var databasePath = Path.Combine(directory, "memory.db");
            ImportReport first, second;
            await using (var store = new SqliteMemoryStore(databasePath))
            {
                await store.InitializeAsync(cancellationToken);
                var importer = new Importer(store, new ImportOptions(), new KeywordTaskClassifier());
                first = await importer.ImportAsync(new ImportRequest(corpusDirectory), null, cancellationToken);
                second = await importer.ImportAsync(new ImportRequest(corpusDirectory), null, cancellationToken);
            }
            var seconds = first.Elapsed.TotalSeconds;
            var rows = ImportFloor.ReadRows(databasePath);
            var floorSqlite = await ImportFloor.WriteSqliteAsync(Path.Combine(directory, "floor-sqlite.db"), rows, cancellationToken);
            var floorLucene = ImportFloor.WriteLucene(Path.Combine(directory, "floor-lucene"), rows);
            var chunks = rows.Sum(r => r.Chunks.Count);
            var floorRate = chunks / (floorSqlite + floorLucene).TotalSeconds;
            var rate = first.ChunksAdded / seconds;
            Report.Row(files, (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture), first.ChunksAdded, seconds.ToString("0.00", CultureInfo.InvariantCulture),
                rate.ToString("N0", CultureInfo.InvariantCulture), (files / seconds).ToString("N0", CultureInfo.InvariantCulture),
                second.Elapsed.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture),
                (chunks / floorSqlite.TotalSeconds).ToString("N0", CultureInfo.InvariantCulture), floorRate.ToString("N0", CultureInfo.InvariantCulture),
                (floorRate / rate).ToString("0.00", CultureInfo.InvariantCulture) + "×");
            return first.ChunksAdded > 0 && second.ChunksAdded == 0 && chunks == first.ChunksAdded ? 0 : 1;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
