using System.Diagnostics;
using System.Globalization;
using MiniMe.Tools.Processes;
using MiniMe.Tools.Tests.Support;

namespace MiniMe.Tools.Tests.Processes;

/// <summary>
/// Teardown with tools.sandbox none: real shells, real double forks, real signals. Each test waits for
/// the pids its scripts write (a condition, never a duration) and asserts only which processes exist.
/// </summary>
public sealed class ProcessTreeTests
{
    [Fact]
    public async Task Classic_daemon_that_double_forks_into_its_own_session_is_killed_and_reaped_when_the_command_exits()
    {
        using var s = new Scratch();
        var sleep = Scratch.UniqueSleep();
        var run = s.RunAsync(Scratch.Daemon("daemon", sleep) + Scratch.AwaitGo);
        var daemon = await s.PidAsync("daemon");
        var start = LiveProcesses.StartTicks(daemon)!.Value;
        Assert.Equal(Environment.ProcessId, Scratch.ParentOf(daemon));   // orphaned, and re-parented to MiniMe, not to init
        s.Go();

        var result = await run;

        Assert.Equal(0, result.ExitCode);
        Assert.True(result.StrayProcessesKilled >= 1);
        Assert.False(LiveProcesses.Exists(daemon, start), $"daemon {daemon} survived or was left a zombie");
        Assert.Empty(LiveProcesses.WithCommandLineContaining(sleep));
    }

    [Fact]
    public async Task Classic_daemon_is_killed_when_the_command_is_cancelled()
    {
        using var s = new Scratch();
        var sleep = Scratch.UniqueSleep();
        using var cancel = new CancellationTokenSource();
        var run = s.RunAsync(Scratch.Daemon("daemon", sleep) + $"sleep {sleep}\n", cancellationToken: cancel.Token);
        var daemon = await s.PidAsync("daemon");
        var start = LiveProcesses.StartTicks(daemon)!.Value;

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.False(LiveProcesses.Exists(daemon, start), $"daemon {daemon} survived");
        Assert.Empty(LiveProcesses.WithCommandLineContaining(sleep));
    }

    [Fact]
    public async Task Two_concurrent_commands_never_kill_each_others_daemons()
    {
        using var s = new Scratch();
        var sleepA = Scratch.UniqueSleep();
        var sleepB = Scratch.UniqueSleep();
        var runB = s.RunAsync(Scratch.Daemon("b", sleepB) + Scratch.AwaitGo);
        var daemonB = await s.PidAsync("b");
        var startB = LiveProcesses.StartTicks(daemonB)!.Value;

        var resultA = await s.RunAsync(Scratch.Daemon("a", sleepA));

        Assert.Equal(0, resultA.ExitCode);
        Assert.Empty(LiveProcesses.WithCommandLineContaining(sleepA));
        Assert.True(LiveProcesses.Exists(daemonB, startB) && LiveProcesses.IsRunning(daemonB), "A's teardown killed B's daemon");
        s.Go();
        var resultB = await runB;
        Assert.Equal(0, resultB.ExitCode);   // B's own root was not killed either
        Assert.False(LiveProcesses.Exists(daemonB, startB), $"B's daemon {daemonB} survived B");
        Assert.Empty(LiveProcesses.WithCommandLineContaining(sleepB));
    }

    [Fact]
    public async Task Tree_of_256_processes_is_gone_when_the_command_exits()
    {
        using var s = new Scratch();
        var sleep = Scratch.UniqueSleep();
        var result = await s.RunAsync($"i=0\nwhile [ $i -lt 255 ]; do sleep {sleep} & i=$((i+1)); done\n");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(255, result.StrayProcessesKilled);
        Assert.Empty(LiveProcesses.WithCommandLineContaining(sleep));
    }

    [Fact]
    public async Task Tree_of_256_processes_is_gone_when_the_command_times_out()
    {
        using var s = new Scratch();
        var sleep = Scratch.UniqueSleep();
        var result = await s.RunAsync($"i=0\nwhile [ $i -lt 255 ]; do sleep {sleep} & i=$((i+1)); done\nwait\n", TimeSpan.FromSeconds(3));

        Assert.True(result.TimedOut);
        Assert.Null(result.ExitCode);
        Assert.Empty(LiveProcesses.WithCommandLineContaining(sleep));
    }

