using System.CommandLine;
using MiniMe.Cli.Hosting;
using MiniMe.Configuration;
using MiniMe.Memory;
using MiniMe.Snapshots;
using MiniMe.Storage.Sqlite;
using Spectre.Console;

namespace MiniMe.Cli.Commands;

/// <summary>
/// Base of every command: runs the action and turns failures into a one-line message and an exit
/// code (1 runtime error, 2 invalid input, 130 cancelled); --verbose adds the details.
/// </summary>
internal abstract partial class MiniMeCommand : Command
{
    protected MiniMeCommand(string name, string description, CliContext context) : base(name, description)
    {
        Context = context;
        SetAction(RunAsync);
    }

    protected CliContext Context { get; }

    protected IAnsiConsole Out => Context.Console;

    protected abstract Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken);

    /// <summary>Opens the workspace named by --home / MINIME_HOME (must be initialized); --force, where the command has it, allows an empty memory.db.</summary>
    protected Engine OpenEngine(ParseResult parse) =>
        Engine.Open(parse.GetValue(GlobalOptions.Home), allowEmptyMemory: ForceOption is { } force && parse.GetValue(force), Context.Trust);

    /// <summary>--force for commands that write memory: start an empty memory when memory.db is empty (0 bytes).</summary>
    protected static Option<bool> EmptyMemoryForceOption() =>
        new("--force") { Description = "Start an empty memory if memory.db is empty (0 bytes: truncated or replaced) instead of refusing" };

    private Option<bool>? ForceOption => Options.OfType<Option<bool>>().FirstOrDefault(o => o.Name == "--force");

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
        catch (DamagedMemoryException e)
        {
            return Fail(e.Describe(NewestSnapshot(parse), forceHere: ForceOption is not null), e, ExitCodes.For(e.Category), verbose);
        }
        catch (Exception e) when (SqliteDatabase.IsDamage(e))
        {
            // A read met a damaged page: the same message, without a path (the query does not say which file).
            var damage = DamagedMemoryException.Damaged(null, SqliteDatabase.Reason(e), e);
            return Fail(damage.Describe(NewestSnapshot(parse), forceHere: ForceOption is not null), e, ExitCodes.For(damage.Category), verbose);
        }
        catch (MiniMeException e)
        {
            return Fail(e, ExitCodes.For(e.Category), verbose);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail(e, ExitCodes.Error, verbose);
        }
        catch (Exception e)
        {
            // Not a failure MiniMe knows how to name: one line without internals; --verbose has the type and stack.
            Context.Error.WriteLine($"error: the command failed unexpectedly{Reason(e)}{(verbose ? "" : " (run with --verbose for details)")}");
            if (verbose) Context.Error.WriteLine(e.ToString());
            return ExitCodes.Error;
        }
    }

    /// <summary>": " and the first line of the message, unless it names .NET types (then only --verbose shows it).</summary>
    private static string Reason(Exception e)
    {
        var end = e.Message.IndexOfAny(['\r', '\n']);
        var line = (end < 0 ? e.Message : e.Message[..end]).Trim().TrimEnd('.');
        return line.Length == 0 || NamesTypes().IsMatch(line) ? "" : $": {line}";
    }

    /// <summary>System.Int32, List`1, [[System.String, System.Private.CoreLib, ...]]: text meant for developers.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"\bSystem\.[A-Z]|`\d|\[\[|\bMicrosoft\.[A-Z]|\bMiniMe\.[A-Z][A-Za-z]+\.")]
    private static partial System.Text.RegularExpressions.Regex NamesTypes();

    private int Fail(string message, Exception e, int code, bool verbose)
    {
        Context.Error.WriteLine($"error: {message}");
        if (verbose) Context.Error.WriteLine(e.ToString());
        return code;
    }

    /// <summary>The newest snapshot that can be restored, to name in the message about a damaged memory.</summary>
    private static string? NewestSnapshot(ParseResult parse)
    {
        try
        {
            return SnapshotService.NewestName(ResolveWorkspace(parse));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or MiniMeException)
        {
            return null;
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

    /// <summary>
    /// The initialized workspace, its config.yaml checked (unknown keys, values that do not fit: exit 2)
    /// for commands that need no engine (runs, trace, feedback, keys): a typo stops every command, not
    /// only the ones that open the memory. Opens no database and loads no model.
    /// </summary>
    protected static Workspace CheckedWorkspace(ParseResult parse)
    {
        var workspace = ResolveWorkspace(parse);
        workspace.EnsureInitialized();
        Engine.LoadOptions(workspace);
        return workspace;
    }
}
