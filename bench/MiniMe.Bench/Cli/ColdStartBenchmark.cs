using System.Diagnostics;
using System.Globalization;
using MiniMe.Bench.Support;

namespace MiniMe.Bench.Cli;

/// <summary>Wall time of a whole `minime search` process (runtime start, config, open DB, query, render).</summary>
public static class ColdStartBenchmark
{
    public static async Task<int> RunAsync(int runs, CancellationToken cancellationToken)
    {
        var home = Path.Combine(Path.GetTempPath(), "minime-bench-cli-" + Environment.ProcessId);
        var notes = Path.Combine(home, "notes");
        Directory.CreateDirectory(notes);
        try
        {
            var corpus = new SyntheticCorpus(seed: 3);
            for (var i = 0; i < 200; i++)
                await File.WriteAllTextAsync(Path.Combine(notes, $"n{i}.md"), string.Join("\n\n", Enumerable.Range(0, 5).Select(_ => corpus.Paragraph(80))), cancellationToken);
            var workspace = Path.Combine(home, ".minime");
            await RunAsync(["init", "--home", workspace], cancellationToken);
            await RunAsync(["import", notes, "--home", workspace], cancellationToken);

            await RunAsync(["search", "retry backoff cache", "--home", workspace], cancellationToken); // warm the OS file cache
            var samples = new List<double>(runs);
            for (var i = 0; i < runs; i++)
            {
                var clock = Stopwatch.StartNew();
                await RunAsync(["search", "retry backoff cache", "--home", workspace], cancellationToken);
                samples.Add(clock.Elapsed.TotalMilliseconds);
            }
            Report.Header("CLI cold start (`minime search`, new process each run, 1,000 chunks)", "runs", "min ms", "p50 ms", "p95 ms");
            Report.Row(runs, Stats.Ms(samples.Min()), Stats.Ms(Stats.Percentile(samples, 50)), Stats.Ms(Stats.Percentile(samples, 95)));
            return 0;
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    private static async Task RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "minime.dll"));
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"minime {string.Join(' ', args)} exited {process.ExitCode}: {await error}{await output}");
    }
}
