using System.CommandLine;
using MiniMe.Cli.Hosting;
using MiniMe.Configuration;
using Spectre.Console;

namespace MiniMe.Cli.Commands;

/// <summary>
/// Base of every command: runs the action and turns failures into a one-line message and an exit
/// code (1 runtime error, 2 invalid input, 130 cancelled); --verbose adds the details.
/// </summary>
internal abstract class MiniMeCommand : Command
{
    protected MiniMeCommand(string name, string description, CliContext context) : base(name, description)
    {
        Context = context;
        SetAction(RunAsync);
    }

    protected CliContext Context { get; }

    protected IAnsiConsole Out => Context.Console;

    protected abstract Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken);

    /// <summary>Opens the workspace named by --home / MINIME_HOME (must be initialized).</summary>
    protected static Engine OpenEngine(ParseResult parse) => Engine.Open(parse.GetValue(GlobalOptions.Home));

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var verbose = parse.GetValue(GlobalOptions.Verbose);
        try
        {
            return await ExecuteAsync(parse, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Context.Error.WriteLine("cancelled; work finished so far is kept");
            return ExitCodes.Cancelled;
        }
        catch (Exception e) when (e is InvalidInputException or UnknownSettingsException)
        {
            return Fail(e, ExitCodes.Usage, verbose);
        }
        catch (MiniMeException e)
        {
            return Fail(e, ExitCodes.Error, verbose);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail(e, ExitCodes.Error, verbose);
        }
        catch (Exception e)
        {
            Context.Error.WriteLine($"error: unexpected {e.GetType().Name}: {e.Message}{(verbose ? "" : " (run with --verbose for details)")}");
            if (verbose) Context.Error.WriteLine(e.ToString());
            return ExitCodes.Error;
        }
    }

    private int Fail(Exception e, int code, bool verbose)
    {
        // One line per problem: an error listing several (every unknown setting at once) keeps the prefix on each.
        foreach (var line in e.Message.Split('\n'))
            Context.Error.WriteLine($"error: {line}");
        if (verbose && e.InnerException is not null) Context.Error.WriteLine(e.InnerException.ToString());
        else if (verbose) Context.Error.WriteLine(e.ToString());
        return code;
    }

    /// <summary>A path shown relative to the current directory when it is under it.</summary>
    protected static string Display(string path)
    {
        var relative = Path.GetRelativePath(Directory.GetCurrentDirectory(), path);
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? path : relative;
    }

    protected static Workspace ResolveWorkspace(ParseResult parse) => Workspace.Resolve(parse.GetValue(GlobalOptions.Home));
}
