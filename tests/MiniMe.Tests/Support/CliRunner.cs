using MiniMe.Cli;
using MiniMe.Cli.Hosting;
using Spectre.Console;

namespace MiniMe.Tests.Support;

/// <summary>The outcome of one in-process `minime` invocation.</summary>
public sealed record CliResult(int ExitCode, string Out, string Error);

/// <summary>Runs the real CLI in-process against a console that writes to strings.</summary>
public static class CliRunner
{
    public static async Task<CliResult> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Interactive = InteractionSupport.No,
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
        });
        console.Profile.Width = 200;
        var code = await CliApp.RunAsync(args, new CliContext(console, error, interactive: false), CancellationToken.None);
        return new CliResult(code, output.ToString(), error.ToString());
    }
}
