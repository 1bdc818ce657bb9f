using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using MiniMe.Cli.Hosting;
using MiniMe.Server.Profiles;
using Spectre.Console;
using Profile = MiniMe.Server.Profiles.Profile;

namespace MiniMe.Cli.Commands;

/// <summary>
/// `minime profile show|undo|history`: the owner's persona and principles (identity.yaml) through the
/// same <see cref="ProfileService"/> as GET/PUT /v1/profile, so an update made through the API is
/// undone here and the other way round.
/// </summary>
internal sealed class ProfileCommand : Command
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public ProfileCommand(CliContext context) : base("profile", "Show your persona and principles (identity.yaml), list earlier versions and undo the last update")
    {
        Subcommands.Add(new ShowCommand(context));
        Subcommands.Add(new UndoCommand(context));
        Subcommands.Add(new HistoryCommand(context));
    }

    private static Option<bool> JsonOption() => new("--json") { Description = "Print JSON (the shape GET /v1/profile returns)" };

    private static void Render(IAnsiConsole console, Profile profile)
    {
        console.MarkupLine($"[bold]voice:[/] {Markup.Escape(profile.Persona.Voice ?? "")}");
        console.MarkupLine($"[bold]tone:[/]  {Markup.Escape(profile.Persona.Tone ?? "")}");
        foreach (var rule in profile.Persona.StyleRules ?? []) console.MarkupLine($"[grey]style:[/] {Markup.Escape(rule)}");
        foreach (var value in profile.Persona.Values ?? []) console.MarkupLine($"[grey]value:[/] {Markup.Escape(value)}");
        if (profile.Principles.Count == 0)
        {
            console.MarkupLine("No principles.");
            return;
        }
        var table = new Table().Border(TableBorder.Simple).AddColumn("principle").AddColumn("magnitude").AddColumn("scope").AddColumn("description");
        foreach (var p in profile.Principles)
            table.AddRow(Markup.Escape(p.Name ?? ""), (p.Magnitude ?? 0.5).ToString("0.##", CultureInfo.InvariantCulture),
                Markup.Escape(p.Target is null ? p.Scope ?? "global" : $"{p.Scope}: {p.Target}"), Markup.Escape(p.Description ?? ""));
        console.Write(table);
    }

    private sealed class ShowCommand : MiniMeCommand
    {
        private readonly Option<bool> _json = JsonOption();

        public ShowCommand(CliContext context) : base("show", "Show your persona and principles", context) => Options.Add(_json);

        protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            await using var engine = OpenEngine(parse);
            var profile = engine.Service<ProfileService>().Get(engine.Owner);
            if (parse.GetValue(_json)) Out.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(profile, Json));
            else Render(Out, profile);
            return ExitCodes.Ok;
        }
    }

    private sealed class UndoCommand : MiniMeCommand
    {
        private readonly Option<bool> _json = JsonOption();

        public UndoCommand(CliContext context) : base("undo", "Go back to the profile before the last update (PUT /v1/profile); again to go further back", context) => Options.Add(_json);

        protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            await using var engine = OpenEngine(parse);
            var restored = await engine.Service<ProfileService>().UndoAsync(engine.Owner, cancellationToken);
            if (parse.GetValue(_json))
            {
                Out.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(restored, Json));
                return ExitCodes.Ok;
            }
            Out.MarkupLine("[green]Restored[/] the previous profile:");
            Render(Out, restored);
            return ExitCodes.Ok;
        }
    }

    private sealed class HistoryCommand : MiniMeCommand
    {
        private readonly Option<bool> _json = JsonOption();

        public HistoryCommand(CliContext context) : base("history", "List the earlier profiles kept for undo, newest first", context) => Options.Add(_json);

        protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            await using var engine = OpenEngine(parse);
            var versions = engine.Service<ProfileService>().History(engine.Owner);
            if (parse.GetValue(_json))
            {
                Out.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(versions.Select(v => new { v.Id, v.ReplacedAt, v.Voice, v.Tone, v.Principles }), Json));
                return ExitCodes.Ok;
            }
            if (versions.Count == 0)
            {
                Out.MarkupLine("No earlier profiles: identity.yaml has not been replaced through the API.");
                return ExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Simple).AddColumn("id").AddColumn("replaced (UTC)").AddColumn("voice").AddColumn("principles");
            foreach (var v in versions)
                table.AddRow(v.Id, v.ReplacedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture), Markup.Escape(v.Voice), v.Principles.ToString(CultureInfo.InvariantCulture));
            Out.Write(table);
            return ExitCodes.Ok;
        }
    }
}
