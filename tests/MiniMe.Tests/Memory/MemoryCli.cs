using MiniMe.Cli;
using MiniMe.Cli.Hosting;
using Spectre.Console;

namespace MiniMe.Tests.Memory;

/// <summary>Runs the real `minime` command line in-process, capturing what it prints.</summary>
internal static class MemoryCli
{
    public sealed record Result(int ExitCode, string Output, string Error);

    public static async Task<Result> RunAsync(params string[] args)
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
        var exit = await CliApp.RunAsync(args, new CliContext(console, error, interactive: false));
        return new Result(exit, output.ToString(), error.ToString());
    }
}
