using System.Diagnostics;

namespace MiniMe.Tools.Processes;

/// <summary>
/// bubblewrap (Debian package `bubblewrap`): the whole file system read-only, the tools root
/// writable (protected directories inside it, like the MiniMe home, stay read-only), a private /tmp,
/// /dev and /proc, new PID, IPC and UTS namespaces, no network unless allowed, a new session (no
/// terminal injection), and the sandbox dies with MiniMe.
/// </summary>
public sealed class BubblewrapSandbox : ISandbox
{
    private readonly string _bwrap;
    private readonly string _root;
    private readonly IReadOnlyList<string> _readOnly;
    private readonly bool _allowNetwork;
    private readonly IReadOnlyList<string> _hidden;

    /// <param name="bwrapPath">The bwrap executable.</param>
    /// <param name="root">The tools root, bound writable.</param>
    /// <param name="readOnlyInsideRoot">Directories inside the root that stay read-only (the MiniMe home).</param>
    /// <param name="allowNetwork">Keep the network namespace (tools.allowNetwork).</param>
    /// <param name="hidden">Credential files and directories outside the root to hide (an empty directory, or /dev/null, over them).</param>
    public BubblewrapSandbox(string bwrapPath, string root, IEnumerable<string> readOnlyInsideRoot, bool allowNetwork, IEnumerable<string>? hidden = null)
    {
        _bwrap = bwrapPath;
        _root = root;
        _readOnly = [.. readOnlyInsideRoot];
        _allowNetwork = allowNetwork;
        _hidden = [.. hidden ?? []];
    }

    /// <summary>Credentials under the user's home that commands never need: hidden inside the sandbox.</summary>
    public static IReadOnlyList<string> CredentialPaths(string? home) =>
        string.IsNullOrEmpty(home) ? [] :
        [.. new[] { ".ssh", ".gnupg", ".aws", ".azure", ".kube", ".docker", ".config/gh", ".config/gcloud", ".netrc", ".git-credentials", ".npmrc", ".pypirc", ".nuget/NuGet/NuGet.Config" }
            .Select(p => Path.Join(home, p))];

    public string Name => "bwrap";
    public bool IsActive => true;
    public string Description => $"bubblewrap ({_bwrap}): root writable, everything else read-only, {(_allowNetwork ? "network allowed" : "no network")}";

    public LaunchVector Wrap(string program, IReadOnlyList<string> arguments, string workingDirectory)
    {
        var args = new List<string> { "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--bind", _root, _root };
        foreach (var dir in _readOnly.Where(Directory.Exists))
            args.AddRange(["--ro-bind", dir, dir]);
        foreach (var path in _hidden)
        {
            if (Directory.Exists(path)) args.AddRange(["--tmpfs", path]);
            else if (File.Exists(path)) args.AddRange(["--ro-bind", "/dev/null", path]);
        }
        if (!_allowNetwork) args.Add("--unshare-net");
        args.AddRange(["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent", "--new-session", "--chdir", workingDirectory, "--", program]);
        args.AddRange(arguments);
        return new LaunchVector(_bwrap, args);
    }

    /// <summary>
    /// Everything outside the root is read-only, so tools that keep state in the home directory get
    /// a private one in the sandbox's /tmp: the .NET CLI's first-run files, for example. Packages
    /// already in the NuGet cache stay readable.
    /// </summary>
    public void AdjustEnvironment(IDictionary<string, string> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        environment["TMPDIR"] = "/tmp";
        environment["DOTNET_CLI_HOME"] = "/tmp";
        environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        environment["DOTNET_GENERATE_ASPNET_CERTIFICATE"] = "false";
        environment["DOTNET_NOLOGO"] = "1";
        if (!environment.ContainsKey("NUGET_PACKAGES") && environment.TryGetValue("HOME", out var home) && Directory.Exists(Path.Join(home, ".nuget", "packages")))
            environment["NUGET_PACKAGES"] = Path.Join(home, ".nuget", "packages");
    }

    /// <summary>
    /// Whether bubblewrap can build this sandbox here (it is installed and user namespaces or its
    /// setuid bit work): runs `true` inside the same kind of sandbox. Null means it works; otherwise the reason.
    /// </summary>
    public static string? Probe(string? bwrapPath, string? truePath, string scratchDirectory)
    {
        if (bwrapPath is null) return "bubblewrap (bwrap) is not installed; install the Debian package bubblewrap";
        if (truePath is null) return "cannot find the `true` program to probe bubblewrap with";
        var probe = new BubblewrapSandbox(bwrapPath, scratchDirectory, [], allowNetwork: false).Wrap(truePath, [], scratchDirectory);
        var start = new ProcessStartInfo(probe.FileName)
        {
            UseShellExecute = false,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
        };
        foreach (var a in probe.Arguments) start.ArgumentList.Add(a);
        try
        {
            using var process = Process.Start(start)!;
            process.StandardInput.Close();
            var error = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(15)))
            {
                process.Kill(entireProcessTree: true);
                return "bubblewrap did not finish a trivial command within 15 s";
            }
            return process.ExitCode == 0 ? null : $"bubblewrap cannot create a sandbox here (exit {process.ExitCode}: {FirstLine(error.Result)})";
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException or InvalidOperationException)
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
