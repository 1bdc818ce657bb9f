using System.CommandLine;
using MiniMe.Cli.Hosting;
using MiniMe.Reflection;
using MiniMe.Server.Reflection;
using Spectre.Console;

namespace MiniMe.Cli.Commands;

/// <summary>
/// `minime reflect (--run RUN_ID | --fact ID | --text TEXT) [--perspectives a,b,...] [--json]`: the reflection
/// panel from the personal layer's <see cref="ReflectionService"/> (the one POST /v1/reflect uses), traced as a run.
/// </summary>
internal sealed class ReflectCommand : MiniMeCommand
{
    private readonly Option<string?> _run = new("--run") { Description = "Reflect on this run (its task, plan, proposals and outcome; ids from `minime runs`)" };
    private readonly Option<string?> _fact = new("--fact") { Description = "Reflect on this fact (its text, category and history; ids from `minime facts list`)" };
    private readonly Option<string?> _text = new("--text") { Description = "Reflect on this text" };
    private readonly Option<string?> _perspectives = new("--perspectives", "-p")
    {
        Description = $"Comma-separated perspectives (built-in: {string.Join(", ", Perspectives.Names)}; default: reflect.perspectives)",
    };
    private readonly Option<bool> _json = new("--json") { Description = "Print the result as a JSON object (as POST /v1/reflect does)" };

    public ReflectCommand(CliContext context)
        : base("reflect", "A panel of perspectives reviews a run, a fact or a text; a synthesis merges them and a disagreement index says how much they differ", context)
    {
        Options.Add(_run);
        Options.Add(_fact);
        Options.Add(_text);
        Options.Add(_perspectives);
        Options.Add(_json);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var fact = parse.GetValue(_fact) is { } f ? FactIds.Parse(f) : (long?)null;
        await using var engine = OpenEngine(parse);
        var service = engine.Service<ReflectionService>();
        var result = await service.ReflectAsync(engine.Owner.UserId,
            new ReflectRequest(parse.GetValue(_run), fact, parse.GetValue(_text), parse.GetValue(_perspectives)), cancellationToken);
        if (parse.GetValue(_json))
        {
            Out.Profile.Out.Writer.WriteLine(ReflectionService.ToJson(result).ToJsonString(MiniMe.Tracing.JsonFormats.Indented));
            return ExitCodes.Ok;
        }
        Out.MarkupLine($"[bold]Reflection on {Markup.Escape(result.Subject.Kind)}{(result.Subject.Id is null ? "" : " " + Markup.Escape(result.Subject.Id))}[/]: {Markup.Escape(result.Subject.Title)}");
        var table = new Table().Border(TableBorder.Simple).AddColumn("perspective").AddColumn("stance").AddColumn(new TableColumn("confidence").RightAligned()).AddColumn("assessment");
        foreach (var v in result.Verdicts)
            table.AddRow(Markup.Escape(v.Perspective), Markup.Escape(v.Stance), ReflectionService.Format(v.Confidence), Markup.Escape(v.Assessment));
        Out.Write(table);
        var d = result.Disagreement;
        Out.MarkupLine($"[bold]Disagreement index {ReflectionService.Format(d.Value)}[/] [dim](stances {ReflectionService.Format(d.StanceDispersion)}, confidence spread {ReflectionService.Format(d.ConfidenceSpread)}, " +
            $"assessments {(d.AssessmentDistance is { } a ? ReflectionService.Format(a) : "n/a: embeddings off")})[/]");
        Out.MarkupLine("[bold]Summary[/]");
        Out.WriteLine(result.Synthesis.Summary);
        List("Agreements", result.Synthesis.Agreements);
        List("Open concerns", result.Synthesis.OpenConcerns);
        var concerns = result.Verdicts.Where(v => v.Concerns.Count > 0).ToList();
        if (concerns.Count > 0)
        {
            Out.MarkupLine("[bold]Concerns by perspective[/]");
            foreach (var v in concerns)
                foreach (var c in v.Concerns) Out.MarkupLine($"  [dim]{Markup.Escape(v.Perspective)}:[/] {Markup.Escape(c)}");
        }
        Out.MarkupLine($"[dim]run {Markup.Escape(result.RunId)} (`minime trace {Markup.Escape(result.RunId)}`)" +
            (result.Totals is { } t ? $", {t.TotalTokens} tokens in {t.ModelCalls} model calls" : "") + "[/]");
        return ExitCodes.Ok;
    }

    private void List(string title, IReadOnlyList<string> items)
    {
        if (items.Count == 0) return;
        Out.MarkupLine($"[bold]{title}[/]");
        foreach (var item in items) Out.MarkupLine($"  - {Markup.Escape(item)}");
    }
}
