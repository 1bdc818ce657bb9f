using MiniMe.Tools.Paths;

namespace MiniMe.Tools.Processes;

/// <summary>
/// bubblewrap (Debian package `bubblewrap`). The command sees only what <see cref="SandboxLayout"/>
/// binds outside the tools root (system directories, a few /etc entries, toolchains and the package
/// cache, all read-only) and the root itself: read-only for the system's git (MiniMe rewrote its
/// arguments), writable for everything else with <see cref="SandboxMasks"/> applied just before it
/// starts (.git, the MiniMe home and secrets hidden, code files read-only). Fresh
/// /dev, /proc and /tmp; new PID, IPC, UTS and cgroup namespaces; no network unless allowed; every
/// capability dropped (so a command running as root cannot undo a mount); a new session (no terminal
/// injection); and it dies with MiniMe.
/// </summary>
public sealed class BubblewrapSandbox : ISandbox
{
    private readonly string _bwrap;
    private readonly PathConfiner? _confiner;
    private readonly string _root;
    private readonly SandboxLayout _layout;
    private readonly bool _allowNetwork;
    private readonly IReadOnlyCollection<string> _ignoredDirectories;

    /// <param name="bwrapPath">The bwrap executable.</param>
    /// <param name="confiner">The tools root and its rules (what to hide and keep read-only inside it); null only for the probe.</param>
    /// <param name="root">The tools root when there is no confiner (the probe).</param>
    /// <param name="layout">What is visible outside the root.</param>
    /// <param name="allowNetwork">Keep the network namespace (tools.allowNetwork).</param>
    /// <param name="ignoredDirectories">Directory names not walked for masks (import.ignoreDirectories).</param>
    public BubblewrapSandbox(string bwrapPath, PathConfiner? confiner, string root, SandboxLayout layout, bool allowNetwork, IReadOnlyCollection<string>? ignoredDirectories = null)
    {
        _bwrap = bwrapPath;
        _confiner = confiner;
        _root = confiner?.Root ?? root;
        _layout = layout;
        _allowNetwork = allowNetwork;
        _ignoredDirectories = ignoredDirectories ?? [];
    }

    public string Name => "bwrap";
    public bool IsActive => true;
    public string Description =>
        $"bubblewrap ({_bwrap}): the root writable except .git (read-only), with secrets and the MiniMe home hidden; outside it only system directories"
        + (_layout.ReadOnlyPaths.Count > 0 ? $" and {string.Join(", ", _layout.ReadOnlyPaths)}" : "")
        + $", read-only; {(_allowNetwork ? "network allowed" : "no network")}";

    public LaunchVector Wrap(string program, IReadOnlyList<string> arguments, string workingDirectory)
    {
        var args = new List<string>(_layout.Arguments);
        args.AddRange(["--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--dir", "/var", "--tmpfs", "/var/tmp", "--dir", "/run"]);
        if (IsSystemGit(program))
        {
            // git itself only reads (MiniMe rewrote its arguments and configuration): the whole root read-only, as it is.
            args.AddRange(["--ro-bind", _root, _root]);
        }
        else
        {
            args.AddRange(["--bind", _root, _root]);
            if (_confiner is not null) args.AddRange(SandboxMasks.Scan(_confiner, _ignoredDirectories).Arguments);
        }
        args.AddRange(["--remount-ro", "/"]);   // the sandbox's own root (a tmpfs holding the mount points) takes no writes
        if (!_allowNetwork) args.Add("--unshare-net");
        args.AddRange(["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--cap-drop", "ALL",
            "--die-with-parent", "--new-session", "--chdir", workingDirectory, "--", program]);
        args.AddRange(arguments);
        return new LaunchVector(_bwrap, args);
    }

    /// <summary>The system's git (not a program inside the root that happens to be called git).</summary>
    private bool IsSystemGit(string program) =>
        Path.GetFileName(program) == "git" && !(program + "/").StartsWith(_root.TrimEnd('/') + "/", StringComparison.Ordinal);

    /// <summary>
    /// The home directory does not exist inside, so HOME is the sandbox's private /tmp (the .NET CLI's
    /// first-run files go there, for example). Packages already in the NuGet cache stay readable.
    /// </summary>
    public void AdjustEnvironment(IDictionary<string, string> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (!environment.ContainsKey("NUGET_PACKAGES") && environment.TryGetValue("HOME", out var hostHome) && Directory.Exists(Path.Join(hostHome, ".nuget", "packages")))
            environment["NUGET_PACKAGES"] = Path.Join(hostHome, ".nuget", "packages");
        environment["HOME"] = "/tmp";
        environment["TMPDIR"] = "/tmp";
        environment["DOTNET_CLI_HOME"] = "/tmp";
        environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        environment["DOTNET_GENERATE_ASPNET_CERTIFICATE"] = "false";
        environment["DOTNET_NOLOGO"] = "1";
    }

    /// <summary>
    /// Whether bubblewrap can build this sandbox here (it is installed and user namespaces or its
    /// setuid bit work): runs `true` inside the same kind of sandbox. Null means it works; otherwise the reason.
    /// </summary>
    public static string? Probe(string? bwrapPath, string? truePath, string scratchDirectory)
    {
        if (bwrapPath is null) return "bubblewrap (bwrap) is not installed; install the Debian package bubblewrap";
        if (truePath is null) return "cannot find the `true` program to probe bubblewrap with";
        var layout = SandboxLayout.Create([Path.GetDirectoryName(truePath)!], []);
        var probe = new BubblewrapSandbox(bwrapPath, null, scratchDirectory, layout, allowNetwork: false).Wrap(truePath, [], scratchDirectory);
        // Through the runner, like any command: it tears the probe's process tree down and reaps what
        // bubblewrap leaves re-parented to MiniMe (a subreaper), so probing leaks no zombie.
        var resolver = new ProgramResolver(Environment.GetEnvironmentVariable("PATH"), scratchDirectory);
        var runner = new ProcessRunner(new NoSandbox("probe"), resolver.Resolve("setsid"));
        try
        {
            var environment = new Dictionary<string, string>(StringComparer.Ordinal) { ["PATH"] = resolver.PathVariable };
            var result = runner.RunAsync(new CommandSpec(probe.FileName, probe.Arguments, scratchDirectory, environment, TimeSpan.FromSeconds(15), 4096), CancellationToken.None)
                .GetAwaiter().GetResult();
            if (result.TimedOut) return "bubblewrap did not finish a trivial command within 15 s";
            return result.ExitCode == 0 ? null : $"bubblewrap cannot create a sandbox here (exit {result.ExitCode}: {FirstLine(result.Stderr.Text)})";
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException or InvalidOperationException or ToolFailedException)
        {
            return $"bubblewrap cannot be started: {e.Message}";
        }
    }

    private static string FirstLine(string text)
    {
        var line = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "no message";
        return line.Length > 200 ? line[..200] : line;
    }
}
