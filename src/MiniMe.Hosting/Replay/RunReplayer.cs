using System.Text.Json.Nodes;
using MiniMe.Actions;
using MiniMe.Hosting.Users;
using MiniMe.Replay;
using MiniMe.Runs;
using MiniMe.Tracing;
using MiniMe.Workflows;

namespace MiniMe.Hosting.Replay;

/// <summary>How a replay ended.</summary>
public enum ReplayStatus
{
    /// <summary>Every model call matched a recorded one and the trace is byte for byte the original's.</summary>
    Identical,
    /// <summary>A model call's request matched no recorded call: the replay stopped there.</summary>
    ChangedRequest,
    /// <summary>Every call matched, but the traces differ (a hook, a file an agent read, a recorded failure's type).</summary>
    TraceDiffers,
    /// <summary>The run reached a side effect (a workflow tool or human node): the replay stopped before it.</summary>
    StoppedBeforeSideEffect,
}

/// <summary>What `minime replay` found.</summary>
public sealed record ReplayReport(
    string RunId,
    string Kind,
    ReplayStatus Status,
    string Folder,
    string TracePath,
    int OriginalEvents,
    int ReplayedEvents,
    int RecordedCalls,
    int ReplayedCalls,
    int UnusedCalls,
    int? FirstDifference,
    string? OriginalLine,
    string? ReplayedLine,
    ReplayMismatch? Mismatch,
    string? Stopped,
    int IgnoredEvents);

/// <summary>
/// Re-runs a recorded ask or workflow run offline (docs/replay.md): the shared stages and the agent team
/// run again over the user's current memory, facts and identity; every model call is answered from the
/// run's recording by the request's content hash (<see cref="ReplaySession"/>), so no model is needed.
/// The replay reuses the recorded run id, writes to its own folder (runs/RUN_ID/replay/: trace, recording,
/// checkpoints), takes timestamps and measured durations from the recorded trace (<see cref="ReplayTraceLog"/>),
/// runs no hooks and stops before any side effect. It compares its trace with the original's, line by
/// line, up to the original's first run_end (approvals and executions that follow are never replayed).
/// </summary>
public static class RunReplayer
{
    /// <summary>The task_start fields RunPreparation writes itself; the others came from the run's start data.</summary>
    private static readonly HashSet<string> PreparedFields = new(["task", "mode", "domain", "complexity", "budget_tokens", "workflow", "workflow_source"], StringComparer.Ordinal);

    /// <summary>Where a run's replay goes: runs/RUN_ID/replay/ (replaced by each replay).</summary>
    public static string FolderFor(ModelCallRecordings recordings, string runId)
    {
        ArgumentNullException.ThrowIfNull(recordings);
        return Path.Combine(Path.GetDirectoryName(recordings.PathFor(runId))!, "replay");
    }

    /// <summary>The run's recorded calls; an empty list for a run that called no model (a dry run).</summary>
    public static IReadOnlyList<RecordedModelCall> LoadRecording(UserSpace user, string runId)
    {
        ArgumentNullException.ThrowIfNull(user);
        var recordings = user.Traces.Recordings ?? throw new InvalidOperationException("this user's traces record no model calls");
        var lines = user.Traces.ReadLines(runId) ?? throw new NotFoundException($"No run '{runId}' in {user.Traces.Location}; `minime runs` lists the runs.");
        if (!recordings.Exists(runId) && !lines.Any(l => TraceComparison.EventType(l) == TraceEventTypes.AgentCall)) return [];
        return recordings.Load(runId);
    }

