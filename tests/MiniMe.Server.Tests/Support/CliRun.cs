using MiniMe.Cli;
using MiniMe.Cli.Hosting;
using Spectre.Console;

namespace MiniMe.Server.Tests.Support;

/// <summary>Runs the real `minime` command line in-process over a home folder, capturing what it prints.</summary>
public static class CliRun
{
    public static async Task<(int Code, string Out, string Error)> RunAsync(string home, string trustFile, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Interactive = InteractionSupport.No, Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = 200;
        var code = await CliApp.RunAsync([.. args, "--home", home], new CliContext(console, error, interactive: false, trustFile: trustFile));
        return (code, output.ToString(), error.ToString());
    }
}