    [Fact]
    public async Task Command_still_forking_when_it_times_out_leaves_nothing_behind()
    {
        using var s = new Scratch();
        var sleep = Scratch.UniqueSleep();
        var result = await s.RunAsync($"while :; do sleep {sleep} & sh -c 'sleep {sleep} & sleep {sleep}' & sleep 0.01; done\n", TimeSpan.FromSeconds(2));

        Assert.True(result.TimedOut);
        Assert.Empty(LiveProcesses.WithCommandLineContaining(sleep));
    }

    [Fact]
    public async Task Processes_started_outside_the_runner_still_get_their_exit_codes_with_MiniMe_as_subreaper()
    {
        using var s = new Scratch();
        var sleep = Scratch.UniqueSleep();
        await s.RunAsync(Scratch.Daemon("daemon", sleep));   // the subreaper is on, and an orphan was killed and reaped

        var start = new ProcessStartInfo("/bin/sh") { ArgumentList = { "-c", "sh -c 'exit 0' & exit 7" }, UseShellExecute = false };
        using var process = Process.Start(start)!;
        await process.WaitForExitAsync();

        Assert.Equal(7, process.ExitCode);
    }

    [BwrapFact]
    public async Task Sandboxed_command_outlives_the_thread_that_started_it()
    {
        // bubblewrap's --die-with-parent is a parent-death signal, and Linux sends it when the forking *thread* exits.
        using var s = new Scratch();
        var programs = new ProgramResolver(Environment.GetEnvironmentVariable("PATH"), s.Directory);
        var allowlist = MiniMe.Tools.Allowlist.ToolAllowlist.Missing("allowlist.yaml");
        var sandbox = SandboxFactory.Create(new MiniMe.Configuration.ToolsOptions { Sandbox = MiniMe.Configuration.SandboxMode.Bwrap }, programs, new MiniMe.Tools.Paths.PathConfiner(s.Directory, allowlist), allowlist, []);
        var runner = new ProcessRunner(sandbox, programs.Resolve("setsid"));
        var spec = new CommandSpec("/bin/sh", ["-c", "echo $$ > started.tmp; mv started.tmp started.pid\n" + Scratch.AwaitGo + "echo survived\n"], s.Directory,
            new Dictionary<string, string> { ["PATH"] = programs.PathVariable }, TimeSpan.FromMinutes(2), 4096);
        Task<CommandResult>? run = null;
        var starter = new Thread(() =>
        {
            run = runner.RunAsync(spec, CancellationToken.None);
            s.PidAsync("started").GetAwaiter().GetResult();   // the sandbox is up and its command runs
        });
        starter.Start();
        starter.Join();   // the thread that asked for the command is gone before the command ends
        s.Go();

        var result = await run!;

        Assert.True(result.Sandboxed);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("survived\n", result.Stdout.Text);
    }

    /// <summary>A scratch directory, a runner without sandbox, and scripts run with /bin/sh -c.</summary>
    internal sealed class Scratch : IDisposable
    {
        /// <summary>Blocks the script until the test calls <see cref="Go"/>.</summary>
        public const string AwaitGo = "while [ ! -e go ]; do sleep 0.02; done\n";

        private readonly DirectoryInfo _dir = System.IO.Directory.CreateTempSubdirectory("minime-tree-");
        private readonly ProcessRunner _runner;

        public Scratch()
        {
            var programs = new ProgramResolver(Environment.GetEnvironmentVariable("PATH"), _dir.FullName);
            _runner = new ProcessRunner(new NoSandbox("tests"), programs.Resolve("setsid") ?? throw new InvalidOperationException("setsid is missing"));
            PathVariable = programs.PathVariable;
        }

        public string PathVariable { get; }

        public string Directory => _dir.FullName;

        public static string UniqueSleep() => "9" + Random.Shared.Next(10_000_000, 99_999_999).ToString(CultureInfo.InvariantCulture);

