using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MiniMe.Cli.Hosting;
using MiniMe.Server;
using MiniMe.Server.Sharing;
using MiniMe.Sharing;
using Spectre.Console;

namespace MiniMe.Cli.Commands;

/// <summary>
/// `minime share`: exports under a sharing contract (k-anonymous aggregates only, docs/sharing.md), the
/// registry of contracts and exports, and revocation, all through the personal layer's <see cref="ShareService"/>.
/// </summary>
internal sealed class ShareCommand : MiniMeCommand
{
    public ShareCommand(CliContext context)
        : base("share", "Share aggregates of your memory under a contract: k-anonymous groups only, with a report of what was held back (alone: the list)", context)
    {
        Subcommands.Add(new ExportCommand(context));
        Subcommands.Add(new ListCommand(context));
        Subcommands.Add(new RevokeCommand(context));
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        await using var engine = OpenEngine(parse);
        WriteList(Out, engine.Service<ShareService>().List(engine.Owner.UserId));
        return ExitCodes.Ok;
    }

    private static string When(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    private static string N(double value) => value.ToString(CultureInfo.InvariantCulture);

    private static void WriteList(IAnsiConsole console, ShareListing listing)
    {
        if (listing.Contracts.Count == 0)
        {
            console.MarkupLine("No contracts used yet. Write one (docs/sharing.md) and run [bold]minime share export --contract FILE --out FILE[/].");
            return;
        }
        var table = new Table().Border(TableBorder.Simple)
            .AddColumn("contract").AddColumn("status").AddColumn("recipient").AddColumn(new TableColumn("k").RightAligned())
            .AddColumn("expires").AddColumn("revocable").AddColumn(new TableColumn("exports").RightAligned()).AddColumn("last export (UTC)");
        foreach (var c in listing.Contracts)
        {
            var status = c.Status switch
            {
                ShareStatuses.Active => "[green]active[/]",
                ShareStatuses.Revoked => "[red]revoked[/]",
                _ => "[yellow]expired[/]",
            };
            table.AddRow(Markup.Escape(c.Name), status, Markup.Escape(c.Recipient), N(c.K), c.Expires.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                c.Revocable ? "yes" : "no", N(c.Exports), c.LastExport is { } last ? When(last) : "");
        }
        console.Write(table);
    }

    private sealed class ExportCommand : MiniMeCommand
    {
        private readonly Option<string> _contract = new("--contract", "-c") { Description = "The contract file (YAML, docs/sharing.md)", Required = true };
        private readonly Option<string> _out = new("--out", "-o") { Description = "The export file to write (JSON; replaced if it exists)", Required = true };
        private readonly Option<bool> _json = new("--json") { Description = "Print the export as written (JSON) instead of the tables" };

        public ExportCommand(CliContext context)
            : base("export", "Write the aggregates a contract allows (groups of at least k records) and report what was suppressed", context)
        {
            Options.Add(_contract);
            Options.Add(_out);
            Options.Add(_json);
        }

        protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            var contract = parse.GetValue(_contract)!;
            var target = parse.GetValue(_out)!;
            if (string.IsNullOrWhiteSpace(target)) throw new InvalidInputException("--out is empty; give the export file to write, e.g. --out study.json.");
            if (Directory.Exists(target)) throw new InvalidInputException($"--out {Path.GetFullPath(target)} is a folder; give a file name, e.g. --out {Path.Combine(Path.GetFullPath(target), "share.json")}.");
            await using var engine = OpenEngine(parse);
            var result = await engine.Service<ShareService>().ExportAsync(engine.Owner.UserId, Path.GetFullPath(contract), Path.GetFullPath(target), cancellationToken);
            if (parse.GetValue(_json))
            {
                Out.Profile.Out.Writer.WriteLine((await File.ReadAllTextAsync(result.Out, cancellationToken)).TrimEnd());
                return ExitCodes.Ok;
            }
            var c = result.Contract;
            Out.MarkupLine($"Exported under contract [bold]{Markup.Escape(c.Name)}[/] for {Markup.Escape(c.Recipient)} (k = {c.K}, until {c.Expires.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}) to {Markup.Escape(result.Out)}.");
            foreach (var section in result.Sections)
            {
                Out.MarkupLine($"[bold]{section.Source}[/]: {section.Groups.Count} group(s) published of {section.RecordsInScope} record(s) in scope"
                    + (section.GroupBy.Count == 0 ? "" : $", grouped by {Markup.Escape(string.Join(", ", section.GroupBy))}"));
                if (section.Groups.Count == 0 && section.Total is null) continue;
                var table = new Table().Border(TableBorder.Simple);
                foreach (var q in section.GroupBy) table.AddColumn(q);
                var counted = section.Measures.Contains(ShareSourceKind.Count);
                if (counted) table.AddColumn(new TableColumn(ShareSourceKind.Count).RightAligned());
                var measures = section.Measures.Where(m => m != ShareSourceKind.Count).ToList();
                foreach (var m in measures) table.AddColumn(new TableColumn(m).RightAligned());
                foreach (var g in section.Groups) table.AddRow(Row(g, counted, measures));
                if (section.Total is { } total)
                {
                    // The total has no quasi-identifier values: its label fills their columns.
                    var label = section.GroupBy.Select((_, i) => i == 0 ? "[dim]total[/]" : "");
                    table.AddRow([.. label, .. Row(total, counted, measures)]);
                }
                Out.Write(table);
            }
            var suppressed = result.Suppressed.ToList();
            if (suppressed.Count == 0) Out.MarkupLine("Suppressed: nothing (every group has at least k records).");
            else
            {
                Out.MarkupLine("Suppressed:");
                foreach (var s in suppressed)
                    Out.MarkupLine(s.Reason == SuppressionReasons.GroupBelowK
                        ? $"  {s.Source} ({s.Reason}): {s.Groups} group(s), {(s.Records is { } r ? $"{r} record(s)" : $"fewer than {c.K} record(s)")}."
                        : $"  {s.Source} ({s.Reason}): {Markup.Escape(s.Note)}.");
            }
            return ExitCodes.Ok;
        }

        private static string[] Row(ShareGroup g, bool counted, List<string> measures)
        {
            var cells = new List<string>();
            cells.AddRange(g.Keys.Select(kv => Markup.Escape(kv.Value)));
            if (counted) cells.Add(N(g.Count));
            foreach (var m in measures) cells.Add(g.Measures.FirstOrDefault(x => x.Key == m) is { Key: not null } v ? N(v.Value) : "");
            return [.. cells];
        }
    }

