using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using MiniMe.Agents;
using MiniMe.Identity;
using MiniMe.Memory.Facts;
using MiniMe.Memory.Facts.Capture;
using MiniMe.Tracing;
using MiniMe.Workflows;

namespace MiniMe.Runs;

/// <summary>
/// A workflow run (`minime workflow run`, `minime ask --workflow`, `minime runs resume`): the shared
/// stages (<see cref="RunPreparation"/>) assemble the context, then the <see cref="WorkflowExecutor"/>
/// runs the manifest, checkpointing after every node. One run_end closes each attempt: completed,
/// waiting (a human node), error, budget_exceeded, vetoed or cancelled; a resume appends to the same trace.
/// Hooks: config.yaml's and, for this workflow's runs, the manifest's own (<paramref name="manifestHooks"/>);
/// before_run may deny or patch the task of a new run, after_run is told each attempt's status.
/// With facts.capture on, a completed run captures facts from its task (<see cref="FactCapture"/>) before run_end; it never fails the run.
/// </summary>
/// <param name="manifestHooks">The program hooks a manifest declares, ready to run (null: a manifest's hooks are refused).</param>
public sealed class WorkflowRunner(
    RunPreparation preparation,
    TraceStore traces,
    WorkflowCheckpoints checkpoints,
    IChatClient chat,
    AgentTeamOptions options,
    int defaultContextBudget,
    TimeProvider? time = null,
    MiniMe.Hooks.HookDispatcher? hooks = null,
    IAgentToolbox? tools = null,
    Func<WorkflowDefinition, IReadOnlyList<MiniMe.Hooks.IRunHook>>? manifestHooks = null,
    FactCapture? capture = null)
{
    private readonly MiniMe.Hooks.HookDispatcher _hooks = hooks ?? MiniMe.Hooks.HookDispatcher.None;
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public WorkflowCheckpoints Checkpoints => checkpoints;

    /// <param name="startData">More for the run's task_start event (a schedule's id), beside the workflow's name and source.</param>
    public async Task<WorkflowResult> StartAsync(WorkflowDefinition workflow, string manifest, string task, JsonObject inputs, IWorkflowActions? actions,
        TeamObserver? observer, CancellationToken cancellationToken, Action<string>? started = null, JsonObject? startData = null)
    {
        ArgumentNullException.ThrowIfNull(workflow);
        if (string.IsNullOrWhiteSpace(task)) throw new InvalidInputException("The task is empty; describe what you want done.");
        var hooks = HooksOf(workflow);
        var runId = RunId.New(_time.GetUtcNow());
        started?.Invoke(runId);
        var clock = Stopwatch.StartNew();
        PreparedRun prepared;
        try
        {
            task = await RunHooks.BeforeAsync(hooks.Run, runId, task, new JsonObject { ["mode"] = "run", ["workflow"] = workflow.Name }, cancellationToken).ConfigureAwait(false);
            prepared = await preparation.PrepareAsync(runId,
                new RunInput(task, "run", defaultContextBudget) { StartData = StartData(workflow, startData) },
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            traces.Append(runId, TraceEventTypes.Error, new JsonObject { ["type"] = e.GetType().Name, ["message"] = e.Message });
            if (RunHooks.TellsAfterRun(e)) await RunHooks.AfterAsync(hooks.Run, runId, RunHooks.StatusOf(e), CancellationToken.None).ConfigureAwait(false);
            traces.Append(runId, TraceEventTypes.RunEnd, new JsonObject { ["status"] = RunHooks.StatusOf(e), ["elapsed_ms"] = Math.Round(clock.Elapsed.TotalMilliseconds, 2) });
            throw;
        }
        var agentPrinciples = AgentNames.All.ToDictionary(
            agent => agent,
            agent => (IReadOnlyList<WeightedPrinciple>)[.. EffectiveIdentity.Compute(preparation.Identity, prepared.Profile, prepared.Masks, task, agent).Where(p => p.Layer == PrincipleScope.Agent)],
            StringComparer.Ordinal);
        var request = new TeamRequest(runId, task, prepared.Context.Prompt, prepared.Masks, prepared.Principles, agentPrinciples, new RunMeter(options.MaxRunTokens));
        var state = WorkflowExecutor.NewState(runId, workflow, manifest, request, inputs, options.MaxRunTokens);
        checkpoints.Save(state);
        traces.Append(runId, TraceEventTypes.WorkflowStart, new JsonObject { ["workflow"] = workflow.Name, ["source"] = workflow.Source, ["resumed"] = false });
        return await ExecuteAsync(workflow, state, actions, observer, prepared.Context.TotalTokens, clock, hooks, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The hooks of one run of <paramref name="workflow"/>: config.yaml's followed by the manifest's own (run, node and
    /// agent-call events), and the manifest's own alone for its tool nodes (config.yaml's meet every tool call in the
    /// tool runner); null Tools when the manifest declares none.
    /// </summary>
    private (MiniMe.Hooks.HookDispatcher Run, MiniMe.Hooks.HookDispatcher? Tools) HooksOf(WorkflowDefinition workflow)
    {
        if (workflow.Hooks.Count == 0) return (_hooks, null);
        var own = manifestHooks?.Invoke(workflow)
            ?? throw new InvalidInputException($"{workflow.Source}: this host does not run a manifest's hooks; move them to config.yaml.");
        return own.Count == 0 ? (_hooks, null) : (_hooks.With(own), new MiniMe.Hooks.HookDispatcher(own, traces));
    }

    private static JsonObject StartData(WorkflowDefinition workflow, JsonObject? extra)
    {
        var data = new JsonObject { ["workflow"] = workflow.Name, ["workflow_source"] = workflow.Source };
        foreach (var (name, value) in extra ?? []) data[name] = value?.DeepClone();
        return data;
    }

    /// <summary>Continues a run from its checkpoint: completed nodes are not called again.</summary>
    public async Task<WorkflowResult> ResumeAsync(string runId, IWorkflowActions? actions, TeamObserver? observer, CancellationToken cancellationToken)
    {
        var state = checkpoints.Load(runId);
        if (state.Status == "completed")
            throw new InvalidInputException($"Run {runId} already completed; nothing to resume.");
        var workflow = WorkflowParser.Load(state.Manifest, state.Source);
        var hooks = HooksOf(workflow);
        var done = state.Nodes.Where(n => n.Value.Status == NodeStatus.Completed).Select(n => (JsonNode?)n.Key);
        traces.Append(runId, TraceEventTypes.WorkflowStart, new JsonObject
        {
            ["workflow"] = workflow.Name, ["source"] = workflow.Source, ["resumed"] = true, ["completed_nodes"] = new JsonArray([.. done]),
        });
        return await ExecuteAsync(workflow, state, actions, observer, 0, Stopwatch.StartNew(), hooks, cancellationToken).ConfigureAwait(false);
    }

    private async Task<WorkflowResult> ExecuteAsync(WorkflowDefinition workflow, WorkflowState state, IWorkflowActions? actions, TeamObserver? observer,
        int contextTokens, Stopwatch clock, (MiniMe.Hooks.HookDispatcher Run, MiniMe.Hooks.HookDispatcher? Tools) hooks, CancellationToken cancellationToken)
    {
        var runHooks = hooks.Run;
        var executor = new WorkflowExecutor(chat, options, traces, checkpoints, actions, runHooks, tools, hooks.Tools);
        // Agent-call hooks see this run's model calls (the dispatcher is ambient for them).
        using var hookScope = runHooks.Enter();
        try
        {
            var result = await executor.RunAsync(workflow, state, observer, cancellationToken).ConfigureAwait(false);
            if (capture is not null && result.Status == "completed")
                await capture.CaptureAsync(new FactCaptureInput(state.RunId, state.Task, null, FactOrigin.ForRun(state.RunId), FactSource.Inferred), cancellationToken).ConfigureAwait(false);
            await RunHooks.AfterAsync(runHooks, state.RunId, result.Status, CancellationToken.None).ConfigureAwait(false);
            var end = Totals(result.Status, contextTokens, state, clock);
            end["workflow"] = workflow.Name;
            end["proposals"] = result.Proposals.Count;
            if (result.Waiting.Count > 0) end["waiting"] = new JsonArray([.. result.Waiting.Select(w => (JsonNode?)w)]);
            traces.Append(state.RunId, TraceEventTypes.RunEnd, end);
            return result;
        }
        catch (OperationCanceledException)
        {
            traces.Append(state.RunId, TraceEventTypes.RunEnd, Totals("cancelled", contextTokens, state, clock));
            throw;
        }
        catch (Exception e)
        {
            var root = e is WorkflowFailedException { InnerException: { } inner } ? inner : e;
            traces.Append(state.RunId, TraceEventTypes.Error, new JsonObject { ["type"] = root.GetType().Name, ["message"] = e.Message });
            await RunHooks.AfterAsync(runHooks, state.RunId, RunHooks.StatusOf(root), CancellationToken.None).ConfigureAwait(false);
            traces.Append(state.RunId, TraceEventTypes.RunEnd, Totals(RunHooks.StatusOf(root), contextTokens, state, clock));
            throw;
        }
    }

    private static JsonObject Totals(string status, int contextTokens, WorkflowState s, Stopwatch clock) => new()
    {
        ["status"] = status,
        ["context_tokens"] = contextTokens,
        ["prompt_tokens"] = s.PromptTokens,
        ["completion_tokens"] = s.CompletionTokens,
        ["total_tokens"] = s.PromptTokens + s.CompletionTokens,
        ["budget_tokens"] = s.BudgetTokens,
        ["cost"] = s.Cost,
        ["model_calls"] = s.Calls,
        ["elapsed_ms"] = Math.Round(clock.Elapsed.TotalMilliseconds, 2),
    };
}
