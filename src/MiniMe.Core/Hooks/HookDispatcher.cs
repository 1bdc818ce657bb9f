using System.Diagnostics;
using System.Text.Json.Nodes;
using MiniMe.Tracing;

namespace MiniMe.Hooks;

/// <summary>What the hooks made of one event: denied (by whom, why) or not, and the payload after every patch.</summary>
public sealed record HookOutcome(bool Denied, string? Hook, string? Reason, JsonObject Payload)
{
    public bool Patched { get; init; }
}

/// <summary>
/// Runs the hooks of one event, in order: the in-process hooks (<see cref="IRunHook"/> registrations),
/// then the program hooks (config.yaml <c>hooks:</c>, then a manifest's). Each hook sees the payload as
/// the earlier ones patched it; the first deny stops the rest. Every decision is traced as a
/// <c>hook</c> event {event, hook, verdict, reason, ms} in the run's trace. A hook that throws counts
/// as a deny on before_* events (it was meant to guard them) and is traced as an error after them.
/// </summary>
public sealed class HookDispatcher
{
    private static readonly AsyncLocal<HookDispatcher?> s_current = new();

    private readonly IReadOnlyList<IRunHook> _hooks;
    private readonly TraceStore? _traces;

    /// <param name="hooks">In order: in-process hooks first, then program hooks.</param>
    /// <param name="traces">Where hook events go (null: not traced).</param>
    public HookDispatcher(IEnumerable<IRunHook> hooks, TraceStore? traces)
    {
        ArgumentNullException.ThrowIfNull(hooks);
        _hooks = [.. hooks];
        _traces = traces;
    }

    /// <summary>No hooks: every event is allowed as it is.</summary>
    public static HookDispatcher None { get; } = new([], null);

    public IReadOnlyList<IRunHook> Hooks => _hooks;

    public bool IsEmpty => _hooks.Count == 0;

    /// <summary>The dispatcher of the run in this async context (set with <see cref="Enter"/>): model calls find their hooks here.</summary>
    public static HookDispatcher? Current => s_current.Value;

    /// <summary>Makes this dispatcher <see cref="Current"/> until the scope is disposed.</summary>
    public IDisposable Enter()
    {
        var previous = s_current.Value;
        s_current.Value = this;
        return new Scope(previous);
    }

    /// <summary>This dispatcher's hooks followed by <paramref name="more"/> (a workflow manifest's own).</summary>
    public HookDispatcher With(IEnumerable<IRunHook> more) => new([.. _hooks, .. more], _traces);

    public async Task<HookOutcome> DispatchAsync(HookEvent e, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(e);
        var payload = e.Payload;
        var patched = false;
        foreach (var hook in _hooks)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var current = e with { Payload = payload };
            if (!hook.Handles(current)) continue;
            var clock = Stopwatch.StartNew();
            HookVerdict verdict;
            try
            {
                verdict = await hook.OnEventAsync(current, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                var failure = $"hook failed: {ex.GetType().Name}: {SecretRedactor.RedactText(ex.Message)}";
                Trace(e, hook.Name, "error", failure, clock.Elapsed);
                if (HookEvents.IsBefore(e.Name)) return new HookOutcome(true, hook.Name, failure, payload) { Patched = patched };
                continue;
            }
            switch (verdict)
            {
                case HookVerdict.Deny deny:
                    var reason = string.IsNullOrWhiteSpace(deny.Reason) ? "no reason given" : deny.Reason.Trim();
                    Trace(e, hook.Name, "deny", reason, clock.Elapsed);
                    return new HookOutcome(true, hook.Name, reason, payload) { Patched = patched };
                case HookVerdict.Patch patch:
                    if (JsonMergePatch.Apply(payload, patch.MergePatch) is JsonObject merged)
                    {
                        payload = merged;
                        patched = true;
                        Trace(e, hook.Name, "patch", null, clock.Elapsed, patch.MergePatch);
                    }
                    else
                    {
                        Trace(e, hook.Name, "error", "the patch is not a JSON object; ignored", clock.Elapsed);
                    }
                    break;
                default:
                    Trace(e, hook.Name, "allow", (verdict as HookVerdictNote)?.Note, clock.Elapsed);
                    break;
            }
        }
        return new HookOutcome(false, null, null, payload) { Patched = patched };
    }

    public Task<HookOutcome> BeforeRunAsync(string runId, JsonObject payload, CancellationToken cancellationToken) =>
        DispatchAsync(new HookEvent(HookEvents.BeforeRun, runId, payload), cancellationToken);

    public Task<HookOutcome> AfterRunAsync(string runId, JsonObject payload, CancellationToken cancellationToken) =>
        DispatchAsync(new HookEvent(HookEvents.AfterRun, runId, payload), cancellationToken);

    /// <summary>For the workflow executor: before a node runs (payload: node id, type, inputs); a deny skips the node.</summary>
    public Task<HookOutcome> BeforeNodeAsync(string runId, string nodeId, string nodeType, JsonObject? inputs, CancellationToken cancellationToken) =>
        DispatchAsync(new HookEvent(HookEvents.BeforeNode, runId, new JsonObject { ["node"] = nodeId, ["type"] = nodeType, ["inputs"] = inputs?.DeepClone() }), cancellationToken);

    /// <summary>For the workflow executor: after a node ran (payload: node id, type, status, output).</summary>
    public Task<HookOutcome> AfterNodeAsync(string runId, string nodeId, string nodeType, string status, JsonNode? output, CancellationToken cancellationToken) =>
        DispatchAsync(new HookEvent(HookEvents.AfterNode, runId, new JsonObject { ["node"] = nodeId, ["type"] = nodeType, ["status"] = status, ["output"] = output?.DeepClone() }), cancellationToken);

    public Task<HookOutcome> BeforeToolAsync(string runId, string proposalId, string tool, JsonObject arguments, CancellationToken cancellationToken) =>
        DispatchAsync(new HookEvent(HookEvents.BeforeTool, runId, new JsonObject { ["proposal_id"] = proposalId, ["tool"] = tool, ["arguments"] = arguments.DeepClone() }), cancellationToken);

    public Task<HookOutcome> AfterToolAsync(string runId, string proposalId, string tool, JsonObject arguments, string status, string message, JsonObject? output, CancellationToken cancellationToken) =>
        DispatchAsync(new HookEvent(HookEvents.AfterTool, runId, new JsonObject
        {
            ["proposal_id"] = proposalId, ["tool"] = tool, ["arguments"] = arguments.DeepClone(), ["status"] = status, ["message"] = message, ["output"] = output?.DeepClone(),
        }), cancellationToken);

    private void Trace(HookEvent e, string hook, string verdict, string? reason, TimeSpan elapsed, JsonNode? patch = null)
    {
        if (_traces is null || e.RunId is null) return;
        var data = new JsonObject
        {
            ["event"] = e.Name,
            ["hook"] = hook,
            ["verdict"] = verdict,
            ["reason"] = reason,
            ["ms"] = Math.Round(elapsed.TotalMilliseconds, 1),
        };
        if (e.Tool is { } tool) data["tool"] = tool;
        if (patch is not null) data["patch"] = SecretRedactor.Redact(patch.DeepClone());
        _traces.Append(e.RunId, TraceEventTypes.Hook, data);
    }

    private sealed class Scope(HookDispatcher? previous) : IDisposable
    {
        public void Dispose() => s_current.Value = previous;
    }
}

/// <summary>An allow that says something for the trace (a program hook that failed under onError: allow).</summary>
public sealed record HookVerdictNote(string Note) : HookVerdict;
