using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using MiniMe.Cli.Hosting;
using MiniMe.Snapshots;
using MiniMe.Tracing;
using Spectre.Console;

namespace MiniMe.Cli.Commands;

/// <summary>`minime snapshot create|list|restore`.</summary>
internal sealed class SnapshotCommand : Command
{
    public SnapshotCommand(CliContext context) : base("snapshot", "Snapshot the workspace (memory, config, identity, allowlist, feedback, traces) and restore it")
    {
        Subcommands.Add(new CreateCommand(context));
        Subcommands.Add(new ListCommand(context));
        Subcommands.Add(new RestoreCommand(context));
    }

    private static JsonObject ToJson(SnapshotInfo s)
    {
        var json = new JsonObject { ["name"] = s.Name, ["path"] = s.Directory, ["problem"] = s.Problem };
        if (s.Manifest is { } m)
        {
            json["kind"] = m.Kind;
            json["created_at"] = m.CreatedAt.ToString("O", CultureInfo.InvariantCulture);
            json["schema_version"] = m.SchemaVersion;
            json["total_bytes"] = m.TotalBytes;
            json["files"] = m.Files.Count;
            var counts = new JsonObject();
            foreach (var (key, value) in m.Counts.OrderBy(c => c.Key, StringComparer.Ordinal)) counts[key] = value;
            json["counts"] = counts;
        }
        return json;
    }

    private static string Size(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.0} MB"),
    };

    private static string Summary(SnapshotManifest m)
    {
        long Count(string key) => m.Counts.TryGetValue(key, out var n) ? n : 0;
        return string.Create(CultureInfo.InvariantCulture,
            $"{m.Files.Count} files, {Size(m.TotalBytes)}: {Count("documents")} documents, {Count("chunks")} chunks, {Count("facts")} facts, {Count("traces")} traces");
    }

    private sealed class CreateCommand : MiniMeCommand
    {
        private readonly Argument<string?> _name = new("NAME") { Description = "Snapshot name (default: the UTC time, yyyyMMdd-HHmmss)", Arity = ArgumentArity.ZeroOrOne };
        private readonly Option<bool> _json = new("--json") { Description = "Print JSON" };

        public CreateCommand(CliContext context) : base("create", "Take a consistent snapshot, even while MiniMe is in use", context)
        {
            Arguments.Add(_name);
            Options.Add(_json);
        }

        protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            var name = parse.GetValue(_name);
            if (name is not null) SnapshotName.Validate(name);
            await using var engine = OpenEngine(parse);
            var snapshot = await engine.Snapshots().CreateAsync(name, cancellationToken);
            if (parse.GetValue(_json))
            {
                Out.Profile.Out.Writer.WriteLine(ToJson(snapshot).ToJsonString(JsonFormats.Indented));
                return ExitCodes.Ok;
            }
            Out.MarkupLine($"[green]Snapshot[/] [bold]{Markup.Escape(snapshot.Name)}[/] in {Markup.Escape(Display(snapshot.Directory))}");
            Out.MarkupLine($"  {Markup.Escape(Summary(snapshot.Manifest!))}; SHA-256 checksums in {SnapshotManifest.FileName}");
            return ExitCodes.Ok;
        }
    }

    private sealed class ListCommand : MiniMeCommand
    {
        private readonly Option<bool> _json = new("--json") { Description = "Print a JSON array" };

        public ListCommand(CliContext context) : base("list", "List snapshots, oldest first", context) => Options.Add(_json);

        protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            // Listing reads manifests only: no database is opened.
            await using var engine = OpenEngine(parse);
            var snapshots = engine.Snapshots().List();
            if (parse.GetValue(_json))
            {
                Out.Profile.Out.Writer.WriteLine(new JsonArray([.. snapshots.Select(s => (JsonNode?)ToJson(s))]).ToJsonString(JsonFormats.Indented));
                return ExitCodes.Ok;
            }
            if (snapshots.Count == 0)
            {
                Out.MarkupLine("No snapshots yet. Take one with [bold]minime snapshot create[/].");
                return ExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Simple).AddColumn("name").AddColumn("created (UTC)").AddColumn("kind").AddColumn("contents");
            foreach (var s in snapshots)
                table.AddRow(
                    Markup.Escape(s.Name),
                    s.Manifest?.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "",
                    s.Manifest?.Kind ?? "[red]damaged[/]",
                    Markup.Escape(s.Manifest is { } m ? Summary(m) : s.Problem ?? ""));
            Out.Write(table);
            return ExitCodes.Ok;
        }
    }

    private sealed class RestoreCommand : MiniMeCommand
    {
        private readonly Argument<string> _name = new("NAME") { Description = "The snapshot to restore" };
        private readonly Option<bool> _yes = new("--yes", "-y") { Description = "Do not ask for confirmation" };

        public RestoreCommand(CliContext context)
            : base("restore", "Verify a snapshot, save the current state as a safety snapshot, then restore it", context)
        {
            Arguments.Add(_name);
            Options.Add(_yes);
        }

        protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            var name = SnapshotName.Validate(parse.GetValue(_name));
            await using var engine = OpenEngine(parse);
            var snapshots = engine.Snapshots();
            // Refuse a damaged or unknown snapshot before asking anything.
            var manifest = await snapshots.VerifyAsync(name, cancellationToken);
            var question = $"Replace the current memory, config, identity, allowlist, feedback and traces with snapshot '{Markup.Escape(name)}' from {manifest.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC? (the current state is saved first)";
            if (!Confirmation.Ask(Context, parse.GetValue(_yes), question, $"Restoring snapshot '{name}'"))
            {
                Out.MarkupLine("Nothing changed.");
                return ExitCodes.Ok;
            }
            var result = await snapshots.RestoreAsync(name, cancellationToken);
            Out.MarkupLine($"[green]Restored[/] snapshot [bold]{Markup.Escape(name)}[/] ({Markup.Escape(Summary(result.Restored))})");
            if (result.ReplacedDamagedDatabase)
                Out.MarkupLine($"  the damaged memory.db it replaced is kept in snapshot [bold]{Markup.Escape(result.Safety.Name)}[/] as {SnapshotService.DamagedDatabaseFile} (for salvage; it cannot be restored)");
            else
                Out.MarkupLine($"  the previous state is in snapshot [bold]{Markup.Escape(result.Safety.Name)}[/] (`minime snapshot restore {Markup.Escape(result.Safety.Name)}` undoes this)");
            return ExitCodes.Ok;
        }
    }
}
