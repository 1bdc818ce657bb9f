using MiniMe.Cli;
using MiniMe.Cli.Hosting;
using Spectre.Console;

namespace MiniMe.Agents.Tests.Cli;

/// <summary>
/// Runs `minime` in-process over StringWriters, with MINIME_ environment variables set for the run.
/// Workspace trust goes to a temporary trust file outside the workspace's folder.
/// </summary>
public sealed class CliHarness : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly TempDirectory _trust = new();
    private readonly Dictionary<string, string?> _saved = new();

    public string Home => Path.Combine(_directory.Path, ".minime");

    public string TrustFile => Path.Combine(_trust.Path, "trust.json");

    public void SetEnvironment(string name, string? value)
    {
        if (!_saved.ContainsKey(name)) _saved[name] = Environment.GetEnvironmentVariable(name);
        Environment.SetEnvironmentVariable(name, value);
    }

    public async Task<(int Exit, string Out, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 200;
        var exit = await CliApp.RunAsync([.. args, "--home", Home], new CliContext(console, error, interactive: false, trustFile: TrustFile));
        return (exit, output.ToString(), error.ToString());
    }

    public void Dispose()
    {
        foreach (var (name, value) in _saved) Environment.SetEnvironmentVariable(name, value);
        _directory.Dispose();
        _trust.Dispose();
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CliCollection
{
    public const string Name = "cli (process environment)";
}
