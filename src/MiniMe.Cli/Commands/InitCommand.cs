using System.CommandLine;
using MiniMe.Cli.Hosting;
using MiniMe.Configuration;
using MiniMe.Tools.Trust;
using Spectre.Console;

namespace MiniMe.Cli.Commands;

internal sealed class InitCommand : MiniMeCommand
{
    private readonly Option<string?> _name = new("--name") { Description = "Your name, for the persona (default: $USER)" };
    private readonly Option<bool> _force = new("--force") { Description = "Overwrite existing config.yaml, identity.yaml and allowlist.yaml (and trust the result); start an empty memory if memory.db is empty (0 bytes)" };

    public InitCommand(CliContext context) : base("init", "Create a workspace: config.yaml, identity.yaml, allowlist.yaml, traces/, memory.db; trusted on this machine", context)
    {
        Options.Add(_name);
        Options.Add(_force);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var workspace = ResolveWorkspace(parse);
        var name = parse.GetValue(_name) ?? Environment.GetEnvironmentVariable("USER") ?? "engineer";
        var force = parse.GetValue(_force);
        WorkspaceInitializer.Initialize(workspace, name, force);
        var options = Engine.LoadOptions(workspace);
        // The store memory.store names, created (SQLite) or reached and migrated (PostgreSQL) now, so a wrong setting shows here.
        await using (var engine = new Engine(workspace, options, allowEmptyMemory: force, Context.Trust))
        {
            await engine.StoreAsync(cancellationToken);
            await engine.Owner.FactStoreAsync(cancellationToken);
        }
        Out.MarkupLine($"[green]Initialized[/] MiniMe workspace in [bold]{Markup.Escape(Display(workspace.Root))}[/]");
        var trusted = RecordTrust(workspace, options);
        Out.MarkupLine("Tools may read the project, write under src/, tests/ and docs/, and run read-only git commands; nothing that runs code from the repository is allowed.");
        Out.MarkupLine("[grey]To let agents build and test, add [bold]\"build ...\", \"test ...\"[/] to the dotnet rule in allowlist.yaml: that runs this repository's build files and tests inside the sandbox (no network, no secrets, no .git), then run [bold]minime trust[/].[/]");
        Out.MarkupLine("Next: [bold]minime import PATH[/] to add notes and code, then [bold]minime search QUERY[/] or [bold]minime ask TASK --dry-run[/].");
        return trusted ? ExitCodes.Ok : ExitCodes.Error;
    }

    /// <summary>
    /// A workspace `init` wrote is trusted as written, unless the effective settings (an environment
    /// override) put the tools root outside the workspace's folder: that needs `minime trust --allow-outside-root`.
    /// </summary>
    private bool RecordTrust(Workspace workspace, MiniMeOptions options)
    {
        try
        {
            var review = TrustReview.Of(Context.Trust, workspace, options);
            if (review.RootNeedsConfirmation)
            {
                var why = review.Warnings.First(w => w.Kind == TrustReview.RootOutsideWorkspace).Message;
                Context.Error.WriteLine($"Not trusted: {why}; review it with `minime trust --allow-outside-root` before tools can run.");
                return true;
            }
            WorkspaceTrust.Record(Context.Trust, review.Fingerprint, review.Allowlist, TrustSource.Init, DateTimeOffset.UtcNow);
            Out.MarkupLine("[grey]Trusted on this machine: its tools may run after your approval (`minime trust` shows what they may do).[/]");
            return true;
        }
        catch (TrustFileException e)
        {
            Context.Error.WriteLine($"error: the workspace was created, but trust could not be recorded, so its tools are refused: {e.Message}");
            return false;
        }
    }
}
