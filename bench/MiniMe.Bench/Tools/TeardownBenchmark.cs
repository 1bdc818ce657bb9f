using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using MiniMe.Bench.Support;
using MiniMe.Tools.Processes;

namespace MiniMe.Bench.Tools;

/// <summary>
/// How long killing a command's process tree takes: `sh` in its own session starts N-1 `sleep`s, says
/// it is ready and waits; the clock runs from the kill request until every process is dead.
/// MiniMe: <see cref="ProcessRunner"/> with tools.sandbox none, cancelled (the timeout takes the same
/// path), until RunAsync returns. Floor: the same tree started by hand with setsid, one
/// kill(-pgid, SIGKILL), then waiting for the root and until no live process is left in the group.
/// One end-to-end run with a 10 s timeout shows the whole RunAsync wall time too.
/// </summary>
public static partial class TeardownBenchmark
{
    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsLinux())
        {
            Console.WriteLine("teardown: Linux only (it reads /proc)");
            return 0;
        }
        var runs = Option(args, "--runs", 10);
        var processes = Option(args, "--processes", 256);
        var timeoutSeconds = Option(args, "--timeout", 10);
        var dir = Directory.CreateTempSubdirectory("minime-bench-teardown-");
        try
        {
            var programs = new ProgramResolver(Environment.GetEnvironmentVariable("PATH"), dir.FullName);
            var setsid = programs.Resolve("setsid") ?? throw new InvalidOperationException("setsid is not installed");
            var sleep = "9" + Random.Shared.Next(10_000_000, 99_999_999).ToString(CultureInfo.InvariantCulture);
            var script = $"i=1\nwhile [ $i -lt {processes} ]; do sleep {sleep} & i=$((i+1)); done\necho ready > ready.tmp; mv ready.tmp ready\nwait\n";

            // The floor first: once ProcessRunner has run, MiniMe is the child subreaper and the floor's
            // orphans would come to this process as zombies (dead, so they do not change its figure).
            var floor = new List<double>(runs);
            for (var i = 0; i < runs; i++) floor.Add(await FloorAsync(setsid, script, dir.FullName, cancellationToken));

            var runner = new ProcessRunner(new NoSandbox("benchmark"), setsid);
            var environment = new Dictionary<string, string> { ["PATH"] = programs.PathVariable };
            var minime = new List<double>(runs);
            for (var i = 0; i < runs; i++)
            {
                File.Delete(Path.Join(dir.FullName, "ready"));
                using var cancel = new CancellationTokenSource();
                var run = runner.RunAsync(new CommandSpec("/bin/sh", ["-c", script], dir.FullName, environment, TimeSpan.FromHours(1), 4096), cancel.Token);
                await ReadyAsync(dir.FullName, cancellationToken);
                var clock = Stopwatch.StartNew();
                await cancel.CancelAsync();
                try { await run; } catch (OperationCanceledException) { /* the expected end */ }
                minime.Add(clock.Elapsed.TotalMilliseconds);
                AssertNoneLeft(sleep);
            }

            File.Delete(Path.Join(dir.FullName, "ready"));
            var whole = await runner.RunAsync(new CommandSpec("/bin/sh", ["-c", script], dir.FullName, environment, TimeSpan.FromSeconds(timeoutSeconds), 4096), cancellationToken);
            if (!whole.TimedOut) throw new InvalidOperationException("the tree exited before the timeout");
            AssertNoneLeft(sleep);

            Report.Header($"Command teardown ({processes}-process tree: sh + {processes - 1} sleep, tools.sandbox none)",
                "runs", "floor p50 ms", "floor max ms", "MiniMe p50 ms", "MiniMe max ms", "ratio (p50)", $"RunAsync with a {timeoutSeconds} s timeout, s");
            Report.Row(runs, Stats.Ms(Stats.Percentile(floor, 50)), Stats.Ms(floor.Max()), Stats.Ms(Stats.Percentile(minime, 50)), Stats.Ms(minime.Max()),
                (Stats.Percentile(minime, 50) / Stats.Percentile(floor, 50)).ToString("0.0", CultureInfo.InvariantCulture) + "×",
                whole.Duration.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture));
            return 0;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>The simplest teardown: one signal to the group, then wait for the root and for the group to empty.</summary>
    private static async Task<double> FloorAsync(string setsid, string script, string directory, CancellationToken cancellationToken)
    {
        File.Delete(Path.Join(directory, "ready"));
        var start = new ProcessStartInfo(setsid) { UseShellExecute = false, WorkingDirectory = directory, ArgumentList = { "--", "/bin/sh", "-c", script } };
        using var process = Process.Start(start)!;
        await ReadyAsync(directory, cancellationToken);
        var clock = Stopwatch.StartNew();
        Kill(-process.Id, 9);
        await process.WaitForExitAsync(cancellationToken);
        while (LiveInGroup(process.Id) > 0) await Task.Yield();
        return clock.Elapsed.TotalMilliseconds;
    }

    private static async Task ReadyAsync(string directory, CancellationToken cancellationToken)
    {
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        patience.CancelAfter(TimeSpan.FromMinutes(2));
        while (!File.Exists(Path.Join(directory, "ready"))) await Task.Delay(5, patience.Token);
    }

    private static int LiveInGroup(int group)
    {
        var live = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out _)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Join(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[0] is not ("Z" or "X") && fields[2] == group.ToString(CultureInfo.InvariantCulture)) live++;
            }
            catch (IOException)
            {
                // it exited while we looked
            }
        }
        return live;
    }

    private static void AssertNoneLeft(string sleep)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                var cmdline = File.ReadAllText(Path.Join(dir, "cmdline"));
                var stat = File.ReadAllText(Path.Join(dir, "stat"));
                if (cmdline.Contains(sleep, StringComparison.Ordinal) && stat[(stat.LastIndexOf(')') + 2)..][0] is not ('Z' or 'X'))
                    throw new InvalidOperationException($"process {Path.GetFileName(dir)} survived the teardown");
            }
            catch (IOException)
            {
                // it exited while we looked
            }
        }
    }

    private static int Option(string[] args, string name, int fallback) =>
        Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}
