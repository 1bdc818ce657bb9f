using System.Globalization;
using MiniMe.Runs;
using Spectre.Console;

namespace MiniMe.Cli.Rendering;

/// <summary>Shows a dry run: classification, masks, principles, retrieval, context blocks, run id.</summary>
internal static class AskRenderer
{
    public static void Render(IAnsiConsole console, AskResult r)
    {
        var p = r.Profile;
        console.Write(new Rule($"[bold]Task[/] · run {r.RunId}").LeftJustified());
        console.WriteLine(r.Task);
        console.MarkupLine($"Domain [bold]{Markup.Escape(p.Domain)}[/] (confidence {p.DomainConfidence:0.00}) · complexity [bold]{p.Complexity:0.00}[/]");
        foreach (var signal in p.Signals) console.MarkupLine($"  [grey]· {Markup.Escape(signal)}[/]");

        console.Write(new Rule($"[bold]Masks[/] · {Markup.Escape(r.PolicyName)}").LeftJustified());
        var m = r.Masks;
        var masks = new Table().Border(TableBorder.Simple).AddColumn("weight").AddColumn(new TableColumn("value").RightAligned());
        void Row(string name, string value) => masks.AddRow(name, value);
        Row("alpha (domain)", F(m.Alpha));
        Row("beta (task)", F(m.Beta));
        Row("gamma (agent)", F(m.Gamma));
        Row("retrieval k", m.RetrievalK.ToString(CultureInfo.InvariantCulture));
        Row("retrieval domain weight", F(m.RetrievalDomainWeight));
        Row("retrieval recency weight", F(m.RetrievalRecencyWeight));
        Row("temperature", F(m.Temperature));
        Row("rigor", F(m.Rigor));
        Row("max iterations", m.MaxIterations.ToString(CultureInfo.InvariantCulture));
        foreach (var (agent, weight) in m.AgentRouting)
            Row($"route {agent}", weight < 0.2 ? $"{F(weight)} (skip)" : F(weight));
        console.Write(masks);

        console.Write(new Rule("[bold]Principles[/] (effective weight)").LeftJustified());
        if (r.Principles.Count == 0) console.MarkupLine("[grey]none apply[/]");
        foreach (var w in r.Principles)
            console.MarkupLine($"  {F(w.Weight)}  [bold]{Markup.Escape(w.Principle.Name)}[/] [grey]({w.Layer.ToString().ToLowerInvariant()})[/]");

        console.Write(new Rule($"[bold]Retrieval[/] · {r.Retrieval.Mode} · {r.Retrieval.Hits.Count} of k={m.RetrievalK} · {r.Retrieval.ElapsedMs:0.0} ms").LeftJustified());
        if (r.Retrieval.Hits.Count == 0) console.MarkupLine("[grey]no memory matched; import notes with minime import PATH[/]");
        foreach (var hit in r.Retrieval.Hits)
            console.MarkupLine($"  {hit.Score:0.000}  [cyan]{Markup.Escape(Path.GetFileName(hit.Source))}:{hit.StartOffset}-{hit.EndOffset}[/] [grey]{Markup.Escape(hit.Domain)} #{hit.Id}[/]");

        var c = r.Context;
        console.Write(new Rule($"[bold]Context[/] · {c.TotalTokens} / {c.BudgetTokens} tokens ({Markup.Escape(c.TokenizerName)}){(c.FromCache ? " · cached" : "")}").LeftJustified());
        var blocks = new Table().Border(TableBorder.Simple)
            .AddColumn("block").AddColumn("kind").AddColumn(new TableColumn("weight").RightAligned())
            .AddColumn(new TableColumn("tokens").RightAligned()).AddColumn("kept");
        foreach (var b in c.Blocks)
            blocks.AddRow(
                Markup.Escape(b.Id), b.Kind.ToString(), F(b.Weight), b.Tokens.ToString(CultureInfo.InvariantCulture),
                b.Kept ? (b.Reason is null ? "[green]yes[/]" : $"[yellow]{Markup.Escape(b.Reason)}[/]") : $"[red]dropped[/] [grey]{Markup.Escape(b.Reason ?? "")}[/]");
        console.Write(blocks);

        console.MarkupLine($"Status [bold]{Markup.Escape(r.Status)}[/]. Trace: [bold]minime trace {r.RunId}[/]");
        console.WriteLine($"run_id: {r.RunId}");
    }

    private static string F(double value) => value.ToString("0.00", CultureInfo.InvariantCulture);
}
