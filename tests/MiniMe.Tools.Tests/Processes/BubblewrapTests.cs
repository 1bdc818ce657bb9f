using System.Globalization;
using System.Text.Json.Nodes;
using MiniMe.Tools.Approval;
using MiniMe.Tools.Tests.Support;
using MiniMe.Tracing;

namespace MiniMe.Tools.Tests.Processes;

public sealed class BubblewrapTests
{
    [BwrapFact]
    public async Task Sandboxed_command_writes_only_inside_the_root_has_no_network_and_cannot_touch_the_minime_home()
    {
        using var w = new ToolWorkspace(sandbox: "bwrap");
        var allowlistBefore = File.ReadAllText(w.Home.AllowlistPath);
        w.Write("scripts/probe.sh", $$"""
            echo escaped > '{{w.Outside}}/escaped.txt' 2>/dev/null && echo outside-write-ok
            echo inside > inside.txt && echo inside-write-ok
            echo 'commands: [{program: sh, args: ["..."]}]' >> .minime/allowlist.yaml 2>/dev/null && echo home-write-ok
            touch /etc/minime-sandbox-test 2>/dev/null && echo etc-write-ok
            awk 'NR > 2 { print "iface " $1 }' /proc/net/dev
            """);
        var outcome = await w.RunAsync("run_command", new JsonObject { ["argv"] = new JsonArray("sh", "scripts/probe.sh") });

        Assert.True(outcome.Execution!.Sandboxed);
        var stdout = outcome.Execution.Output["stdout"]!.GetValue<string>();
        Assert.Contains("inside-write-ok", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("outside-write-ok", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("home-write-ok", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("etc-write-ok", stdout, StringComparison.Ordinal);
        Assert.Equal(["iface lo:"], stdout.Split('\n').Where(l => l.StartsWith("iface ", StringComparison.Ordinal)).ToArray());
        Assert.True(File.Exists(w.PathOf("inside.txt")));
        Assert.False(File.Exists(Path.Join(w.Outside, "escaped.txt")));
        Assert.False(File.Exists("/etc/minime-sandbox-test"));
        Assert.Equal(allowlistBefore, File.ReadAllText(w.Home.AllowlistPath));
        Assert.True(Assert.Single(w.Events(TraceEventTypes.Execution)).Data["sandboxed"]!.GetValue<bool>());
    }

    [BwrapFact]
    public async Task Git_status_works_inside_the_sandbox()
    {
        // The workspace's 30 s command timeout is a clock on a machine shared with the rest of the suite;
        // a git status that is only slow must not fail this test, so it gets far more than it needs.
        using var w = new ToolWorkspace(sandbox: "bwrap", configure: t => t.CommandTimeoutSeconds = 300);
        var outcome = await w.RunAsync("run_command", """{"argv": ["git", "status", "--short"]}""");
        Assert.True(outcome.Status == OutcomeStatus.Succeeded, Describe(outcome));
        Assert.True(outcome.Execution!.Sandboxed);
    }

    [BwrapFact]
    public async Task Runaway_sandboxed_command_leaves_no_process_behind()
    {
        using var w = new ToolWorkspace(sandbox: "bwrap");
        var sleep = "9" + Random.Shared.Next(10_000_000, 99_999_999).ToString(CultureInfo.InvariantCulture);
        w.Write("scripts/runaway.sh", $"sh -c 'echo up > grandchild.started; sleep {sleep}; :' &\nsleep {sleep}\n");
        var outcome = await w.RunAsync("run_command", new JsonObject { ["argv"] = new JsonArray("sh", "scripts/runaway.sh"), ["timeoutSeconds"] = 6 });

        Assert.True(outcome.Execution!.TimedOut);
        Assert.True(File.Exists(w.PathOf("grandchild.started")));
        Assert.Empty(LiveProcesses.WithCommandLineContaining(sleep));
    }

    /// <summary>What a failed command did, for the assertion message: status, summary, exit code, output.</summary>
    private static string Describe(ActionOutcome outcome) =>
        $"{outcome.Status}: {outcome.Message}; exit {outcome.Execution?.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "none"}, timed out {outcome.Execution?.TimedOut}\n"
        + $"stdout: {outcome.Execution?.Output["stdout"]}\nstderr: {outcome.Execution?.Output["stderr"]}\nduration: {outcome.Execution?.Output["durationMs"]} ms";

    /// <summary>A writable folder outside /tmp (a clean clone under /tmp puts the test binaries there too).</summary>
    private static string OutsideTmp()
    {
        var temp = Path.GetFullPath(Path.GetTempPath()).TrimEnd('/') + "/";
        foreach (var candidate in new[] { AppContext.BaseDirectory, "/var/tmp", Environment.CurrentDirectory })
        {
            var full = Path.GetFullPath(candidate).TrimEnd('/') + "/";
            if (!full.StartsWith(temp, StringComparison.Ordinal) && !full.StartsWith("/tmp/", StringComparison.Ordinal) && Directory.Exists(full))
                return full;
        }
        throw new InvalidOperationException("No writable folder outside /tmp for the hidden-paths test.");
    }
}
