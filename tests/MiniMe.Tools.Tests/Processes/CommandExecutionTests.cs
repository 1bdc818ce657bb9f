using System.Globalization;
using System.Text.Json.Nodes;
using MiniMe.Tools.Approval;
using MiniMe.Tools.Tests.Support;
using MiniMe.Tracing;

namespace MiniMe.Tools.Tests.Processes;

public sealed class CommandExecutionTests
{
    private static JsonObject Sh(string script, int? timeoutSeconds = null)
    {
        var args = new JsonObject { ["argv"] = new JsonArray("sh", script) };
        if (timeoutSeconds is { } t) args["timeoutSeconds"] = t;
        return args;
    }

    private static string UniqueSleep() => "9" + Random.Shared.Next(10_000_000, 99_999_999).ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task Allowed_git_status_runs_as_an_argument_vector_and_is_audited()
    {
        using var w = new ToolWorkspace();
        var outcome = await w.RunAsync("run_command", """{"argv": ["git", "status", "--short"]}""");

        Assert.Equal(OutcomeStatus.Succeeded, outcome.Status);
        Assert.Equal(0, outcome.Execution!.ExitCode);
        Assert.Contains("src/", outcome.Execution.Output["stdout"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.False(outcome.Execution.Sandboxed);
        var approval = Assert.Single(w.Events(TraceEventTypes.Approval));
        Assert.Equal("accepted", approval.Data["decision"]!.GetValue<string>());
        Assert.Equal("--yes", approval.Data["who"]!.GetValue<string>());
        var execution = Assert.Single(w.Events(TraceEventTypes.Execution));
        Assert.Equal("succeeded", execution.Data["status"]!.GetValue<string>());
        Assert.Equal(0, execution.Data["exit_code"]!.GetValue<int>());
        Assert.False(execution.Data["sandboxed"]!.GetValue<bool>());
        Assert.Equal("git", execution.Data["args"]!["argv"]![0]!.GetValue<string>());
        Assert.True(execution.Data["duration_ms"]!.GetValue<double>() >= 0);
    }

    [Fact]
    public async Task Dotnet_version_runs_when_allowed()
    {
        using var w = new ToolWorkspace();
        var outcome = await w.RunAsync("run_command", """{"argv": ["dotnet", "--version"]}""");
        Assert.Equal(OutcomeStatus.Succeeded, outcome.Status);
        Assert.Matches(@"^\d+\.\d+\.\d+", outcome.Execution!.Output["stdout"]!.GetValue<string>());
    }

    [Fact]
    public async Task Non_zero_exit_is_a_failure_with_the_exit_code()
    {
        using var w = new ToolWorkspace();
        w.Write("scripts/fail.sh", "echo oops >&2\nexit 3\n");
        var outcome = await w.RunAsync("run_command", Sh("scripts/fail.sh"));
        Assert.Equal(OutcomeStatus.Failed, outcome.Status);
        Assert.Equal(3, outcome.Execution!.ExitCode);
        Assert.Equal("oops\n", outcome.Execution.Output["stderr"]!.GetValue<string>());
        Assert.Equal(3, Assert.Single(w.Events(TraceEventTypes.Execution)).Data["exit_code"]!.GetValue<int>());
    }

    [Fact]
    public async Task Oversized_output_is_capped_counted_and_reported()
    {
        using var w = new ToolWorkspace();
        w.Write("scripts/big.sh", "head -c 300000 /dev/zero | tr '\\0' a\nhead -c 100000 /dev/zero | tr '\\0' b >&2\n");
        var outcome = await w.RunAsync("run_command", Sh("scripts/big.sh"));

        Assert.Equal(OutcomeStatus.Succeeded, outcome.Status);
        var output = outcome.Execution!.Output;
        Assert.Equal(new string('a', 4096), output["stdout"]!.GetValue<string>());
        Assert.Equal(300_000, output["stdoutBytes"]!.GetValue<long>());
        Assert.Equal(4096, output["stderr"]!.GetValue<string>().Length);
        Assert.Equal(100_000, output["stderrBytes"]!.GetValue<long>());
        Assert.True(outcome.Execution.OutputTruncated);
        Assert.Contains("output capped at 4096 bytes", outcome.Message, StringComparison.Ordinal);
        Assert.True(Assert.Single(w.Events(TraceEventTypes.Execution)).Data["output_truncated"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Runaway_command_is_killed_at_the_timeout_with_its_grandchildren()
    {
        using var w = new ToolWorkspace();
        var sleep = UniqueSleep();
        w.Write("scripts/runaway.sh", $"sh -c 'echo $$ > grandchild.pid; sleep {sleep}; :' &\necho $$ > child.pid\nsleep {sleep}\n");
        // Generous timeout: on a loaded CI machine the grandchild must get to write its pid first.
        var outcome = await w.RunAsync("run_command", Sh("scripts/runaway.sh", timeoutSeconds: 5));

        Assert.Equal(OutcomeStatus.Failed, outcome.Status);
        Assert.True(outcome.Execution!.TimedOut);
        Assert.Null(outcome.Execution.ExitCode);
        Assert.Contains("killed after 5 s", outcome.Message, StringComparison.Ordinal);
        var child = int.Parse(File.ReadAllText(w.PathOf("child.pid")).Trim(), CultureInfo.InvariantCulture);
        var grandchild = int.Parse(File.ReadAllText(w.PathOf("grandchild.pid")).Trim(), CultureInfo.InvariantCulture);
        Assert.False(LiveProcesses.IsRunning(child), $"child {child} survived");
        Assert.False(LiveProcesses.IsRunning(grandchild), $"grandchild {grandchild} survived");
        Assert.Empty(LiveProcesses.WithCommandLineContaining(sleep));
        Assert.True(Assert.Single(w.Events(TraceEventTypes.Execution)).Data["timed_out"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Background_process_left_behind_after_a_normal_exit_is_killed()
    {
        using var w = new ToolWorkspace();
        var sleep = UniqueSleep();
        w.Write("scripts/daemon.sh", $"sh -c 'echo $$ > daemon.pid; sleep {sleep}; :' &\nwhile [ ! -s daemon.pid ]; do sleep 0.01; done\necho started\n");
        var outcome = await w.RunAsync("run_command", Sh("scripts/daemon.sh"));

        Assert.Equal(OutcomeStatus.Succeeded, outcome.Status);
        Assert.Equal("started\n", outcome.Execution!.Output["stdout"]!.GetValue<string>());
        Assert.True(outcome.Execution.Output["strayProcessesKilled"]!.GetValue<int>() >= 1);
        var daemon = int.Parse(File.ReadAllText(w.PathOf("daemon.pid")).Trim(), CultureInfo.InvariantCulture);
        Assert.False(LiveProcesses.IsRunning(daemon), $"daemon {daemon} survived");
        Assert.Empty(LiveProcesses.WithCommandLineContaining(sleep));
    }

    [Fact]
    public async Task Command_environment_is_scrubbed()
    {
        using var w = new ToolWorkspace();
        w.Write("scripts/env.sh", "env\n");
        var outcome = await w.RunAsync("run_command", Sh("scripts/env.sh"));
        Assert.Equal(OutcomeStatus.Succeeded, outcome.Status);
        var names = outcome.Execution!.Output["stdout"]!.GetValue<string>()
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l[..l.IndexOf('=', StringComparison.Ordinal)]).ToList();
        string[] allowed =
        [
            "PATH", "HOME", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "LC_NUMERIC", "LC_TIME", "TZ", "USER", "LOGNAME", "TMPDIR",
            "DOTNET_ROOT", "DOTNET_CLI_HOME", "NUGET_PACKAGES", "DOTNET_CLI_TELEMETRY_OPTOUT", "DOTNET_NOLOGO", "DOTNET_SKIP_FIRST_TIME_EXPERIENCE",
            "GIT_TERMINAL_PROMPT", "GIT_PAGER", "PAGER", "GIT_CONFIG_NOSYSTEM", "PWD", "OLDPWD", "SHLVL", "_",
            "MINIME_COMMAND_ID",   // the random id that ties the command's processes to it for teardown; no secret
        ];
        Assert.All(names, n => Assert.Contains(n, allowed));
        Assert.Contains("PATH", names);
    }

    [Fact]
    public async Task Command_timeout_argument_cannot_exceed_the_configured_limit()
    {
        using var w = new ToolWorkspace(configure: o => o.CommandTimeoutSeconds = 1);
        var sleep = UniqueSleep();
        w.Write("scripts/slow.sh", $"sleep {sleep}\n");
        var outcome = await w.RunAsync("run_command", Sh("scripts/slow.sh", timeoutSeconds: 3600));
        Assert.True(outcome.Execution!.TimedOut);
        Assert.Contains("killed after 1 s", outcome.Message, StringComparison.Ordinal);
        Assert.Empty(LiveProcesses.WithCommandLineContaining(sleep));
    }
}
