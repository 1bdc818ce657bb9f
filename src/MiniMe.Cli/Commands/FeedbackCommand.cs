using System.CommandLine;
using MiniMe.Cli.Hosting;
using MiniMe.Feedback;
using MiniMe.Tracing;
using Spectre.Console;

namespace MiniMe.Cli.Commands;

internal sealed class FeedbackCommand : MiniMeCommand
{
    private readonly Argument<string> _runId = new("RUN_ID") { Description = "The run the correction is about" };
    private readonly Option<string> _delta = new("--delta") { Description = "JSON: what should have been different, e.g. '{\"rigor\": 0.9}'", Required = true };
    private readonly Option<string?> _correction = new("--correction") { Description = "The corrected output or a note, as text" };

    public FeedbackCommand(CliContext context) : base("feedback", "Store a correction pair for a run (feedback.jsonl and the run's trace)", context)
    {
        Arguments.Add(_runId);
        Options.Add(_delta);
        Options.Add(_correction);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var delta = FeedbackStore.ParseDelta(parse.GetValue(_delta) ?? "");
        await using var engine = OpenEngine(parse);
        var workspace = engine.Workspace;
        var traces = engine.Traces;
        var runId = parse.GetValue(_runId)!.Trim();
        new FeedbackStore(workspace.FeedbackPath, traces).Record(runId, delta, parse.GetValue(_correction));
        Out.MarkupLine($"[green]Recorded[/] feedback for run [bold]{Markup.Escape(runId)}[/] in {Markup.Escape(Display(workspace.FeedbackPath))}");
        return ExitCodes.Ok;
    }
}
