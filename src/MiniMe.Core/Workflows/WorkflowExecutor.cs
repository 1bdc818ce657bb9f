using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using MiniMe.Actions;
using MiniMe.Agents;
using MiniMe.Tracing;

namespace MiniMe.Workflows;

/// <summary>What a face provides for the nodes that touch the world: tool nodes (through its approval gate) and human nodes.</summary>
public interface IWorkflowActions
{
    /// <summary>
    /// Runs <paramref name="proposal"/> only through the approval gate and the allowlist; returns what it did:
    /// succeeded, summary, and for run_command exit_code, stdout, stderr. Throws <see cref="WorkflowNodeException"/> when it was refused or rejected.
    /// </summary>
    Task<JsonObject> RunToolAsync(string runId, ActionProposal proposal, CancellationToken cancellationToken);

    /// <summary>A human node: true to go on, false to stop this branch (the node fails), null when nobody can answer now (the run waits).</summary>
    Task<bool?> ApproveAsync(string runId, string nodeId, string message, CancellationToken cancellationToken);
}

/// <summary>A node could not do its work (a tool refused or rejected, a human said no): an error edge may take over.</summary>
public sealed class WorkflowNodeException(string message) : MiniMeException(ErrorCategory.Conflict, message);

/// <summary>The workflow cannot go on: a node failed without an error or fallback edge, or the exit was never reached.</summary>
public sealed class WorkflowFailedException(string message, Exception? inner = null) : MiniMeException(inner is MiniMeException m ? m.Category : ErrorCategory.Internal, message, inner);

/// <summary>How a workflow run ended: completed, or waiting at a human node; the proposals the last integrator (or builder) made.</summary>
public sealed record WorkflowResult(string Status, IReadOnlyList<ActionProposal> Proposals, WorkflowState State, IReadOnlyList<string> Waiting)
{
    /// <summary>What the agent nodes did in this attempt (reviews, calls, agents routed out, builds, integration and its re-check).</summary>
    public WorkflowAgentLog Agents { get; init; } = WorkflowAgentLog.Empty;
}

/// <summary>
/// Runs a validated workflow. Nodes run as soon as every inbound edge is decided and one of them fired;
/// independent branches run at the same time (at most <see cref="MaxConcurrency"/>). A node that
/// succeeds fires its normal edges (a decision: its first conditional edge whose condition holds, else
/// its normal edges); a node that fails fires its fallback edges when a model call failed, else its
/// error edges, and without them the run fails. A node whose inbound edges are all dead is skipped. An
/// edge with max_iterations sends the run back (the nodes after its target run again) at most that many
/// times. After every node the state is checkpointed; a resumed state continues where it stopped.
/// </summary>
public sealed class WorkflowExecutor
{
    public const int MaxConcurrency = 4;

    private readonly IChatClient _chat;
    private readonly AgentTeamOptions _options;
    private readonly TraceStore _traces;
    private readonly WorkflowCheckpoints? _checkpoints;
    private readonly AgentNodes _agents;
    private readonly IWorkflowActions? _actions;
    private readonly Lock _gate = new();

    private readonly MiniMe.Hooks.HookDispatcher _hooks;
    private readonly MiniMe.Hooks.HookDispatcher _toolHooks;

    /// <param name="checkpoints">Where the state is saved after every node (null: not saved).</param>
    /// <param name="hooks">before_node (a deny skips the node: status vetoed, its edges dead) and after_node (docs/hooks.md).</param>
    /// <param name="tools">The read-only tools agents may call, read the current files and check patches with (null: none).</param>
    /// <param name="toolHooks">The manifest's own hooks, told about its tool nodes before the approval is asked (before_tool may deny: the node fails as vetoed, or patch the arguments) and after (after_tool).</param>
    public WorkflowExecutor(IChatClient chat, AgentTeamOptions options, TraceStore traces, WorkflowCheckpoints? checkpoints, IWorkflowActions? actions,
        MiniMe.Hooks.HookDispatcher? hooks = null, IAgentToolbox? tools = null, MiniMe.Hooks.HookDispatcher? toolHooks = null)
    {
        _toolHooks = toolHooks ?? MiniMe.Hooks.HookDispatcher.None;
        _agents = new AgentNodes(chat, options, traces, tools, chat.GetService(typeof(MiniMe.ModelCalls.IModelRouter)) is not null);
        _hooks = hooks ?? MiniMe.Hooks.HookDispatcher.None;
        _chat = chat;
        _options = options;
        _traces = traces;
        _checkpoints = checkpoints;
        _actions = actions;
    }

