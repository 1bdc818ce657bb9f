using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MiniMe.Cli.Hosting;
using MiniMe.Tracing;
using Spectre.Console;

namespace MiniMe.Cli.Commands;

internal sealed class RunsCommand : MiniMeCommand
{
    private readonly Option<int> _limit = NumberOptions.Whole("--limit", "How many runs, newest first", 1, int.MaxValue, 20, "-n");
    private readonly Option<bool> _json = new("--json") { Description = "Print a JSON array" };

    public RunsCommand(CliContext context) : base("runs", "List runs, newest first (resumable: a workflow run that stopped before its end)", context)
    {
        Options.Add(_limit);
        Options.Add(_json);
        Subcommands.Add(new ResumeCommand(context));
    }

    /// <summary>"resumable" for a workflow run whose checkpoint is not completed and whose trace has no run_end (killed) or ended waiting or failed.</summary>
    private static string Status(RunSummary run, MiniMe.Workflows.WorkflowCheckpoints checkpoints) =>
        run.Status is "incomplete" or "waiting" or "error" && checkpoints.StatusOf(run.RunId) is { } s && s != "completed" ? "resumable" : run.Status;

    private sealed class ResumeCommand : MiniMeCommand
    {
        private readonly Argument<string> _run = new("RUN_ID") { Description = "The run to continue (from `minime runs`)" };
        private readonly Option<bool> _yes = MiniMe.Cli.Approval.ActionApproval.YesOption();

        public ResumeCommand(CliContext context) : base("resume", "Continue a killed, failed or waiting workflow run from its last checkpoint; completed nodes are not run again", context)
        {
            Arguments.Add(_run);
            Options.Add(_yes);
        }

        protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            await using var engine = OpenEngine(parse);
            return await WorkflowRuns.ResumeAsync(Context, engine, parse.GetValue(_run)!, parse.GetValue(_yes), cancellationToken);
        }
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        await using var engine = Engine.OpenTraces(parse.GetValue(GlobalOptions.Home));
        var limit = parse.GetValue(_limit);
        var checkpoints = new MiniMe.Workflows.WorkflowCheckpoints(ResolveWorkspace(parse).RunsDirectory);
        var runs = engine.Traces.List(limit).Select(r => r with { Status = Status(r, checkpoints) }).ToList();
        if (parse.GetValue(_json))
        {
            var array = new JsonArray([.. runs.Select(r => (JsonNode?)new JsonObject
            {
                ["run_id"] = r.RunId,
                ["started"] = r.Started.ToString("O", CultureInfo.InvariantCulture),
                ["task"] = r.Task,
                ["domain"] = r.Domain,
                ["status"] = r.Status,
                ["events"] = r.Events,
                ["total_tokens"] = r.TotalTokens,
            })]);
            Out.Profile.Out.Writer.WriteLine(array.ToJsonString(JsonFormats.Indented));
            return ExitCodes.Ok;
        }
        if (runs.Count == 0)
        {
            Out.MarkupLine("No runs yet. Try [bold]minime ask \"TASK\" --dry-run[/].");
            return ExitCodes.Ok;
        }
        var table = new Table().Border(TableBorder.Simple)
            .AddColumn("run id").AddColumn("started (UTC)").AddColumn("status").AddColumn("domain")
            .AddColumn(new TableColumn("tokens").RightAligned()).AddColumn("task");
        foreach (var r in runs)
            table.AddRow(
                r.RunId,
                r.Started.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                Markup.Escape(r.Status),
                Markup.Escape(r.Domain ?? ""),
                r.TotalTokens?.ToString(CultureInfo.InvariantCulture) ?? "",
                Markup.Escape(r.Task.Length > 60 ? r.Task[..60] + "…" : r.Task));
        Out.Write(table);
        return ExitCodes.Ok;
    }
}
