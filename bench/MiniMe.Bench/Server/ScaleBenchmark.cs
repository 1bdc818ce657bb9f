using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using MiniMe.Bench.Support;
using MiniMe.Configuration;
using MiniMe.Server.Storage;
using MiniMe.Tests.Support;
using Npgsql;

namespace MiniMe.Bench.Server;

/// <summary>
/// Scale-out (issue 17): the <see cref="ServerBenchmark"/> chat load (POST /v1/chat, instant model,
/// an imported corpus) against one `minime serve` over PostgreSQL, two over the same workspace folder
/// and the same database (clients split evenly, same total concurrency), and one over SQLite as the
/// reference. The two instances run in this process, each with its own connection pools (as two
/// processes would have). After each PostgreSQL load the stored chat messages are counted: every
/// successful chat must have left exactly two rows. CPU seconds of this process (clients and
/// servers) and of the PostgreSQL cluster show where the time goes on a small machine.
///   scale [--requests 1500] [--concurrency 8] [--seconds 40] [--docs 200]
/// </summary>
public static class ScaleBenchmark
{
    private sealed record Outcome(string Setup, TimeSpan Elapsed, List<double> Samples, double BenchCpu, double? PostgresCpu);

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var requests = ServerBenchmark.Option(args, "--requests", 1500);
        var concurrency = ServerBenchmark.Option(args, "--concurrency", 8);
        var seconds = ServerBenchmark.Option(args, "--seconds", 40);
        var docs = ServerBenchmark.Option(args, "--docs", 200);
        if (PostgresBinaries.SkipReason is { } reason)
        {
            Console.Error.WriteLine($"scale benchmark: {reason}");
            return 1;
        }
        await using var cluster = await PostgresCluster.StartAsync(PostgresBinaries.Found!);
        Console.WriteLine();
        Console.WriteLine($"PostgreSQL {PostgresBinaries.Found!.Version}: a throwaway cluster on 127.0.0.1 with the test fixture's settings " +
            "(fsync off, synchronous_commit off, full_page_writes off: commits cost no disk flush, unlike SQLite's); " +
            $"one fresh database per setup; {ServerBenchmark.WarmUpRequests} warm-up chats per instance before each load.");

        var load = new Load(requests, concurrency, TimeSpan.FromSeconds(seconds), docs);
        var checks = new List<string>();
        var outcomes = new List<Outcome>
        {
            await RunSetupAsync("one instance, PostgreSQL", cluster, instances: 1, load, checks, cancellationToken),
            await RunSetupAsync("two instances, one PostgreSQL", cluster, instances: 2, load, checks, cancellationToken),
            await RunSetupAsync("one instance, SQLite (reference)", null, instances: 1, load, checks, cancellationToken),
        };

