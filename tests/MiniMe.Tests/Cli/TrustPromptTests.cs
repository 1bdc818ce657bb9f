using MiniMe.Tests.Support;

namespace MiniMe.Tests.Cli;

/// <summary>`minime trust` on a terminal: it shows what trusting grants and records nothing until the answer is yes.</summary>
public sealed class TrustPromptTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    private string Home => _dir.Combine(".minime");

    public void Dispose() => _dir.Dispose();

    private Task<CliResult> Minime(params string[] args) => CliRunner.RunAsync([.. args, "--home", Home]);

    private Task<CliResult> Interactive(IEnumerable<ConsoleKeyInfo> keys, params string[] args) => ScriptedConsole.RunAsync(keys, [.. args, "--home", Home]);

    private Task<CliResult> ReadReadme() => Minime("tool", "run", "read_file", "--args", """{"path": "README.md"}""");

    [Fact]
    public async Task Trust_on_a_terminal_asks_and_only_yes_lets_tools_run()
    {
        Assert.Equal(0, (await Minime("init")).ExitCode);
        _dir.Write("README.md", "hello\n");
        File.AppendAllText(Path.Combine(Home, "allowlist.yaml"), "\n# changed after init\n");
        Assert.Contains("allowlist.yaml changed since", (await ReadReadme()).Error, StringComparison.Ordinal);

        var declined = await Interactive(ScriptedConsole.Type("n"), "trust");

        Assert.Equal(0, declined.ExitCode);
        Assert.Contains("tools root", declined.Out, StringComparison.Ordinal);
        Assert.Contains("Trust ", declined.Out, StringComparison.Ordinal);
        Assert.Contains("Not trusted; its tools stay refused.", declined.Out, StringComparison.Ordinal);
        Assert.Equal(1, (await ReadReadme()).ExitCode);

        var accepted = await Interactive(ScriptedConsole.Type("y"), "trust");

        Assert.Equal(0, accepted.ExitCode);
        Assert.Contains("Trusted", accepted.Out, StringComparison.Ordinal);
        var read = await ReadReadme();
        Assert.True(read.ExitCode == 0, read.Error);
        Assert.StartsWith("hello", read.Out, StringComparison.Ordinal);
    }
}
