using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MiniMe.Actions;
using MiniMe.Runs;
using Spectre.Console;

namespace MiniMe.Cli.Rendering;

/// <summary>Shows what the team produced: the plan, the reviews, the proposed actions (run only after approval) and the totals.</summary>
internal static class TeamRenderer
{
    private const int PreviewLines = 20;

    public static void Render(IAnsiConsole console, AskResult r)
    {
        var team = r.Team ?? throw new ArgumentException("The run has no team result.", nameof(r));
        console.Write(new Rule($"[bold]Task[/] · run {r.RunId}").LeftJustified());
        console.WriteLine(r.Task);
        console.MarkupLine($"Domain [bold]{Markup.Escape(r.Profile.Domain)}[/] · complexity [bold]{F(r.Profile.Complexity)}[/] · {r.Retrieval.Hits.Count} memory hit(s) · context {r.Context.TotalTokens} tokens");
        if (team.SkippedAgents.Count > 0) console.MarkupLine($"[grey]Skipped by routing: {Markup.Escape(string.Join(", ", team.SkippedAgents))}[/]");

        if (team.Plan is { } plan)
        {
            console.Write(new Rule("[bold]Plan[/] · architect").LeftJustified());
            console.WriteLine(plan.Summary);
            foreach (var m in plan.Modules)
                console.MarkupLine($"  [bold]{Markup.Escape(m.Name)}[/]: {Markup.Escape(m.Responsibility)}{(m.DependsOn.Count > 0 ? $" [grey](uses {Markup.Escape(string.Join(", ", m.DependsOn))})[/]" : "")}");
        }

        if (team.Reviews.Count > 0)
        {
            console.Write(new Rule($"[bold]Review[/] · {team.Iterations} round(s)").LeftJustified());
            foreach (var review in team.Reviews)
            {
                console.MarkupLine($"  round {review.Iteration}: {(review.Valid ? "[green]accepted[/]" : "[red]rejected[/]")}{(review.ModelReviewed ? "" : " [grey](static checks only)[/]")}");
                foreach (var v in review.Violations)
                    console.MarkupLine($"    {(v.Blocking ? "[red]x[/]" : "[yellow]~[/]")} [bold]{Markup.Escape(v.Rule)}[/]: {Markup.Escape(v.Message)}{(v.Location is null ? "" : $" [grey]({Markup.Escape(v.Location)})[/]")}");
            }
            if (team.Unresolved)
                console.MarkupLine("[yellow]The critic still rejects the last build after the allowed rounds; review the proposals with care.[/]");
        }

        console.Write(new Rule($"[bold]Proposed actions[/] · {team.Proposals.Count}").LeftJustified());
        if (team.Integration is { } integration) console.WriteLine(integration.Summary);
        if (team.Proposals.Count == 0) console.MarkupLine("[grey]none[/]");
        foreach (var p in team.Proposals) RenderProposal(console, p);
        if (team.Proposals.Count > 0)
            console.MarkupLine("[grey]Nothing has run yet: each proposal goes through the allowlist and your approval below.[/]");

        if (r.Totals is { } t)
        {
            console.Write(new Rule("[bold]Totals[/]").LeftJustified());
            console.WriteLine(
                $"tokens: {t.PromptTokens.ToString(CultureInfo.InvariantCulture)} prompt + {t.CompletionTokens.ToString(CultureInfo.InvariantCulture)} completion = {t.TotalTokens.ToString(CultureInfo.InvariantCulture)}{(t.UsageEstimated ? " (partly estimated)" : "")}" +
                $" · cost ${t.Cost.ToString("0.0000", CultureInfo.InvariantCulture)} · {t.ModelCalls} model call(s)" +
                $" · elapsed {t.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s (model {(t.ModelMilliseconds / 1000).ToString("0.0", CultureInfo.InvariantCulture)} s)");
        }
        console.MarkupLine($"Status [bold]{Markup.Escape(r.Status)}[/]. Trace: [bold]minime trace {r.RunId}[/]");
        console.WriteLine($"run_id: {r.RunId}");
    }

    private static void RenderProposal(IAnsiConsole console, ActionProposal p)
    {
        var args = p.Arguments;
        var head = p.Tool switch
        {
            "write_file" or "apply_patch" => Str(args, "path"),
            "run_command" => args["argv"] is JsonArray argv ? string.Join(' ', argv.Select(x => x?.ToString() ?? "")) : "",
            _ => args.ToJsonString(new JsonSerializerOptions { WriteIndented = false }),
        };
        console.MarkupLine($"[bold]{Markup.Escape(p.Id)}[/] [cyan]{Markup.Escape(p.Tool)}[/] {Markup.Escape(head)} [grey](by {Markup.Escape(p.ProposedBy)})[/]");
        console.MarkupLine($"    [italic]{Markup.Escape(p.Rationale)}[/]");
        var body = p.Tool switch
        {
            "write_file" => Str(args, "content"),
            "apply_patch" => Str(args, "patch"),
            _ => null,
        };
        if (body is null) return;
        var lines = body.ReplaceLineEndings("\n").Split('\n');
        foreach (var line in lines.Take(PreviewLines)) console.WriteLine("    | " + line);
        if (lines.Length > PreviewLines) console.MarkupLine($"    [grey]| … {lines.Length - PreviewLines} more line(s)[/]");
    }

    private static string Str(JsonObject args, string name) =>
        args[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";

    private static string F(double value) => value.ToString("0.00", CultureInfo.InvariantCulture);
}
