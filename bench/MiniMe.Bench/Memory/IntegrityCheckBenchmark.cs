using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using MiniMe.Bench.Support;
using MiniMe.Memory;
using MiniMe.Storage.Sqlite;

namespace MiniMe.Bench.Memory;

/// <summary>
/// What checking memory.db for damage costs when a writer opens it, next to the floor every command
/// pays anyway (open the store and run one search): <c>PRAGMA quick_check</c> and, for reference,
/// <c>PRAGMA integrity_check</c> read every page; the verified-stamp check the store actually runs on
/// an unchanged file reads two file stamps. Warm OS page cache (the file was just written or read).
/// </summary>
public static class IntegrityCheckBenchmark
{
    public static async Task<int> RunAsync(int[] sizes, int runs, CancellationToken cancellationToken)
    {
        var directory = Path.Combine(Path.GetTempPath(), "minime-bench-integrity-" + Environment.ProcessId);
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "memory.db");
        try
        {
            Report.Header($"Damage check at writer open (median of {runs})", "chunks", "db MB", "floor ms", "quick_check ms", "quick/floor", "integrity_check ms", "stamp check ms", "stamp/floor");
            var corpus = new SyntheticCorpus();
            var loaded = 0;
            foreach (var size in sizes.Order())
            {
                await using (var store = new SqliteMemoryStore(path))
                {
                    await store.InitializeAsync(cancellationToken);
                    loaded = await SearchBenchmark.LoadAsync(store, corpus, loaded, size, cancellationToken);
                }
                using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
                {
                    connection.Open();
                    using var checkpoint = connection.CreateCommand();
                    checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
                    checkpoint.ExecuteNonQuery();
                }
                var floor = await MedianAsync(runs, () => FloorAsync(path, cancellationToken));
                var quick = await MedianAsync(runs, () => Pragma(path, "PRAGMA quick_check"));
                var integrity = await MedianAsync(Math.Min(runs, 3), () => Pragma(path, "PRAGMA integrity_check"));
                var database = new SqliteDatabase(path);
                database.CheckIntegrity(); // verifies once and writes the stamp
                var stamp = await MedianAsync(runs, () =>
                {
                    var fresh = new SqliteDatabase(path);
                    if (!fresh.IsVerified()) throw new InvalidOperationException("the stamp of an unchanged file did not match");
                    return Task.CompletedTask;
                });
                var megabytes = new FileInfo(path).Length / 1048576.0;
                Report.Row(size.ToString("N0", CultureInfo.InvariantCulture), megabytes.ToString("0", CultureInfo.InvariantCulture),
                    Stats.Ms(floor), Stats.Ms(quick), Ratio(quick, floor), Stats.Ms(integrity), Stats.Ms(stamp), Ratio(stamp, floor));
            }
            return 0;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static string Ratio(double value, double floor) => (value / floor).ToString(value / floor < 0.01 ? "0.00000" : "0.00", CultureInfo.InvariantCulture) + "×";

    /// <summary>What a command pays without any check: a new store, its initialization (open, WAL, schema version) and one search.</summary>
    private static async Task FloorAsync(string path, CancellationToken cancellationToken)
    {
        SqliteConnection.ClearAllPools();
        await using var store = new SqliteMemoryStore(path);
        await store.InitializeAsync(cancellationToken);
        await store.SearchLexicalAsync("\"retry\" OR \"cache\"", 8, SearchFilter.None, new Bm25Weights(2.5, 1, 0.7), cancellationToken);
    }

    private static Task Pragma(string path, string pragma)
    {
        using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = pragma;
        if (command.ExecuteScalar() as string != "ok") throw new InvalidOperationException($"{pragma} did not answer ok");
        return Task.CompletedTask;
    }

    private static async Task<double> MedianAsync(int runs, Func<Task> action)
    {
        await action(); // warm-up
        var samples = new List<double>(runs);
        for (var i = 0; i < runs; i++)
        {
            var clock = Stopwatch.StartNew();
            await action();
            samples.Add(clock.Elapsed.TotalMilliseconds);
        }
        return Stats.Percentile(samples, 50);
    }
}