        var baseline = outcomes[0].Samples.Count / outcomes[0].Elapsed.TotalSeconds;
        Report.Header($"POST /v1/chat over one PostgreSQL (instant model, {concurrency} concurrent clients in all, {docs} documents in memory)",
            "setup", "requests", "seconds", "req/s", "p50 ms", "p99 ms", "vs one PostgreSQL", "bench CPU s", "PostgreSQL CPU s");
        foreach (var o in outcomes)
        {
            var rate = o.Samples.Count / o.Elapsed.TotalSeconds;
            Report.Row(o.Setup, o.Samples.Count, o.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture),
                rate.ToString("0", CultureInfo.InvariantCulture),
                Stats.Ms(Stats.Percentile(o.Samples, 50)), Stats.Ms(Stats.Percentile(o.Samples, 99)),
                (rate / baseline).ToString("0.00", CultureInfo.InvariantCulture) + "×",
                o.BenchCpu.ToString("0.0", CultureInfo.InvariantCulture),
                o.PostgresCpu is { } pg ? pg.ToString("0.0", CultureInfo.InvariantCulture) : "—");
        }
        Console.WriteLine();
        Console.WriteLine($"CPU seconds over the measured load: bench = this process (clients and servers), PostgreSQL = the cluster's processes; the machine has {Environment.ProcessorCount} cores.");
        foreach (var check in checks) Console.WriteLine(check);
        return checks.Any(c => c.Contains("MISMATCH", StringComparison.Ordinal)) ? 1 : 0;
    }

    private sealed record Load(int Requests, int Concurrency, TimeSpan Limit, int Docs);

    /// <param name="cluster">Null: the SQLite default (memory.db and server.db in the workspace).</param>
    private static async Task<Outcome> RunSetupAsync(
        string setup, PostgresCluster? cluster, int instances, Load load, List<string> checks, CancellationToken cancellationToken)
    {
        var home = Path.Combine(Path.GetTempPath(), $"minime-bench-scale-{Environment.ProcessId}-{instances}-{(cluster is null ? "sqlite" : "pg")}");
        var workspace = ServerBenchmark.CreateWorkspace(home);
        var connectionString = cluster is null ? null : await cluster.CreateDatabaseAsync();
        var apps = new List<WebApplication>();
        var clients = new List<HttpClient>();
        try
        {
            for (var i = 0; i < instances; i++)
                apps.Add(await ServerBenchmark.StartAsync(workspace, Options(workspace, connectionString, instances, i), cancellationToken));
            var key = ServerBenchmark.CreateKey(apps[0]);
            clients.AddRange(apps.Select(app => ServerBenchmark.Client(app, (load.Concurrency + instances - 1) / instances, key)));
            await ServerBenchmark.ImportCorpusAsync(clients[0], load.Docs, cancellationToken);
            foreach (var http in clients) await ServerBenchmark.WarmUpAsync(http, cancellationToken);

            var postgres = connectionString is null ? null : await PostgresCpu.FindAsync(connectionString, cancellationToken);
            var benchStart = Process.GetCurrentProcess().TotalProcessorTime;
            var postgresStart = postgres?.Seconds();
            var (samples, elapsed) = await ServerBenchmark.LoadAsync(clients, load.Requests, load.Concurrency, load.Limit, cancellationToken);
            var benchCpu = (Process.GetCurrentProcess().TotalProcessorTime - benchStart).TotalSeconds;
            var postgresCpu = postgres?.Seconds() - postgresStart;
            Console.Error.WriteLine($"scale bench: {setup}: {samples.Count} chats in {elapsed.TotalSeconds:0.0}s");

            if (connectionString is not null)
            {
                var chats = samples.Count + instances * ServerBenchmark.WarmUpRequests;
                var stored = await CountMessagesAsync(connectionString, cancellationToken);
                checks.Add($"{setup}: {stored} rows in {PostgresServerDatabase.SchemaName}.messages for {chats} successful chats " +
                    $"({samples.Count} measured + {instances * ServerBenchmark.WarmUpRequests} warm-up), expected {2 * chats}: " +
                    (stored == 2L * chats ? "ok, no lost or doubled writes" : "MISMATCH"));
            }
            return new Outcome(setup, elapsed, samples, benchCpu, postgresCpu);
        }
        finally
        {
            foreach (var http in clients) http.Dispose();
            foreach (var app in apps)
            {
                await app.StopAsync(CancellationToken.None);
                await app.DisposeAsync();
            }
            SqliteConnection.ClearAllPools();
            if (connectionString is not null) await cluster!.DropDatabaseAsync(connectionString);
            Directory.Delete(home, recursive: true);
        }
    }

    /// <summary>
    /// The workspace's config with the store set; with several instances each gets its own
    /// Application Name, so its connection pools are its own (the pools are shared per connection
    /// string within a process) and the instances compete for the database as separate processes would.
    /// </summary>
    private static MiniMeOptions Options(Workspace workspace, string? connectionString, int instances, int instance)
    {
        var options = ConfigurationLoader.Load(workspace);
        if (connectionString is null) return options;
        options.Memory.Store = MemoryStoreKind.Postgres;
        options.Memory.ConnectionString = instances == 1
            ? connectionString
            : new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = $"minime-{(char)('a' + instance)}" }.ToString();
        return options;
    }

    private static async Task<long> CountMessagesAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM {PostgresServerDatabase.SchemaName}.messages", connection);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// CPU seconds used by a PostgreSQL cluster on this machine, read from /proc: the postmaster with
    /// the children it has reaped, plus its live children (backends, checkpointer, walwriter...).
    /// </summary>
    private sealed class PostgresCpu(int postmaster)
    {
        // USER_HZ: the unit of /proc/<pid>/stat times, 100 on every Linux architecture .NET runs on.
        private const double TicksPerSecond = 100;

        /// <summary>The cluster behind the connection string, or null where /proc is not there.</summary>
        public static async Task<PostgresCpu?> FindAsync(string connectionString, CancellationToken cancellationToken)
        {
            if (!Directory.Exists("/proc/self")) return null;
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand("SELECT pg_backend_pid()", connection);
            var backend = (int)(await command.ExecuteScalarAsync(cancellationToken))!;
            return Stat(backend) is { } stat ? new PostgresCpu(stat.Parent) : null;
        }

        public double Seconds()
        {
            var ticks = Stat(postmaster)?.Ticks ?? 0;
            foreach (var directory in Directory.EnumerateDirectories("/proc"))
                if (int.TryParse(Path.GetFileName(directory), CultureInfo.InvariantCulture, out var pid) && Stat(pid) is { } stat && stat.Parent == postmaster)
                    ticks += stat.Ticks;
            return ticks / TicksPerSecond;
        }

        /// <summary>Parent pid and utime + stime + cutime + cstime of a process; null once it has gone.</summary>
        private static (int Parent, long Ticks)? Stat(int pid)
        {
            string text;
            try { text = File.ReadAllText($"/proc/{pid}/stat"); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
            // Fields after the command name (which may hold spaces): state, ppid, ..., utime (14th field) to cstime (17th).
            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            long Field(int number) => long.Parse(fields[number - 3], CultureInfo.InvariantCulture);
            return ((int)Field(4), Field(14) + Field(15) + Field(16) + Field(17));
        }
    }
}