        /// <summary>
        /// The classic daemon: fork, setsid, fork, and the middle process exits, so the sleep is an
        /// orphan in a session of its own; once the middle process is gone (and, when it clears its
        /// environment, once env has exec'd the sleep with none) its pid goes to NAME.pid.
        /// </summary>
        public static string Daemon(string name, string sleep, bool clearEnvironment = false) =>
            $"setsid sh -c '{(clearEnvironment ? "env -i /bin/sleep" : "sleep")} {sleep} & echo $! > {name}.tmp' &\nwait\n" +
            (clearEnvironment ? $"read p < {name}.tmp\nwhile grep -q MINIME_COMMAND_ID /proc/$p/environ 2>/dev/null; do sleep 0.01; done\n" : "") +
            $"mv {name}.tmp {name}.pid\n";

        public Task<CommandResult> RunAsync(string script, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
            _runner.RunAsync(new CommandSpec("/bin/sh", ["-c", script], _dir.FullName, new Dictionary<string, string> { ["PATH"] = PathVariable },
                timeout ?? TimeSpan.FromMinutes(2), 4096), cancellationToken);

        public Task<int> PidAsync(string name) => LiveProcesses.WaitForPidFileAsync(Path.Join(_dir.FullName, name + ".pid"));

        public void Go() => File.WriteAllText(Path.Join(_dir.FullName, "go"), "");

        public static int ParentOf(int pid)
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
        }

        public static bool EnvironmentHas(int pid, string variable) =>
            File.ReadAllText($"/proc/{pid}/environ").Split('\0').Any(e => e.StartsWith(variable + "=", StringComparison.Ordinal));

        public void Dispose()
        {
            try { _dir.Delete(recursive: true); }
            catch (IOException) { /* best effort */ }
        }
    }
}

/// <summary>Orphans whose id is gone are attributed by elimination, so no other command may run meanwhile.</summary>
[CollectionDefinition(nameof(AloneCollection), DisableParallelization = true)]
public sealed class AloneCollection;

[Collection(nameof(AloneCollection))]
public sealed class HiddenDaemonTests
{
    [Fact]
    public async Task Daemon_that_clears_its_environment_is_still_killed_with_its_command()
    {
        using var s = new ProcessTreeTests.Scratch();
        var sleep = ProcessTreeTests.Scratch.UniqueSleep();
        var run = s.RunAsync(ProcessTreeTests.Scratch.Daemon("daemon", sleep, clearEnvironment: true) + ProcessTreeTests.Scratch.AwaitGo);
        var daemon = await s.PidAsync("daemon");
        var start = LiveProcesses.StartTicks(daemon)!.Value;
        Assert.False(ProcessTreeTests.Scratch.EnvironmentHas(daemon, "MINIME_COMMAND_ID"));
        s.Go();

        await run;

        Assert.False(LiveProcesses.Exists(daemon, start), $"daemon {daemon} survived or was left a zombie");
        Assert.Empty(LiveProcesses.WithCommandLineContaining(sleep));
    }

    [Fact]
    public async Task Daemon_hiding_its_id_while_another_command_runs_is_left_to_that_command_and_killed_when_it_ends()
    {
        using var s = new ProcessTreeTests.Scratch();
        var sleep = ProcessTreeTests.Scratch.UniqueSleep();
        var other = s.RunAsync(ProcessTreeTests.Scratch.AwaitGo);   // started first, so the hidden daemon could be its

        await s.RunAsync(ProcessTreeTests.Scratch.Daemon("hidden", sleep, clearEnvironment: true));
        var hidden = await s.PidAsync("hidden");
        var start = LiveProcesses.StartTicks(hidden)!.Value;
        Assert.True(LiveProcesses.IsRunning(hidden), "killed although the running command could own it");
        Assert.Equal(Environment.ProcessId, ProcessTreeTests.Scratch.ParentOf(hidden));
        Assert.False(ProcessTreeTests.Scratch.EnvironmentHas(hidden, "MINIME_COMMAND_ID"));

        s.Go();
        Assert.Equal(0, (await other).ExitCode);

        Assert.False(LiveProcesses.Exists(hidden, start), $"hidden daemon {hidden} outlived the last command that could own it");
        Assert.Empty(LiveProcesses.WithCommandLineContaining(sleep));
    }
}