    /// <summary>A new run's state: every node pending, the meter at zero.</summary>
    public static WorkflowState NewState(string runId, WorkflowDefinition workflow, string manifest, TeamRequest request, JsonObject inputs, long defaultBudget) => new()
    {
        RunId = runId,
        Source = workflow.Source,
        Manifest = manifest,
        Task = request.Task,
        ContextPrompt = request.ContextPrompt,
        Masks = request.Masks,
        Principles = [.. request.Principles],
        AgentPrinciples = request.AgentPrinciples.ToDictionary(p => p.Key, p => p.Value.ToList(), StringComparer.Ordinal),
        Inputs = inputs,
        BudgetTokens = workflow.BudgetTokens ?? defaultBudget,
        Nodes = workflow.Nodes.ToDictionary(n => n.Id, _ => new NodeState(), StringComparer.Ordinal),
    };

    /// <summary>Declared inputs from key=value pairs: defaults filled, types converted, required ones enforced, unknown ones refused.</summary>
    public static JsonObject BindInputs(WorkflowDefinition workflow, IReadOnlyDictionary<string, string> given)
    {
        ArgumentNullException.ThrowIfNull(workflow);
        ArgumentNullException.ThrowIfNull(given);
        var result = new JsonObject();
        foreach (var key in given.Keys.Where(k => workflow.Inputs.All(i => i.Name != k)))
            throw new InvalidInputException($"The workflow '{workflow.Name}' has no input '{key}'" +
                (MiniMe.Configuration.SettingKeys.Closest(key, workflow.Inputs.Select(i => i.Name)) is { } s ? $"; did you mean '{s}'?" : $" (inputs: {(workflow.Inputs.Count == 0 ? "none" : string.Join(", ", workflow.Inputs.Select(i => i.Name)))})"));
        foreach (var input in workflow.Inputs)
        {
            if (given.TryGetValue(input.Name, out var text))
            {
                result[input.Name] = input.Type switch
                {
                    "number" when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) => JsonValue.Create(n),
                    "boolean" when text is "true" or "false" => JsonValue.Create(text == "true"),
                    "string" => JsonValue.Create(text),
                    _ => throw new InvalidInputException($"--input {input.Name}={text}: '{input.Name}' is a {input.Type}"),
                };
            }
            else if (input.Default is not null) result[input.Name] = input.Default.DeepClone();
            else if (input.Required) throw new InvalidInputException($"The workflow '{workflow.Name}' needs --input {input.Name}=VALUE ({input.Type}{(input.Description is null ? "" : ": " + input.Description)}).");
        }
        return result;
    }

    /// <param name="meter">The run's meter when the caller keeps it (the ask pipeline); else one made from the state's totals.</param>
    public async Task<WorkflowResult> RunAsync(WorkflowDefinition workflow, WorkflowState state, TeamObserver? observer, CancellationToken cancellationToken, RunMeter? meter = null)
    {
        ArgumentNullException.ThrowIfNull(workflow);
        ArgumentNullException.ThrowIfNull(state);
        meter ??= state.NewMeter();
        var rounds = Math.Max(1, Math.Min(state.Masks.MaxIterations, _options.MaxIterations));
        foreach (var node in workflow.Nodes) state.Node(node.Id);
        // A node that was running when the process died (or a waiting human node) starts again.
        foreach (var n in state.Nodes.Values.Where(n => n.Status is NodeStatus.Waiting or "running")) n.Status = NodeStatus.Pending;
        state.Status = "running";
        var running = new Dictionary<string, Task<(bool Ok, JsonNode? Output, Exception? Error)>>(StringComparer.Ordinal);
        var waiting = new List<string>();
        Exception? fatal = null;
        try
        {
            while (true)
            {
                Propagate(workflow, state);
                foreach (var ready in workflow.Nodes.Where(n => !running.ContainsKey(n.Id) && Ready(workflow, state, n)).ToList())
                {
                    if (running.Count >= MaxConcurrency || fatal is not null) break;
                    var ns = state.Node(ready.Id);
                    ns.Runs++;
                    ns.Triggered = false;
                    ns.Status = "running";
                    _traces.AppendBatched(state.RunId, TraceEventTypes.NodeStart, new JsonObject { ["node"] = ready.Id, ["type"] = ready.Type, ["iteration"] = ns.Runs });
                    running[ready.Id] = RunNodeAsync(workflow, ready, state, meter, observer, cancellationToken);
                }
                if (running.Count == 0) break;
                var done = await Task.WhenAny(running.Values).ConfigureAwait(false);
                var id = running.First(p => p.Value == done).Key;
                running.Remove(id);
                var (ok, output, error) = await done.ConfigureAwait(false);
                if (error is OperationCanceledException) throw error;
                var node = workflow.Node(id)!;
                var state1 = state.Node(id);
                long tokensBefore = state.PromptTokens + state.CompletionTokens;
                lock (_gate) state.Record(meter);
                if (ok && output is JsonObject { } v && v["__vetoed"] is JsonValue reason)
                {
                    state1.Status = "vetoed";
                    state1.Error = reason.GetValue<string>();
                    foreach (var e in workflow.Edges.Where(e => e.From == id)) state.Edges[e.Key] = "dead";
                }
                else if (ok && output is JsonObject { } p && p[AgentNodes.PassMarker] is JsonValue why)
                {
                    // Routed out (or nothing to do): the node passes, its normal edges fire.
                    state1.Status = NodeStatus.Skipped;
                    state1.Output = null;
                    state1.Error = null;
                    state1.Reason = why.GetValue<string>();
                    state1.Sequence = ++state.Sequence;
                    Decide(workflow, state, node, succeeded: true, modelFailure: false, rounds);
                }
                else if (ok && output is JsonObject { } o && o["__waiting"] is not null)
                {
                    state1.Status = NodeStatus.Waiting;
                    waiting.Add(id);
                }
                else if (ok)
                {
                    state1.Status = NodeStatus.Completed;
                    state1.Output = output;
                    state1.Error = null;
                    state1.Sequence = ++state.Sequence;
                    Decide(workflow, state, node, succeeded: true, modelFailure: false, rounds);
                }
                else
                {
                    state1.Status = NodeStatus.Failed;
                    state1.Error = error!.Message;
                    state1.Sequence = ++state.Sequence;
                    var model = IsModelFailure(error);
                    if (!Decide(workflow, state, node, succeeded: false, modelFailure: model, rounds))
                        fatal ??= new WorkflowFailedException($"Node '{id}' failed: {error.Message}", error);
                }
                _traces.AppendBatched(state.RunId, TraceEventTypes.NodeEnd, new JsonObject
                {
                    ["node"] = id,
                    ["type"] = node.Type,
                    ["status"] = state1.Status,
                    ["iteration"] = state1.Runs,
                    ["tokens"] = state.PromptTokens + state.CompletionTokens - tokensBefore,
                    ["error"] = state1.Error,
                    ["reason"] = state1.Status == NodeStatus.Skipped ? state1.Reason : null,
                    ["model_failure"] = ok ? null : IsModelFailure(error!),
                });
                Checkpoint(state, fatal is null ? "running" : "failed");
                await _traces.FlushAsync(state.RunId, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            Checkpoint(state, "failed");
            throw;
        }
        if (fatal is not null) throw fatal;
        if (waiting.Count > 0)
        {
            Checkpoint(state, "waiting");
            return new WorkflowResult("waiting", [], state, waiting) { Agents = _agents.Log(null, null) };
        }
        if (state.Node(workflow.Exit) is not ({ Status: NodeStatus.Completed } or { Status: NodeStatus.Skipped, Reason: not null }))
        {
            Checkpoint(state, "failed");
            // Say why: the nodes that failed or were vetoed on the way, each with its reason.
            var why = workflow.Nodes.Select(n => (n.Id, Node: state.Node(n.Id))).Where(p => p.Node.Status is NodeStatus.Failed or "vetoed" && p.Node.Error is not null)
                .Select(p => $"'{p.Id}' {p.Node.Status}: {p.Node.Error}").ToList();
            throw new WorkflowFailedException($"The workflow '{workflow.Name}' ended without reaching its exit '{workflow.Exit}' (it was {state.Node(workflow.Exit).Status})" +
                (why.Count == 0 ? "." : $"; {string.Join("; ", why)}."));
        }
        var (proposals, integration, recheck) = await _agents.FinalAsync(workflow, state, cancellationToken).ConfigureAwait(false);
        foreach (var proposal in proposals) AgentTeam.TraceProposal(_traces, state.RunId, proposal);
        await _traces.FlushAsync(state.RunId, cancellationToken).ConfigureAwait(false);
        Checkpoint(state, "completed");
        return new WorkflowResult("completed", proposals, state, []) { Agents = _agents.Log(integration, recheck) };
    }

    private void Checkpoint(WorkflowState state, string status)
    {
        state.Status = status;
        state.Updated = DateTimeOffset.UtcNow;
        _checkpoints?.Save(state);
    }

    public static bool IsModelFailure(Exception e) =>
        e is MiniMeException { Category: ErrorCategory.ModelFailed or ErrorCategory.ModelNotConfigured } or HttpRequestException or TimeoutException;

    private static IEnumerable<WorkflowEdge> Inbound(WorkflowDefinition w, string id) => w.Edges.Where(e => e.To == id && !e.IsLoop);

    private static bool Ready(WorkflowDefinition w, WorkflowState s, WorkflowNode node)
    {
        var ns = s.Node(node.Id);
        if (ns.Status != NodeStatus.Pending) return false;
        if (ns.Triggered) return true;
        var inbound = Inbound(w, node.Id).ToList();
        if (inbound.Count == 0) return node.Id == w.Entry;
        return inbound.All(e => s.Edges.ContainsKey(e.Key)) && inbound.Any(e => s.Edges[e.Key] == "fired");
    }

    /// <summary>Skips pending nodes whose inbound edges are all dead, and kills their outgoing edges, until nothing changes.</summary>
    private static void Propagate(WorkflowDefinition w, WorkflowState s)
    {
        bool changed;
        do
        {
            changed = false;
            foreach (var node in w.Nodes)
            {
                var ns = s.Node(node.Id);
                if (ns.Status != NodeStatus.Pending || ns.Triggered) continue;
                var inbound = Inbound(w, node.Id).ToList();
                if (inbound.Count == 0 || !inbound.All(e => s.Edges.TryGetValue(e.Key, out var v) && v == "dead")) continue;
                ns.Status = NodeStatus.Skipped;
                foreach (var e in w.Edges.Where(e => e.From == node.Id)) s.Edges[e.Key] = "dead";
                changed = true;
            }
        }
        while (changed);
    }

    /// <summary>Decides the node's outgoing edges; false when it failed and no error or fallback edge takes over.</summary>
    private static bool Decide(WorkflowDefinition w, WorkflowState s, WorkflowNode node, bool succeeded, bool modelFailure, int rounds)
    {
        var outgoing = w.Edges.Where(e => e.From == node.Id).ToList();
        var fire = new List<WorkflowEdge>();
        if (succeeded)
        {
            if (node.Type == NodeTypes.Decision)
            {
                var chosen = outgoing.Where(e => e.Kind == EdgeKinds.Conditional)
                    .FirstOrDefault(e => !Exhausted(s, e, rounds) && Condition.Evaluate(Condition.Parse(e.When!), p => Resolve(s, p)));
                if (chosen is not null) fire.Add(chosen);
                else fire.AddRange(outgoing.Where(e => e.Kind == EdgeKinds.Normal && !Exhausted(s, e, rounds)));
            }
            else fire.AddRange(outgoing.Where(e => e.Kind == EdgeKinds.Normal && !Exhausted(s, e, rounds)));
        }
        else
        {
            var fallback = outgoing.Where(e => e.Kind == EdgeKinds.Fallback).ToList();
            var takeOver = modelFailure && fallback.Count > 0 ? fallback : outgoing.Where(e => e.Kind == EdgeKinds.Error).ToList();
            if (takeOver.Count == 0) return false;
            fire.AddRange(takeOver.Where(e => !Exhausted(s, e, rounds)));
            if (fire.Count == 0) return false;
        }
        foreach (var e in outgoing) s.Edges[e.Key] = fire.Contains(e) ? "fired" : "dead";
        foreach (var loop in fire.Where(e => e.IsLoop))
        {
            s.Loops[loop.Key] = s.Loops.GetValueOrDefault(loop.Key) + 1;
            // Send the run back: the target and every node after it run again.
            var region = new HashSet<string>(StringComparer.Ordinal) { loop.To };
            var stack = new Stack<string>([loop.To]);
            while (stack.Count > 0)
            {
                var from = stack.Pop();
                foreach (var e in w.Edges.Where(e => e.From == from && !e.IsLoop))
                    if (region.Add(e.To)) stack.Push(e.To);
            }
            foreach (var id in region)
            {
                s.Node(id).Status = NodeStatus.Pending;
                foreach (var e in w.Edges.Where(e => e.From == id)) s.Edges.Remove(e.Key);
            }
            s.Node(loop.To).Triggered = true;
        }
        return true;
    }

    private static bool Exhausted(WorkflowState s, WorkflowEdge e, int rounds) => e.IsLoop && s.Loops.GetValueOrDefault(e.Key) >= e.Bound(rounds);

    /// <summary>inputs.x, inputs.task, nodes.id.output.a.b, nodes.id.status, nodes.id.error.</summary>
    public static JsonNode? Resolve(WorkflowState s, IReadOnlyList<string> path)
    {
        if (path.Count == 0) return null;
        if (path[0] == "inputs")
            return path.Count == 2 && path[1] == "task" && s.Inputs["task"] is null ? JsonValue.Create(s.Task) : path.Count == 2 ? s.Inputs[path[1]] : null;
        if (path[0] != "nodes" || path.Count < 3 || !s.Nodes.TryGetValue(path[1], out var n)) return null;
        switch (path[2])
        {
            case "status": return JsonValue.Create(n.Status);
            case "error": return n.Error is null ? null : JsonValue.Create(n.Error);
            case "output":
                var current = n.Output;
                foreach (var segment in path.Skip(3))
                    current = current switch
                    {
                        JsonObject o => o[segment],
                        JsonArray a when int.TryParse(segment, out var i) && i >= 0 && i < a.Count => a[i],
                        _ => null,
                    };
                return current;
            default: return null;
        }
    }

    private async Task<(bool, JsonNode?, Exception?)> RunNodeAsync(WorkflowDefinition w, WorkflowNode node, WorkflowState s, RunMeter meter, TeamObserver? observer, CancellationToken cancellationToken)
    {
        await Task.Yield();
        // The router (llm.models, router.rules) sees the node's type and its model: in this node's async context only.
        using var routing = MiniMe.ModelCalls.ModelRouting.Begin(node.Type, Routed ? node.Model : null);
        try
        {
            if (!_hooks.IsEmpty)
            {
                var before = await _hooks.BeforeNodeAsync(s.RunId, node.Id, node.Type, s.Inputs, cancellationToken).ConfigureAwait(false);
                if (before.Denied) return (true, new JsonObject { ["__vetoed"] = $"vetoed by hook {before.Hook} (before_node): {before.Reason}" }, null);
            }
            var result = await RunNodeBodyAsync(w, node, s, meter, observer, cancellationToken).ConfigureAwait(false);
            if (!_hooks.IsEmpty) await _hooks.AfterNodeAsync(s.RunId, node.Id, node.Type, result.Item1 ? NodeStatus.Completed : NodeStatus.Failed, result.Item2, cancellationToken).ConfigureAwait(false);
            return result;
        }
        catch (OperationCanceledException e) when (cancellationToken.IsCancellationRequested)
        {
            return (false, null, e);
        }
        catch (Exception e) when (e is MiniMeException or IOException)
        {
            return (false, null, e);
        }
    }

    private async Task<(bool, JsonNode?, Exception?)> RunNodeBodyAsync(WorkflowDefinition w, WorkflowNode node, WorkflowState s, RunMeter meter, TeamObserver? observer, CancellationToken cancellationToken)
    {
        try
        {
            JsonNode? output = node.Type switch
            {
                NodeTypes.Agent => await _agents.RunAsync(w, node, s, meter, observer, cancellationToken).ConfigureAwait(false),
                NodeTypes.Tool => await ToolAsync(node, s, cancellationToken).ConfigureAwait(false),
                NodeTypes.Decision => new JsonObject { ["result"] = Condition.Evaluate(Condition.Parse(node.Condition!), p => Resolve(s, p)) },
                NodeTypes.Merge => Merge(w, node, s),
                NodeTypes.Human => await HumanAsync(node, s, cancellationToken).ConfigureAwait(false),
                NodeTypes.Panel => await new PanelNode(_chat, _options, _traces).RunAsync(node, s.RunId, s.Task, Templates.Render(node.Subject ?? "", p => Resolve(s, p)), meter, Routed, observer, cancellationToken).ConfigureAwait(false),
                _ => throw new InvalidOperationException($"unknown node type {node.Type}"),
            };
            return (true, output, null);
        }
        catch (OperationCanceledException e) when (cancellationToken.IsCancellationRequested)
        {
            return (false, null, e);
        }
        catch (Exception e) when (e is MiniMeException or HttpRequestException or TimeoutException or InvalidOperationException or System.Text.Json.JsonException)
        {
            return (false, null, e);
        }
    }

    private static JsonObject Merge(WorkflowDefinition w, WorkflowNode node, WorkflowState s)
    {
        var sources = node.Inputs.Count > 0 ? node.Inputs : [.. w.Edges.Where(e => e.To == node.Id).Select(e => e.From).Distinct()];
        var items = sources.Where(id => s.Node(id).Status == NodeStatus.Completed).Select(id => s.Node(id).Output?.DeepClone()).ToList();
        var first = node.Strategy == "first"
            ? sources.Select(id => s.Node(id)).Where(n => n.Status == NodeStatus.Completed).OrderBy(n => n.Sequence).FirstOrDefault()?.Output?.DeepClone()
            : items.FirstOrDefault()?.DeepClone();
        return new JsonObject
        {
            ["items"] = node.Strategy == "first" ? new JsonArray(first?.DeepClone()) : new JsonArray([.. items]),
            ["text"] = node.Strategy == "concat" ? string.Join("\n\n", items.Select(Templates.AsText)) : Templates.AsText(first),
            ["first"] = first,
        };
    }

    private async Task<JsonNode?> HumanAsync(WorkflowNode node, WorkflowState s, CancellationToken cancellationToken)
    {
        var message = Templates.Render(node.Message ?? "", p => Resolve(s, p));
        var answer = _actions is null ? null : await _actions.ApproveAsync(s.RunId, node.Id, message, cancellationToken).ConfigureAwait(false);
        return answer switch
        {
            null => new JsonObject { ["__waiting"] = true },
            true => new JsonObject { ["approved"] = true },
            false => throw new WorkflowNodeException($"'{node.Id}' was not approved"),
        };
    }

    private async Task<JsonNode?> ToolAsync(WorkflowNode node, WorkflowState s, CancellationToken cancellationToken)
    {
        if (_actions is null) throw new WorkflowNodeException($"'{node.Id}' runs {node.Tool}, and nothing here can approve tools");
        var arguments = Templates.RenderValue(node.Arguments ?? [], p => Resolve(s, p)) as JsonObject ?? [];
        var proposal = new ActionProposal($"{node.Id}-{s.Node(node.Id).Runs}", node.Tool!, arguments,
            $"workflow node '{node.Id}'", "workflow:" + node.Id);
        if (_toolHooks.IsEmpty) return await _actions.RunToolAsync(s.RunId, proposal, cancellationToken).ConfigureAwait(false);
        var before = await _toolHooks.BeforeToolAsync(s.RunId, proposal.Id, proposal.Tool, proposal.Arguments, cancellationToken).ConfigureAwait(false);
        if (before.Denied) throw new WorkflowNodeException($"'{node.Id}': {proposal.Tool} vetoed by hook {before.Hook} (before_tool): {before.Reason}");
        if (before.Patched && before.Payload["arguments"] is JsonObject patched) proposal = proposal with { Arguments = (JsonObject)patched.DeepClone() };
        JsonObject result;
        try
        {
            result = await _actions.RunToolAsync(s.RunId, proposal, cancellationToken).ConfigureAwait(false);
        }
        catch (WorkflowNodeException e)
        {
            await _toolHooks.AfterToolAsync(s.RunId, proposal.Id, proposal.Tool, proposal.Arguments, "failed", e.Message, null, cancellationToken).ConfigureAwait(false);
            throw;
        }
        await _toolHooks.AfterToolAsync(s.RunId, proposal.Id, proposal.Tool, proposal.Arguments,
            result["succeeded"]?.GetValue<bool>() == false ? "failed" : "executed", result["summary"]?.GetValue<string>() ?? "", result, cancellationToken).ConfigureAwait(false);
        return result;
    }

    private bool Routed => _chat.GetService(typeof(MiniMe.ModelCalls.IModelRouter)) is not null;

    /// <summary>The newest output of any node running <paramref name="agent"/> (loops keep the last round's output).</summary>
    internal static JsonObject? LatestOutput(WorkflowDefinition w, WorkflowState s, string agent) =>
        s.Nodes.Where(p => p.Value.Output is JsonObject && w.Node(p.Key) is { Type: NodeTypes.Agent } n && n.Agent == agent)
            .OrderByDescending(p => p.Value.Sequence)
            .Select(p => (JsonObject)p.Value.Output!)
            .FirstOrDefault();

    /// <summary>A critic node's output as the review the builder and integrator prompts take.</summary>
    public static CriticReview? Review(JsonObject? critic) => critic is null ? null : new CriticReview(
        0,
        critic["valid"]?.GetValue<bool>() ?? false,
        [.. (critic["violations"] as JsonArray ?? []).OfType<JsonObject>().Select(v => new Violation(
            v["principle"]?.GetValue<string>() ?? "", v["message"]?.GetValue<string>() ?? "", v["location"]?.GetValue<string>(),
            v["source"]?.GetValue<string>() ?? "model", v["blocking"]?.GetValue<bool>() ?? true, v["rule_id"]?.GetValue<string>(), v["line"]?.GetValue<int>()))],
        [.. (critic["suggestions"] as JsonArray ?? []).Select(x => x?.GetValue<string>() ?? "")],
        critic["model_review"]?.GetValue<bool>() ?? true);
}
