using System.CommandLine;
using System.Reflection;
using MiniMe.Cli.Commands;
using MiniMe.Cli.Hosting;
using Spectre.Console;

namespace MiniMe.Cli;

/// <summary>The `minime` command line: parses, calls the engine, renders. No engine logic lives here.</summary>
public static class CliApp
{
    public static RootCommand BuildRoot(CliContext context)
    {
        var root = new RootCommand("MiniMe: a local-first personal cognitive engine for engineers.");
        root.Options.Add(GlobalOptions.Home);
        root.Options.Add(GlobalOptions.Verbose);
        root.Subcommands.Add(new InitCommand(context));
        root.Subcommands.Add(new ImportCommand(context));
        root.Subcommands.Add(new DocumentsCommand(context));
        root.Subcommands.Add(new SearchCommand(context));
        root.Subcommands.Add(new AskCommand(context));
        root.Subcommands.Add(new ChatCommand(context));
        root.Subcommands.Add(new RunsCommand(context));
        root.Subcommands.Add(new WorkflowCommand(context));
        root.Subcommands.Add(new TraceCommand(context));
        root.Subcommands.Add(new ReplayCommand(context));
        root.Subcommands.Add(new FeedbackCommand(context));
        root.Subcommands.Add(new TrainCommand(context));
        root.Subcommands.Add(new ModelsCommand(context));
        root.Subcommands.Add(new ConfigCommand(context));
        root.Subcommands.Add(new DoctorCommand(context));
        root.Subcommands.Add(new ToolCommand(context));
        root.Subcommands.Add(new TrustCommand(context));
        root.Subcommands.Add(new IndexCommand(context));
        root.Subcommands.Add(new EvalCommand(context));
        root.Subcommands.Add(new MigrateCommand(context));
        root.Subcommands.Add(new RememberCommand(context));
        root.Subcommands.Add(new FactsCommand(context));
        root.Subcommands.Add(new WhyCommand(context));
        root.Subcommands.Add(new SnapshotCommand(context));
        root.Subcommands.Add(new ServeCommand(context));
        root.Subcommands.Add(new McpCommand(context));
        root.Subcommands.Add(new KeysCommand(context));
        root.Subcommands.Add(new PacksCommand(context));
        root.Subcommands.Add(new GoalsCommand(context));
        root.Subcommands.Add(new ScheduleCommand(context));
        root.Subcommands.Add(new SignalCommand(context)); root.Subcommands.Add(new BadgeCommand(context));
        root.Subcommands.Add(new ProfileCommand(context));
        root.Subcommands.Add(new ShareCommand(context));
        root.Subcommands.Add(new ReflectCommand(context));
        return root;
    }

    /// <summary>The version `minime --version` prints: the CLI assembly's informational version (what <see cref="RootCommand"/> reports).</summary>
    public static string Version =>
        typeof(CliApp).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(CliApp).Assembly.GetName().Version?.ToString() ?? "";

    /// <summary>
    /// Runs one invocation. Usage errors exit 2; see <see cref="ExitCodes"/>. Cancelling
    /// <paramref name="cancellationToken"/> (Program cancels it on Ctrl+C and SIGTERM) lets the command
    /// wind down, and the invocation then exits 130.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, CliContext context, CancellationToken cancellationToken = default)
    {
        var root = BuildRoot(context);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors) context.Error.WriteLine($"error: {error.Message}");
            context.Error.WriteLine($"Run `minime {string.Join(' ', CommandPath(parse))} --help` for usage.");
            return ExitCodes.Usage;
        }
        var configuration = new InvocationConfiguration
        {
            Output = context.Console.Profile.Out.Writer,
            Error = context.Error,
            // Signals are the caller's (TerminationSignals): System.CommandLine's own handling would answer
            // a forced exit code after a grace period while the command is still writing its run_end.
            ProcessTerminationTimeout = null,
        };
        var code = await parse.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
        // A command that stopped early because it was cancelled exits 130, whatever its own code.
        return cancellationToken.IsCancellationRequested && code != ExitCodes.Ok ? ExitCodes.Cancelled : code;
    }

    private static IEnumerable<string> CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var result = parse.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
            if (result.Command is not RootCommand) names.Insert(0, result.Command.Name);
        return names;
    }

    /// <summary>A context on the process's console.</summary>
    public static CliContext ConsoleContext()
    {
        var interactive = !Console.IsOutputRedirected && !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("CI") is not ("true" or "1");
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Console.Out),
            Interactive = interactive ? InteractionSupport.Yes : InteractionSupport.No,
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        });
        if (!interactive) console.Profile.Width = 160;
        return new CliContext(console, Console.Error, interactive);
    }
}
