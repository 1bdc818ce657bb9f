using System.Diagnostics;
using System.Runtime.InteropServices;
using MiniMe.Tests.Support;

namespace MiniMe.Tests.Cli;

/// <summary>
/// The ./minime launcher's rebuild-on-change logic, run as the real script in a copy of its checkout
/// layout, with a `dotnet` on PATH that records what it is asked and writes a fake build output.
/// </summary>
[Trait("Category", "Integration")]
public sealed class LauncherTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public LauncherTests()
    {
        File.Copy(Path.Combine(RepositoryRoot(), "minime"), _dir.Combine("minime"));
        _dir.Write("src/MiniMe.Cli/Program.cs", "return 0;\n");
        _dir.Write("src/MiniMe.Cli/MiniMe.Cli.csproj", "<Project />\n");
        _dir.Write("Directory.Build.props", "<Project />\n");
        _dir.Write("Directory.Packages.props", "<Project />\n");
        var dotnet = _dir.Write("bin/dotnet", """
            #!/usr/bin/env bash
            echo "$*" >> "$FAKE_DOTNET_LOG"
            case "$1" in
              publish|build)
                if [ -n "${FAKE_DOTNET_FAIL:-}" ]; then echo "Program.cs(1,9): error CS1002: ; expected"; exit 1; fi
                while [ $# -gt 0 ]; do
                  if [ "$1" = -o ]; then mkdir -p "$2"; echo "build $(date +%s%N)" > "$2/minime.dll"; fi
                  shift
                done ;;
              *) echo "ran $*" ;;
            esac
            """.Replace("\r\n", "\n", StringComparison.Ordinal));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(dotnet, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public void Dispose() => _dir.Dispose();

    private string Output => _dir.Combine("artifacts", "minime");

    private string Log => _dir.Combine("dotnet.log");

    private string[] Builds => File.Exists(Log) ? [.. File.ReadAllLines(Log).Where(l => l.StartsWith("publish", StringComparison.Ordinal) || l.StartsWith("build", StringComparison.Ordinal))] : [];

    private async Task<CliResult> LaunchAsync(bool failBuild = false, params string[] args)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(_dir.Combine("minime"));
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.Environment["PATH"] = _dir.Combine("bin") + ":" + Environment.GetEnvironmentVariable("PATH");
        info.Environment["FAKE_DOTNET_LOG"] = Log;
        if (failBuild) info.Environment["FAKE_DOTNET_FAIL"] = "1";
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return new CliResult(process.ExitCode, await output, await error);
    }

    /// <summary>Marks a file as changed after the last build started (a later mtime than the stamp), and before the next one starts.</summary>
    private void Change(string relativePath)
    {
        File.SetLastWriteTimeUtc(_dir.Combine(relativePath), File.GetLastWriteTimeUtc(Path.Combine(Output, ".built")).AddMilliseconds(10));
        Thread.Sleep(50);
    }

    [Fact]
    public async Task The_first_run_publishes_ReadyToRun_then_runs_the_published_dll_with_the_arguments()
    {
        var result = await LaunchAsync(args: ["search", "a b"]);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("minime: building", result.Error, StringComparison.Ordinal);
        Assert.Equal($"ran {Path.Combine(Output, "minime.dll")} search a b\n", result.Out);
        var build = Assert.Single(Builds);
        if (RuntimeInformation.RuntimeIdentifier == "linux-x64")
            Assert.Matches(@"^publish \S+/src/MiniMe\.Cli/MiniMe\.Cli\.csproj -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o ", build);
        Assert.True(File.Exists(Path.Combine(Output, ".built")));
    }

    [Fact]
    public async Task Nothing_changed_means_no_build()
    {
        Assert.Equal(0, (await LaunchAsync(args: "runs")).ExitCode);
        var second = await LaunchAsync(args: "runs");
        Assert.Equal(0, second.ExitCode);
        Assert.Equal("", second.Error);
        Assert.Single(Builds);
    }

    [Theory]
    [InlineData("src/MiniMe.Cli/Program.cs")]
    [InlineData("src/MiniMe.Cli/MiniMe.Cli.csproj")]
    [InlineData("Directory.Packages.props")]
    [InlineData("minime")]
    public async Task A_changed_source_or_launcher_rebuilds(string changed)
    {
        Assert.Equal(0, (await LaunchAsync(args: "runs")).ExitCode);
        Change(changed);
        var result = await LaunchAsync(args: "runs");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(2, Builds.Length);
        Assert.Equal(0, (await LaunchAsync(args: "runs")).ExitCode);
        Assert.Equal(2, Builds.Length);
    }

    [Fact]
    public async Task A_rebuild_replaces_the_previous_output_whole()
    {
        Assert.Equal(0, (await LaunchAsync(args: "runs")).ExitCode);
        File.WriteAllText(Path.Combine(Output, "Stale.dll"), "from an older build");
        Change("src/MiniMe.Cli/Program.cs");
        Assert.Equal(0, (await LaunchAsync(args: "runs")).ExitCode);
        Assert.False(File.Exists(Path.Combine(Output, "Stale.dll")));
        Assert.True(File.Exists(Path.Combine(Output, "minime.dll")));
        Assert.Equal([Output], Directory.GetDirectories(_dir.Combine("artifacts")));
    }

    [Fact]
    public async Task A_failed_build_shows_the_errors_exits_1_keeps_the_previous_build_and_retries_next_time()
    {
        Assert.Equal(0, (await LaunchAsync(args: "runs")).ExitCode);
        var previous = File.ReadAllText(Path.Combine(Output, "minime.dll"));
        Change("src/MiniMe.Cli/Program.cs");
        var failed = await LaunchAsync(failBuild: true, args: "runs");
        Assert.Equal(1, failed.ExitCode);
        Assert.Contains("error CS1002: ; expected", failed.Error, StringComparison.Ordinal);
        Assert.Contains("minime: build failed", failed.Error, StringComparison.Ordinal);
        Assert.Equal("", failed.Out);
        Assert.Equal(previous, File.ReadAllText(Path.Combine(Output, "minime.dll")));
        Assert.Equal([Output], Directory.GetDirectories(_dir.Combine("artifacts")));
        var retried = await LaunchAsync(args: "runs");
        Assert.Equal(0, retried.ExitCode);
        Assert.Equal(3, Builds.Length);
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "MiniMe.slnx"))) return directory.FullName;
        throw new InvalidOperationException($"no MiniMe.slnx above {AppContext.BaseDirectory}");
    }
}
