using System.Text.Json;
using MiniMe.Tools;
using MiniMe.Tools.Approval;
using Spectre.Console;

namespace MiniMe.Cli.Approval;

/// <summary>Shows a proposed action: who proposed it and why, then a coloured unified diff or the exact argument vector.</summary>
internal static class ActionRenderer
{
    public static void Render(IAnsiConsole console, ApprovalRequest request, string? note = null)
    {
        var proposal = request.Proposal;
        var preview = request.Preview;
        console.Write(new Rule($"[bold]{Markup.Escape(proposal.Id)}[/] · [bold]{Markup.Escape(proposal.Tool)}[/] · proposed by {Markup.Escape(proposal.ProposedBy)}") { Justification = Justify.Left });
        if (!string.IsNullOrWhiteSpace(proposal.Rationale))
            console.MarkupLine($"[grey]why:[/] {Markup.Escape(proposal.Rationale)}");
        console.MarkupLine($"[bold]{Markup.Escape(preview.Summary)}[/]");
        switch (preview.Kind)
        {
            case PreviewKind.FileChange:
                RenderDiff(console, preview.Diff);
                break;
            case PreviewKind.Command:
                console.MarkupLine($"[grey]argv:[/] {Markup.Escape(JsonSerializer.Serialize(preview.Argv ?? [], ArgvJson.Options))}");
                console.MarkupLine($"[grey]cwd:[/]  {Markup.Escape(preview.WorkingDirectory ?? ".")}");
                if (preview.Sandbox is { } sandbox)
                    console.MarkupLine(sandbox.StartsWith("NOT", StringComparison.Ordinal) ? $"[yellow]{Markup.Escape(sandbox)}[/]" : $"[grey]sandbox:[/] {Markup.Escape(sandbox)}");
                break;
        }
        foreach (var warning in preview.Warnings ?? [])
            console.MarkupLine($"[yellow]! {Markup.Escape(warning)}[/]");
        if (note is not null) console.MarkupLine($"[grey]{Markup.Escape(note)}[/]");
    }

    private static void RenderDiff(IAnsiConsole console, string? diff)
    {
        if (string.IsNullOrEmpty(diff))
        {
            console.MarkupLine("[grey](no change)[/]");
            return;
        }
        foreach (var line in diff.TrimEnd('\n').Split('\n'))
        {
            var style = line switch
            {
                _ when line.StartsWith("+++", StringComparison.Ordinal) || line.StartsWith("---", StringComparison.Ordinal) => "bold",
                _ when line.StartsWith("@@", StringComparison.Ordinal) => "cyan",
                _ when line.StartsWith('+') => "green",
                _ when line.StartsWith('-') => "red",
                _ when line.StartsWith('\\') => "grey",
                _ => null,
            };
            console.MarkupLine(style is null ? Markup.Escape(line) : $"[{style}]{Markup.Escape(line)}[/]");
        }
    }

    /// <summary>
    /// One line per outcome (coloured by status) and its warnings; after an executed command, its exit
    /// code, duration and the end of its stdout and stderr (<see cref="CommandOutputRenderer"/>).
    /// </summary>
    /// <param name="runId">The run whose trace keeps the command's output, named in the "full output" hint.</param>
    /// <param name="traceOutputBytes">tools.traceOutputBytes, for that hint.</param>
    public static void RenderOutcome(IAnsiConsole console, ActionOutcome outcome, string? runId = null, int traceOutputBytes = ToolRunner.DefaultTraceOutputBytes)
    {
        var colour = outcome.Status switch
        {
            OutcomeStatus.Succeeded => "green",
            OutcomeStatus.NotRun => "grey",
            OutcomeStatus.Rejected => "yellow",
            _ => "red",
        };
        console.MarkupLine($"[{colour}]{Markup.Escape(outcome.Proposal.Id)} {Markup.Escape(outcome.Proposal.Tool)}: {Markup.Escape(outcome.Message)}[/]");
        foreach (var warning in outcome.Execution?.Warnings ?? [])
            console.MarkupLine($"[yellow]! {Markup.Escape(warning)}[/]");
        if (outcome.Command is { } command) CommandOutputRenderer.Render(console, command, runId, traceOutputBytes);
    }

    private static class ArgvJson
    {
        public static JsonSerializerOptions Options { get; } = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    }
}

/// <summary>Shows actions on the console without asking (--yes, --dry-run).</summary>
internal sealed class ConsolePresenter(IAnsiConsole console) : IActionPresenter
{
    public void Present(ApprovalRequest request, string note) => ActionRenderer.Render(console, request, note);
}
