using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using MiniMe.Cli.Hosting;
using MiniMe.Packs;
using MiniMe.Server.Packs;
using Spectre.Console;

namespace MiniMe.Cli.Commands;

/// <summary>
/// `minime packs create|import|list|show|activate|deactivate|rollback|remove`: knowledge packs in the
/// workspace's packs/ folder, through the same <see cref="PackService"/> as /v1/packs. Active packs
/// whose topics match a task join its context.
/// </summary>
internal sealed class PacksCommand : Command
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public PacksCommand(CliContext context) : base("packs", "Knowledge packs: rules, facts and documents on a topic that join the context of tasks about it")
    {
        Subcommands.Add(new CreateCommand(context));
        Subcommands.Add(new ImportCommand(context));
        Subcommands.Add(new ListCommand(context));
        Subcommands.Add(new ShowCommand(context));
        Subcommands.Add(new ActivateCommand(context));
        Subcommands.Add(new DeactivateCommand(context));
        Subcommands.Add(new RollbackCommand(context));
        Subcommands.Add(new RemoveCommand(context));
    }

    private static Argument<string> NameArgument() => new("NAME") { Description = "The pack's name (from `minime packs list`)" };

    private static Option<string?> VersionOption(string description) => new("--version") { Description = description };

    private static Option<bool> JsonOption() => new("--json") { Description = "Print JSON" };

    /// <summary>The owner's pack store, through the engine's one composition root (no database is opened).</summary>
    private abstract class PacksSubcommand(string name, string description, CliContext context) : MiniMeCommand(name, description, context)
    {
        protected async Task<int> WithStoreAsync(ParseResult parse, Func<PackStore, int> action)
        {
            await using var engine = OpenEngine(parse);
            return action(engine.Service<PackService>().For(engine.Owner));
        }

        protected void WriteJson<T>(T value) => Out.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(value, Json));

        protected void Activation(PackActivation change)
        {
            var from = change.Previous ?? "none";
            var to = change.Active ?? "none (deactivated)";
            Out.MarkupLine(change.Previous == change.Active
                ? $"[bold]{Markup.Escape(change.Name)}[/]: active version stays {Markup.Escape(to)}."
                : $"[bold]{Markup.Escape(change.Name)}[/]: active version {Markup.Escape(from)} → [bold]{Markup.Escape(to)}[/].");
        }
    }

    private sealed class CreateCommand : MiniMeCommand
    {
        private readonly Argument<string> _name = new("NAME") { Description = "The new pack's name: a slug (lowercase letters, digits, '-'), e.g. postgres-ops" };
        private readonly Option<string?> _topics = new("--topics") { Description = "Comma-separated topics (words or phrases) that make the pack join a task" };
        private readonly Option<string?> _description = new("--description") { Description = "One line on what the pack knows" };
        private readonly Option<string?> _dir = new("--dir") { Description = "Folder to create (default: ./NAME); must not exist or be empty" };

        public CreateCommand(CliContext context) : base("create", "Scaffold a pack folder: a commented pack.yaml and an example document, ready to edit and import", context)
        {
            Arguments.Add(_name);
            Options.Add(_topics);
            Options.Add(_description);
            Options.Add(_dir);
        }

        protected override Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            var name = parse.GetValue(_name)!;
            var topics = (parse.GetValue(_topics) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var folder = PackScaffold.Create(name, parse.GetValue(_dir) ?? Path.Combine(Directory.GetCurrentDirectory(), name), topics, parse.GetValue(_description));
            Out.MarkupLine($"Created pack [bold]{Markup.Escape(name)}[/] in {Markup.Escape(Display(folder))}: {PackParser.ManifestName} and {PackScaffold.ExampleDocument}.");
            Out.MarkupLine($"Edit them, then install it with [bold]minime packs import {Markup.Escape(Display(folder))}[/].");
            return Task.FromResult(ExitCodes.Ok);
        }
    }

    private sealed class ImportCommand : PacksSubcommand
    {
        private readonly Argument<string> _path = new("PATH") { Description = "A pack folder (with pack.yaml), its pack.yaml, or a single *.pack.yaml file" };
        private readonly Option<bool> _force = new("--force") { Description = "Replace an installed version that has other content (instead of refusing)" };
        private readonly Option<bool> _noActivate = new("--no-activate") { Description = "Only install the version; leave the active one as it is" };
        private readonly Option<bool> _json = JsonOption();

        public ImportCommand(CliContext context) : base("import", "Validate a pack and install its version (a new pack, or a newer version of an active one, becomes active)", context)
        {
            Arguments.Add(_path);
            Options.Add(_force);
            Options.Add(_noActivate);
            Options.Add(_json);
        }

        protected override Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken) => WithStoreAsync(parse, store =>
        {
            var loaded = PackParser.Load(parse.GetValue(_path)!);
            var result = store.Import(loaded, parse.GetValue(_force), activate: !parse.GetValue(_noActivate));
            if (parse.GetValue(_json))
            {
                WriteJson(result);
                return ExitCodes.Ok;
            }
            var what = result.Outcome switch
            {
                "unchanged" => "is already installed with this content; nothing changed",
                "replaced" => "replaced the installed content",
                _ => "installed",
            };
            var pack = loaded.Pack;
            Out.MarkupLine($"[bold]{Markup.Escape(result.Name)} {Markup.Escape(result.Version)}[/] {what}: {pack.Rules.Count} rules, {pack.Facts.Count} facts, {pack.Documents.Count} documents; topics {Markup.Escape(string.Join(", ", pack.Topics))}.");
            Out.MarkupLine(result.Active
                ? "It is active: tasks that mention its topics get it in their context."
                : result.ActiveVersion is { } active
                    ? $"Active version stays {Markup.Escape(active)}; `minime packs activate {Markup.Escape(result.Name)} --version {Markup.Escape(result.Version)}` switches."
                    : $"The pack is deactivated; `minime packs activate {Markup.Escape(result.Name)}` turns it on.");
            return ExitCodes.Ok;
        });
    }

    private sealed class ListCommand : PacksSubcommand
    {
        private readonly Option<bool> _json = new("--json") { Description = "Print a JSON array" };

        public ListCommand(CliContext context) : base("list", "List installed packs: active version, versions kept, topics", context)
        {
            Options.Add(_json);
        }

        protected override Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken) => WithStoreAsync(parse, store =>
        {
            var packs = store.List();
            if (parse.GetValue(_json))
            {
                WriteJson(packs);
                return ExitCodes.Ok;
            }
            if (packs.Count == 0)
            {
                Out.MarkupLine("No packs installed. Make one with [bold]minime packs create NAME[/], install it with [bold]minime packs import PATH[/].");
                return ExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Simple).AddColumn("name").AddColumn("active").AddColumn("versions").AddColumn("topics");
            foreach (var p in packs)
                table.AddRow(Markup.Escape(p.Name), p.Active is null ? "[grey]off[/]" : Markup.Escape(p.Active),
                    Markup.Escape(string.Join(", ", p.Versions)), Markup.Escape(string.Join(", ", p.Topics)));
            Out.Write(table);
            return ExitCodes.Ok;
        });
    }

    private sealed class ShowCommand : PacksSubcommand
    {
        private readonly Argument<string> _name = NameArgument();
        private readonly Option<string?> _version = VersionOption("The version to show (default: the active one, else the newest)");
        private readonly Option<bool> _json = JsonOption();

        public ShowCommand(CliContext context) : base("show", "Show one version of a pack: topics, rules, facts and documents", context)
        {
            Arguments.Add(_name);
            Options.Add(_version);
            Options.Add(_json);
        }

        protected override Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken) => WithStoreAsync(parse, store =>
        {
            var pack = store.Show(parse.GetValue(_name)!, parse.GetValue(_version));
            if (parse.GetValue(_json))
            {
                WriteJson(pack);
                return ExitCodes.Ok;
            }
            Out.Write(new Rule($"[bold]{Markup.Escape(pack.Name)} {Markup.Escape(pack.Version)}[/] · {(pack.Active ? "active" : pack.ActiveVersion is { } a ? $"not active (active: {Markup.Escape(a)})" : "deactivated")}").LeftJustified());
            if (pack.Description.Length > 0) Out.WriteLine(pack.Description);
            Out.MarkupLine($"Topics: {Markup.Escape(string.Join(", ", pack.Topics))}");
            Out.MarkupLine($"Versions: {Markup.Escape(string.Join(", ", pack.Versions.Select(v => v.Active ? v.Version + " (active)" : v.Version)))}");
            Out.MarkupLine($"[bold]Rules[/] ({pack.Rules.Count})");
            foreach (var rule in pack.Rules) Out.MarkupLine($"  · {Markup.Escape(rule)}");
            Out.MarkupLine($"[bold]Facts[/] ({pack.Facts.Count})");
            foreach (var fact in pack.Facts) Out.MarkupLine($"  · [grey]{Markup.Escape(fact.Category)}[/] {Markup.Escape(fact.Text)}");
            Out.MarkupLine($"[bold]Documents[/] ({pack.Documents.Count})");
            foreach (var document in pack.Documents)
                Out.MarkupLine($"  · {Markup.Escape(document.Title)} [grey]({document.Characters.ToString("N0", CultureInfo.InvariantCulture)} characters{(document.Path is null ? ", inline" : "")})[/]");
            return ExitCodes.Ok;
        });
    }

    private sealed class ActivateCommand : PacksSubcommand
    {
        private readonly Argument<string> _name = NameArgument();
        private readonly Option<string?> _version = VersionOption("The version to make active (default: the newest installed)");

        public ActivateCommand(CliContext context) : base("activate", "Make a version of a pack the active one (the one before is remembered for rollback)", context)
        {
            Arguments.Add(_name);
            Options.Add(_version);
        }

        protected override Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken) => WithStoreAsync(parse, store =>
        {
            Activation(store.Activate(parse.GetValue(_name)!, parse.GetValue(_version)));
            return ExitCodes.Ok;
        });
    }

    private sealed class DeactivateCommand : PacksSubcommand
    {
        private readonly Argument<string> _name = NameArgument();

        public DeactivateCommand(CliContext context) : base("deactivate", "Stop a pack joining runs; its versions are kept", context)
        {
            Arguments.Add(_name);
        }

        protected override Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken) => WithStoreAsync(parse, store =>
        {
            Activation(store.Deactivate(parse.GetValue(_name)!));
            return ExitCodes.Ok;
        });
    }

    private sealed class RollbackCommand : PacksSubcommand
    {
        private readonly Argument<string> _name = NameArgument();

        public RollbackCommand(CliContext context) : base("rollback", "Make the version that was active before the current one active again", context)
        {
            Arguments.Add(_name);
        }

        protected override Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken) => WithStoreAsync(parse, store =>
        {
            Activation(store.Rollback(parse.GetValue(_name)!));
            return ExitCodes.Ok;
        });
    }

    private sealed class RemoveCommand : PacksSubcommand
    {
        private readonly Argument<string> _name = NameArgument();
        private readonly Option<string?> _version = VersionOption("Remove only this version (default: the whole pack, every version)");

        public RemoveCommand(CliContext context) : base("remove", "Delete a pack, or one version of it (removing the active version deactivates the pack)", context)
        {
            Arguments.Add(_name);
            Options.Add(_version);
        }

        protected override Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken) => WithStoreAsync(parse, store =>
        {
            var removed = store.Remove(parse.GetValue(_name)!, parse.GetValue(_version));
            Out.MarkupLine($"Removed [bold]{Markup.Escape(removed.Name)}[/] {Markup.Escape(string.Join(", ", removed.Removed))}.");
            return ExitCodes.Ok;
        });
    }
}
