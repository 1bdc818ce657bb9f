using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using MiniMe.Actions;
using MiniMe.Bench.Support;
using MiniMe.Configuration;
using MiniMe.Tools;
using MiniMe.Tools.Approval;
using MiniMe.Tools.Trust;
using MiniMe.Tracing;

namespace MiniMe.Bench.Tools;

/// <summary>
/// What the sandbox costs per command, on a project of N files (with secrets, build inputs and a git
/// repository in it). MiniMe: `run_command sh scripts/noop.sh` end to end through the tool runner with
/// tools.sandbox bwrap — allowlist and option checks, the mask walk, bubblewrap with the layout and masks,
/// the after-run audit, the trace events. Floor: the same script under bubblewrap started by hand with
/// the simplest confinement (`--ro-bind / / --bind ROOT ROOT --dev /dev --proc /proc`, no masks, no
/// audit) and waited for. Also: git status, which runs with the root read-only and no walk.
/// </summary>
public static class SandboxBenchmark
{
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsLinux() || FindOnPath("bwrap") is not { } bwrap)
        {
            Console.WriteLine("sandbox: needs Linux and bubblewrap (scripts/install-deps.sh installs it)");
            return 0;
        }
        var runs = Option(args, "--runs", 30);
        var files = Option(args, "--files", 10_000);
        var baseDir = Directory.CreateTempSubdirectory("minime-bench-sandbox-");
        try
        {
            var root = Path.Join(baseDir.FullName, "project");
            Seed(root, files);
            var home = new Workspace(Path.Join(root, ".minime"));
            WorkspaceInitializer.Initialize(home, "bench", force: false);
            File.WriteAllText(home.AllowlistPath, """
                read:
                  include: ["**"]
                commands:
                  - program: sh
                    args: ["scripts/noop.sh"]
                  - program: git
                    args: ["status ..."]
                """);
            var options = new MiniMeOptions();
            options.Tools.Sandbox = SandboxMode.Bwrap;
            var trust = new TrustStore(Path.Join(baseDir.FullName, "trust.json"));
            WorkspaceTrust.Record(trust, home, options, TrustSource.Init, DateTimeOffset.UtcNow);
            var traces = new TraceStore(home.TracesDirectory);
            var host = ToolHost.Create(home, options, retriever: null, traces, trust);

            var floor = new List<double>(runs);
            var minime = new List<double>(runs);
            var git = new List<double>(runs);
            for (var i = 0; i < runs + 1; i++)
            {
                var f = await FloorAsync(bwrap, root, cancellationToken);
                var m = await TimeAsync(host, "run_command", new JsonObject { ["argv"] = new JsonArray("sh", "scripts/noop.sh") }, cancellationToken);
                var g = await TimeAsync(host, "run_command", new JsonObject { ["argv"] = new JsonArray("git", "status", "--short") }, cancellationToken);
                if (i == 0) continue;   // warm-up
                floor.Add(f);
                minime.Add(m);
                git.Add(g);
            }
            Report.Header($"Sandboxed command overhead ({files:N0}-file project, `sh scripts/noop.sh`)",
                "runs", "floor: bare bwrap p50 ms", "MiniMe run_command p50 ms", "ratio (p50)", "MiniMe git status p50 ms");
            Report.Row(runs, Stats.Ms(Stats.Percentile(floor, 50)), Stats.Ms(Stats.Percentile(minime, 50)),
                (Stats.Percentile(minime, 50) / Stats.Percentile(floor, 50)).ToString("0.0", CultureInfo.InvariantCulture) + "×",
                Stats.Ms(Stats.Percentile(git, 50)));
            return 0;
        }
        finally
        {
            baseDir.Delete(recursive: true);
        }
    }

    private static async Task<double> TimeAsync(ToolHost host, string tool, JsonObject arguments, CancellationToken cancellationToken)
    {
        var runId = RunId.New(DateTimeOffset.UtcNow);
        var clock = Stopwatch.StartNew();
        var outcome = await host.Runner.RunAsync(new ActionProposal("p1", tool, arguments, "bench"), ApprovalMode.Yes, new NonInteractiveGate(), new SilentPresenter(), runId, cancellationToken);
        clock.Stop();
        if (outcome.Status != OutcomeStatus.Succeeded) throw new InvalidOperationException($"{tool}: {outcome.Message}");
        return clock.Elapsed.TotalMilliseconds;
    }

    private static async Task<double> FloorAsync(string bwrap, string root, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(bwrap) { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--ro-bind", "/", "/", "--bind", root, root, "--dev", "/dev", "--proc", "/proc", "--unshare-pid", "--chdir", root, "--", "/bin/sh", "scripts/noop.sh" })
            start.ArgumentList.Add(a);
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        await process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        clock.Stop();
        if (process.ExitCode != 0) throw new InvalidOperationException($"bare bwrap exited {process.ExitCode}: {await process.StandardError.ReadToEndAsync(cancellationToken)}");
        return clock.Elapsed.TotalMilliseconds;
    }

    /// <summary>N files in 100 folders, a few secrets and build inputs, a git repository.</summary>
    private static void Seed(string root, int files)
    {
        Directory.CreateDirectory(Path.Join(root, "scripts"));
        File.WriteAllText(Path.Join(root, "scripts", "noop.sh"), "echo ok\n");
        for (var i = 0; i < files; i++)
        {
            var dir = Path.Join(root, "src", $"m{i % 100:D3}");
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Join(dir, $"f{i:D5}.cs"), $"class C{i} {{ }}\n");
        }
        File.WriteAllText(Path.Join(root, ".env"), "API_KEY=bench\n");
        File.WriteAllText(Path.Join(root, "src", "m000", "server.key"), "key\n");
        File.WriteAllText(Path.Join(root, "src", "Directory.Build.props"), "<Project />\n");
        File.WriteAllText(Path.Join(root, "src", "m001", "App.csproj"), "<Project />\n");
        var init = Process.Start(new ProcessStartInfo("git", "init -q .") { WorkingDirectory = root })!;
        init.WaitForExit();
    }

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Join(d, program)).FirstOrDefault(File.Exists);

    private static int Option(string[] args, string name, int fallback) =>
        Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}
