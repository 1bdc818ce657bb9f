using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MiniMe.Cli.Hosting;
using MiniMe.Server;
using MiniMe.Server.Signals;
using Spectre.Console;

namespace MiniMe.Cli.Commands;

/// <summary>
/// `minime signal`: a summary of the owner's memory (top domains, facts per category, goal progress,
/// activity, coherence of principles), from the personal layer's <see cref="SignalService"/>, the same
/// one GET /v1/signal answers with.
/// </summary>
internal sealed class SignalCommand : MiniMeCommand
{
    private readonly Option<bool> _json = new("--json") { Description = "Print the signal as a JSON object (as GET /v1/signal does)" };

    public SignalCommand(CliContext context)
        : base("signal", "A summary of your memory: top domains, facts per category, goal progress, activity, coherence of principles", context)
    {
        Options.Add(_json);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        await using var engine = OpenEngine(parse);
        var signals = engine.Service<SignalService>();
        var signal = await signals.ComputeAsync(engine.Owner.UserId, cancellationToken);
        if (parse.GetValue(_json))
        {
            Out.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(signal, ApiJson.Options));
            return ExitCodes.Ok;
        }
        Out.MarkupLine($"[bold]Signal of {Markup.Escape(signal.User)}[/] [dim](as of {signal.AsOf.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC)[/]");
        var grid = new Grid().AddColumn().AddColumn();
        foreach (var (label, value) in SignalBadge.Rows(signal)) grid.AddRow(Markup.Escape(label), Markup.Escape(value));
        Out.Write(grid);
        if (signal.TopDomains.Count > 0)
        {
            var domains = new Table().Border(TableBorder.Simple).AddColumn("domain")
                .AddColumn(new TableColumn("documents").RightAligned()).AddColumn(new TableColumn("chunks").RightAligned());
            foreach (var d in signal.TopDomains)
                domains.AddRow(Markup.Escape(d.Domain), N(d.Documents), N(d.Chunks));
            Out.Write(domains);
        }
        if (signal.FactCategories.Count > 0)
        {
            var facts = new Table().Border(TableBorder.Simple).AddColumn("fact category").AddColumn(new TableColumn("facts").RightAligned());
            foreach (var c in signal.FactCategories) facts.AddRow(Markup.Escape(c.Category), N(c.Facts));
            Out.Write(facts);
        }
        return ExitCodes.Ok;
    }

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);
}
