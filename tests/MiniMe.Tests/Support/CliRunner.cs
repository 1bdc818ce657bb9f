using MiniMe.Cli;
using MiniMe.Cli.Hosting;
using Spectre.Console;

namespace MiniMe.Tests.Support;

/// <summary>The outcome of one in-process `minime` invocation.</summary>
public sealed record CliResult(int ExitCode, string Out, string Error);

/// <summary>
/// Runs the real CLI in-process against a console that writes to strings. Workspace trust goes to
/// <see cref="TrustFile"/>, a temporary file for this test process, never the user's ~/.config.
/// </summary>
public static class CliRunner
{
    private static readonly Lazy<string> Trust = new(() =>
    {
        var directory = Directory.CreateTempSubdirectory("minime-tests-trust-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(directory, recursive: true); }
            catch (IOException) { /* best effort */ }
        };
        return Path.Combine(directory, "trust.json");
    });

    /// <summary>The trust file in-process runs and <see cref="MinimeProcess"/> children use (shared by this test process; entries are per workspace).</summary>
    public static string TrustFile => Trust.Value;

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
        var code = await CliApp.RunAsync(args, new CliContext(console, error, interactive: false, trustFile: TrustFile), CancellationToken.None);
        return new CliResult(code, output.ToString(), error.ToString());
    }
}