    private sealed class ListCommand : MiniMeCommand
    {
        private readonly Option<bool> _json = new("--json") { Description = "Print {contracts, exports} as JSON" };

        public ListCommand(CliContext context) : base("list", "The contracts used (active, expired or revoked) and the exports made", context) => Options.Add(_json);

        protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            await using var engine = OpenEngine(parse);
            var listing = engine.Service<ShareService>().List(engine.Owner.UserId);
            if (parse.GetValue(_json))
            {
                Out.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(listing, ApiJson.Options));
                return ExitCodes.Ok;
            }
            WriteList(Out, listing);
            return ExitCodes.Ok;
        }
    }

    private sealed class RevokeCommand : MiniMeCommand
    {
        private readonly Argument<string> _name = new("NAME") { Description = "The contract's name (from `minime share list`)" };
        private readonly Option<bool> _json = new("--json") { Description = "Print the revoked contract as JSON" };

        public RevokeCommand(CliContext context) : base("revoke", "Revoke a contract: nothing is exported under its name again", context)
        {
            Arguments.Add(_name);
            Options.Add(_json);
        }

        protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            await using var engine = OpenEngine(parse);
            var revoked = await engine.Service<ShareService>().RevokeAsync(engine.Owner.UserId, parse.GetValue(_name)!, cancellationToken);
            if (parse.GetValue(_json))
            {
                Out.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(revoked, ApiJson.Options));
                return ExitCodes.Ok;
            }
            Out.MarkupLine($"Revoked contract [bold]{Markup.Escape(revoked.Name)}[/] ({Markup.Escape(revoked.Recipient)}): nothing is exported under it again. Its {revoked.Exports} earlier export(s) are already out; ask the recipient to delete them.");
            return ExitCodes.Ok;
        }
    }
}
