using System.CommandLine;
using MiniMe.Cli.Hosting;
using MiniMe.Configuration;
using MiniMe.Storage.Sqlite;
using Spectre.Console;

namespace MiniMe.Cli.Commands;

internal sealed class InitCommand : MiniMeCommand
{
    private readonly Option<string?> _name = new("--name") { Description = "Your name, for the persona (default: $USER)" };
    private readonly Option<bool> _force = new("--force") { Description = "Overwrite existing config.yaml, identity.yaml and allowlist.yaml; start an empty memory if memory.db is empty (0 bytes)" };

    public InitCommand(CliContext context) : base("init", "Create a workspace: config.yaml, identity.yaml, allowlist.yaml, traces/, memory.db", context)
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
        await using (var store = new SqliteMemoryStore(workspace.ResolvePath(options.Memory.Path), allowEmptyFile: force))
            await store.InitializeAsync(cancellationToken);
        Out.MarkupLine($"[green]Initialized[/] MiniMe workspace in [bold]{Markup.Escape(Display(workspace.Root))}[/]");
        Out.MarkupLine("Next: [bold]minime import PATH[/] to add notes and code, then [bold]minime search QUERY[/] or [bold]minime ask TASK --dry-run[/].");
        return ExitCodes.Ok;
    }
}
