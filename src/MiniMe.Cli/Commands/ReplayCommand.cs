using System.CommandLine;
using System.Text.Json.Nodes;
using MiniMe.Cli.Hosting;
using MiniMe.Configuration;
using MiniMe.Hosting;
using MiniMe.Hosting.Replay;
using MiniMe.Replay;
using MiniMe.Tracing;
using Spectre.Console;

namespace MiniMe.Cli.Commands;

/// <summary>`minime replay RUN_ID`: re-runs a recorded ask or workflow run offline from its model-call recording and compares the traces (docs/replay.md).</summary>
internal sealed class ReplayCommand : MiniMeCommand
{
    /// <summary>A model call's request matched no recorded call; the replay stopped there.</summary>
    public const int ChangedRequest = 3;

    /// <summary>Every call matched but the replayed trace differs from the original.</summary>
    public const int TraceDiffers = 4;

    /// <summary>The replay stopped before a side effect (a workflow tool or human node).</summary>
    public const int StoppedBeforeSideEffect = 5;

    private readonly Argument<string> _run = new("RUN_ID") { Description = "The run to replay (from `minime runs`)" };
    private readonly Option<bool> _json = new("--json") { Description = "Print the outcome as JSON" };
    private readonly Option<string?> _policy = new("--policy")
    {
        Description = "Replay with this mask policy instead of masks.policy (heuristic, learned or auto): what it changes shows as a changed request or trace",
    };

    public ReplayCommand(CliContext context) : base("replay",
        "Re-run a past ask or workflow run offline with its recorded model answers and check the trace is identical; a changed request is reported, never guessed", context)
    {
        Arguments.Add(_run);
        Options.Add(_json);
        _policy.AcceptOnlyFromAmong("heuristic", "learned", "auto");
        Options.Add(_policy);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var runId = parse.GetValue(_run)!;
        if (!RunId.IsValid(runId)) throw new InvalidInputException($"'{runId}' is not a valid run id (letters, digits, '-' and '_' only).");
        var workspace = ResolveWorkspace(parse);
        workspace.EnsureInitialized();
        var options = Engine.LoadOptions(workspace);
        if (parse.GetValue(_policy) is { } policy) options.Masks.Policy = Enum.Parse<MaskPolicyKind>(policy, ignoreCase: true);
        ReplaySession? session = null;
        // The model behind every named model is the recording: no endpoint is contacted, none needs to be configured.
        await using var engine = new Engine(workspace, options, trust: Context.Trust,
            extend: services => new MiniMeBuilder(services, new EngineSettings(), options).UseChatClient((_, model) => session!.ClientFor(model.Name)));
        session = new ReplaySession(RunReplayer.LoadRecording(engine.Owner, runId));
        var report = await RunReplayer.ReplayAsync(engine.Owner, runId, session, cancellationToken);
        if (parse.GetValue(_json)) Out.Profile.Out.Writer.WriteLine(Json(report).ToJsonString(JsonFormats.Indented));
        else Render(report);
        return report.Status switch
        {
            ReplayStatus.Identical => ExitCodes.Ok,
            ReplayStatus.ChangedRequest => ChangedRequest,
            ReplayStatus.TraceDiffers => TraceDiffers,
            _ => StoppedBeforeSideEffect,
        };
    }

    private void Render(ReplayReport r)
    {
        var calls = $"{r.ReplayedCalls} of {r.RecordedCalls} recorded model calls";
        switch (r.Status)
        {
            case ReplayStatus.Identical:
                Out.WriteLine($"run {r.RunId} ({r.Kind}): replayed offline with {calls}; trace identical ({r.ReplayedEvents} events, byte for byte).");
                break;
            case ReplayStatus.ChangedRequest:
                Context.Error.WriteLine($"error: replay of {r.RunId} stopped: {r.Mismatch!.Describe()}");
                break;
            case ReplayStatus.StoppedBeforeSideEffect:
                Context.Error.WriteLine($"error: replay of {r.RunId} stopped: {r.Stopped}" +
                    (r.FirstDifference is { } at ? $" (trace identical up to event {at})" : ""));
                break;
            default:
                Context.Error.WriteLine($"error: replay of {r.RunId} ({calls}) differs from the original at event {r.FirstDifference} " +
                    $"({TraceComparison.EventType(r.OriginalLine ?? "") ?? "none"} -> {TraceComparison.EventType(r.ReplayedLine ?? "") ?? "none"}).");
                Context.Error.WriteLine($"  original: {Short(r.OriginalLine)}");
                Context.Error.WriteLine($"  replayed: {Short(r.ReplayedLine)}");
                break;
        }
        if (r.UnusedCalls > 0 && r.Status == ReplayStatus.Identical)
            Out.WriteLine($"{r.UnusedCalls} recorded calls were not needed (made after the run's first run_end: a resume).");
        Out.WriteLine($"replay trace: {r.TracePath}");
    }

    private static string Short(string? line) => line is null ? "(no event)" : line.Length <= 300 ? line : line[..300] + "…";

    private static JsonObject Json(ReplayReport r) => new()
    {
        ["run_id"] = r.RunId,
        ["kind"] = r.Kind,
        ["status"] = r.Status switch
        {
            ReplayStatus.Identical => "identical",
            ReplayStatus.ChangedRequest => "changed_request",
            ReplayStatus.TraceDiffers => "trace_differs",
            _ => "stopped_before_side_effect",
        },
        ["identical"] = r.Status == ReplayStatus.Identical,
        ["model_calls"] = new JsonObject { ["recorded"] = r.RecordedCalls, ["replayed"] = r.ReplayedCalls, ["unused"] = r.UnusedCalls },
        ["events"] = new JsonObject { ["original"] = r.OriginalEvents, ["replayed"] = r.ReplayedEvents, ["not_replayed"] = r.IgnoredEvents },
        ["first_difference"] = r.FirstDifference is { } at
            ? new JsonObject { ["event"] = at, ["original"] = r.OriginalLine, ["replayed"] = r.ReplayedLine }
            : null,
        ["changed_request"] = r.Mismatch is { } m
            ? new JsonObject
            {
                ["call"] = m.Call,
                ["agent"] = m.Agent,
                ["iteration"] = m.Iteration,
                ["attempt"] = m.Attempt,
                ["recorded_call"] = m.Recorded?.Index,
                ["recorded_agent"] = m.Recorded?.Agent,
                ["changes"] = new JsonArray([.. m.Changes.Select(c => (JsonNode?)c)]),
            }
            : null,
        ["stopped"] = r.Stopped,
        ["folder"] = r.Folder,
        ["trace"] = r.TracePath,
    };
}