    public static async Task<ReplayReport> ReplayAsync(UserSpace user, string runId, ReplaySession session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(session);
        var original = TraceComparison.Replayable(user.Traces.ReadLines(runId)
            ?? throw new NotFoundException($"No run '{runId}' in {user.Traces.Location}; `minime runs` lists the runs."));
        var all = user.Traces.ReadLines(runId)!.Count(l => !string.IsNullOrWhiteSpace(l));
        var start = user.Traces.Read(runId).FirstOrDefault(e => e.EventType == TraceEventTypes.TaskStart)
            ?? throw new InvalidInputException($"Run {runId} has no task_start event; there is nothing to replay.");
        var end = user.Traces.Read(runId).FirstOrDefault(e => e.EventType == TraceEventTypes.RunEnd);
        var mode = start.Data["mode"]?.ToString();
        if (mode == "chat") throw new InvalidInputException($"Run {runId} is a chat turn; `minime replay` replays ask and workflow runs only.");
        var workflowName = start.Data["workflow"]?.ToString();

        var folder = FolderFor(user.Traces.Recordings!, runId);
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        Directory.CreateDirectory(folder);
        var files = new FileTraceLog(folder);
        var traces = new TraceStore(new ReplayTraceLog(files, runId, original)) { Recordings = new ModelCallRecordings(folder) };
        var checkpoints = new WorkflowCheckpoints(folder);
        var events = user.Traces.Read(runId);
        // "Now" for the replay is when the run retrieved (recency boosts): the recorded retrieval's timestamp.
        var clock = new ReplayClock((events.FirstOrDefault(e => e.EventType == TraceEventTypes.Retrieval) ?? start).Timestamp);
        var pipelines = await user.ReplayPipelinesAsync(traces, checkpoints, clock, UsedMemory(events), cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException("the replay has no model pipeline");

        var task = start.Data["task"]?.ToString() ?? "";
        var startData = new JsonObject();
        foreach (var (key, value) in start.Data)
            if (!PreparedFields.Contains(key)) startData[key] = value?.DeepClone();
        string? stopped = null;
        using (RunId.Reuse(runId))
        {
            try
            {
                if (workflowName is not null)
                {
                    var state = user.Checkpoints.Load(runId);
                    var workflow = WorkflowParser.Load(state.Manifest, state.Source);
                    await pipelines.Workflow.StartAsync(workflow, state.Manifest, task, (JsonObject)state.Inputs.DeepClone(), new SideEffectStop(),
                        observer: null, cancellationToken, startData: startData.Count > 0 ? startData : null).ConfigureAwait(false);
                }
                else
                {
                    var signals = user.Traces.Read(runId).FirstOrDefault(e => e.EventType == TraceEventTypes.MaskGeneration)?.Data["signals"] as JsonArray;
                    var forced = signals?.Select(s => s?.ToString() ?? "").FirstOrDefault(s => s.StartsWith("domain forced: ", StringComparison.Ordinal))?["domain forced: ".Length..];
                    var request = new AskRequest(task, mode == "dry_run", forced, start.Data["budget_tokens"]?.GetValue<int>())
                    {
                        StartData = startData.Count > 0 ? startData : null,
                    };
                    await pipelines.Ask.RunAsync(request, end?.Data["notice"]?.ToString(), cancellationToken).ConfigureAwait(false);
                }
            }
            catch (ReplayMismatchException)
            {
                // The session holds the mismatch; the trace shows where the run stopped.
            }
            catch (Exception e) when (e is ReplayStoppedException || e.InnerException is ReplayStoppedException)
            {
                stopped = (e as ReplayStoppedException ?? (ReplayStoppedException)e.InnerException!).Message;
            }
            catch (Exception e) when (e is MiniMeException && session.Mismatch is null)
            {
                // The run failed as runs do (budget, invalid output, a recorded model failure): its trace says so, as the original's did.
            }
        }
        await traces.FlushAsync(runId, cancellationToken).ConfigureAwait(false);
        var replayed = files.ReadLines(runId)?.Where(l => !string.IsNullOrWhiteSpace(l)).ToList() ?? [];
        stopped ??= replayed.Select(StoppedReason).FirstOrDefault(r => r is not null);
        var difference = TraceComparison.FirstDifference(original, replayed);
        var status = session.Mismatch is not null ? ReplayStatus.ChangedRequest
            : stopped is not null ? ReplayStatus.StoppedBeforeSideEffect
            : difference is not null ? ReplayStatus.TraceDiffers
            : ReplayStatus.Identical;
        return new ReplayReport(runId, workflowName is null ? "ask" : "workflow", status, folder, files.LocationOf(runId), original.Count, replayed.Count,
            session.Calls.Count, session.Made, session.Unused, difference,
            difference is { } d && d < original.Count ? original[d] : null,
            difference is { } r && r < replayed.Count ? replayed[r] : null,
            session.Mismatch, stopped, all - original.Count);
    }

    /// <summary>The memory chunks the run's context kept (each counted as used once, after its retrieval).</summary>
    private static HashSet<long> UsedMemory(IReadOnlyList<TraceEvent> events)
    {
        var used = new HashSet<long>();
        var context = events.FirstOrDefault(e => e.EventType == TraceEventTypes.ContextAssembly);
        foreach (var block in context?.Data["blocks"] as JsonArray ?? [])
            if (block?["kept"]?.GetValue<bool>() == true && block["id"]?.ToString() is { } id && id.StartsWith("memory:", StringComparison.Ordinal)
                && long.TryParse(id["memory:".Length..], System.Globalization.CultureInfo.InvariantCulture, out var chunk))
                used.Add(chunk);
        return used;
    }

    /// <summary>A workflow node stopped by <see cref="SideEffectStop"/> fails with its message in node_end; found there when the workflow went on.</summary>
    private static string? StoppedReason(string line)
    {
        if (TraceComparison.EventType(line) != TraceEventTypes.NodeEnd) return null;
        var error = (JsonNode.Parse(line) as JsonObject)?["data"]?["error"]?.ToString();
        return error is not null && error.Contains(SideEffectStop.Marker, StringComparison.Ordinal) ? error : null;
    }

    /// <summary>A workflow's tool and human nodes in a replay: the replay stops before the side effect.</summary>
    private sealed class SideEffectStop : IWorkflowActions
    {
        public const string Marker = "the replay stops before side effects";

        public Task<JsonObject> RunToolAsync(string runId, ActionProposal proposal, CancellationToken cancellationToken) =>
            throw new ReplayStoppedException($"{Marker}: tool node {proposal.Tool} was not run");

        public Task<bool?> ApproveAsync(string runId, string nodeId, string message, CancellationToken cancellationToken) =>
            throw new ReplayStoppedException($"{Marker}: human node {nodeId} was not asked");
    }
}
