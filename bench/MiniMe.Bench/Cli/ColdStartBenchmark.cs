using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using MiniMe.Bench.Support;

namespace MiniMe.Bench.Cli;

/// <summary>
/// Wall time of whole `minime` processes — runtime start, config, the command's work, rendering — per
/// command (`search QUERY` on a 10k-chunk workspace, `runs`, `trace RUN_ID`, `--version`), beside a floor:
/// bench/ColdFloor, a minimal .NET 10 console app doing the same essential work the simplest way (one FTS5
/// query with Microsoft.Data.Sqlite; list the trace files; print one trace; print a string). The CLI is
/// the one ./minime runs (the launcher builds it when the sources changed, exactly as for a user); the
/// floor is published the same way (framework-dependent, ReadyToRun). Both run as `dotnet X.dll`,
/// alternating, so drift on a shared machine hits both alike.
/// </summary>
public static class ColdStartBenchmark
{
    private const string Query = "retry backoff cache";

    /// <param name="cliDirectory">A directory holding minime.dll to measure instead of the launcher's (experiments); null: ./minime's.</param>
    public static async Task<int> RunAsync(int runs, int chunks, string? cliDirectory, CancellationToken cancellationToken)
    {
        var root = RepositoryRoot();
        var clock = Stopwatch.StartNew();
        if (cliDirectory is null)
        {
            // Builds (or publishes) the CLI only when its sources changed, as every user's first command does.
            await RunAsync("bash", [Path.Combine(root, "minime"), "--version"], cancellationToken);
            cliDirectory = Path.Combine(root, "artifacts", "minime");
        }
        var launcher = clock.Elapsed.TotalSeconds;
        var cli = Path.Combine(Path.GetFullPath(cliDirectory), "minime.dll");
        var floorDirectory = Path.Combine(root, "artifacts", "coldfloor");
        clock.Restart();
        await RunAsync("dotnet", ["publish", Path.Combine(root, "bench", "ColdFloor", "ColdFloor.csproj"), "-c", "Release", "-r", "linux-x64",
            "--self-contained", "false", "-p:PublishReadyToRun=true", "-o", floorDirectory, "--nologo", "-v", "quiet"], cancellationToken);
        var floorBuild = clock.Elapsed.TotalSeconds;
        var floor = Path.Combine(floorDirectory, "ColdFloor.dll");

        var home = Path.Combine(Path.GetTempPath(), "minime-bench-cli-" + Environment.ProcessId);
        var notes = Path.Combine(home, "notes");
        Directory.CreateDirectory(notes);
        try
        {
            clock.Restart();
            var workspace = Path.Combine(home, ".minime");
            await RunAsync("dotnet", [cli, "init", "--home", workspace], cancellationToken);
            // Lexical only, as the floor: with the bundled model a search would first load ONNX Runtime to embed the query.
            var config = Path.Combine(workspace, "config.yaml");
            var yaml = await File.ReadAllTextAsync(config, cancellationToken);
            await File.WriteAllTextAsync(config, yaml.Replace("model: minilm", "model: none", StringComparison.Ordinal), cancellationToken);
            // About one chunk per ~600-character paragraph (import.chunkChars is 1200): files of 5 paragraphs.
            var corpus = new SyntheticCorpus(seed: 3);
            for (var i = 0; i < (chunks + 4) / 5; i++)
                await File.WriteAllTextAsync(Path.Combine(notes, $"n{i}.md"), string.Join("\n\n", Enumerable.Range(0, 5).Select(_ => corpus.Paragraph(80))), cancellationToken);
            await RunAsync("dotnet", [cli, "import", notes, "--home", workspace], cancellationToken);
            for (var i = 0; i < 4; i++)
                await RunAsync("dotnet", [cli, "ask", "--dry-run", $"add a retry with backoff to the cache, variant {i}", "--home", workspace], cancellationToken);
            var traces = Path.Combine(workspace, "traces");
            var runId = Directory.GetFiles(traces, "*.jsonl").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal).Last()!;
            var database = Path.Combine(workspace, "memory.db");
            var count = ChunkCount(database);
            var setup = clock.Elapsed.TotalSeconds;

            (string Name, string[] MiniMe, string[] Floor)[] commands =
            [
                ($"search \"{Query}\"", [cli, "search", Query, "--home", workspace], [floor, "search", database, Query]),
                ("runs", [cli, "runs", "--home", workspace], [floor, "runs", traces]),
                ("trace RUN_ID", [cli, "trace", runId, "--home", workspace], [floor, "trace", Path.Combine(traces, runId + ".jsonl")]),
                ("--version", [cli, "--version"], [floor, "version"]),
            ];
            foreach (var (_, miniMe, floorArgs) in commands)
            {
                await RunAsync("dotnet", miniMe, cancellationToken); // warm the OS file cache
                await RunAsync("dotnet", floorArgs, cancellationToken);
            }
            var miniMeSamples = commands.Select(_ => new List<double>(runs)).ToArray();
            var floorSamples = commands.Select(_ => new List<double>(runs)).ToArray();
            for (var run = 0; run < runs; run++)
            {
                for (var c = 0; c < commands.Length; c++)
                {
                    miniMeSamples[c].Add(await TimeAsync(commands[c].MiniMe, cancellationToken));
                    floorSamples[c].Add(await TimeAsync(commands[c].Floor, cancellationToken));
                }
            }

            Report.Header($"CLI cold start per command (new `dotnet X.dll` process each run, {count:N0} chunks, {runs} runs each; ratio = MiniMe / floor, lower is better)",
                "command", "MiniMe min ms", "MiniMe p50 ms", "floor min ms", "floor p50 ms", "ratio min", "ratio p50");
            for (var c = 0; c < commands.Length; c++)
            {
                double miniMeP50 = Stats.Percentile(miniMeSamples[c], 50), floorP50 = Stats.Percentile(floorSamples[c], 50);
                Report.Row(commands[c].Name, Stats.Ms(miniMeSamples[c].Min()), Stats.Ms(miniMeP50), Stats.Ms(floorSamples[c].Min()), Stats.Ms(floorP50),
                    (miniMeSamples[c].Min() / floorSamples[c].Min()).ToString("0.00", CultureInfo.InvariantCulture) + "×",
                    (miniMeP50 / floorP50).ToString("0.00", CultureInfo.InvariantCulture) + "×");
            }
            Console.WriteLine();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"MiniMe: {cli}; floor: bench/ColdFloor (ReadyToRun, framework-dependent). ./minime up to date or rebuilt: {launcher:0.0} s; floor publish: {floorBuild:0.0} s; workspace setup (init, import, 4 dry-run asks): {setup:0.0} s."));
            return 0;
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    private static long ChunkCount(string database)
    {
        using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM chunks";
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>The checkout this bench was built from: the directory above its output holding MiniMe.slnx.</summary>
    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "MiniMe.slnx"))) return directory.FullName;
        throw new InvalidOperationException($"no MiniMe.slnx above {AppContext.BaseDirectory}");
    }

    private static async Task<double> TimeAsync(string[] args, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        await RunAsync("dotnet", args, cancellationToken);
        return clock.Elapsed.TotalMilliseconds;
    }

    private static async Task RunAsync(string program, string[] args, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited {process.ExitCode}: {await error}{await output}");
    }
}
