using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using MiniMe.Actions;
using MiniMe.Agents;
using MiniMe.Tracing;

namespace MiniMe.Workflows;

/// <summary>What the agent nodes of one workflow run did, beside their outputs: every review in order, every model call, the agents routed out, the builds made, and the final integration and its re-check.</summary>
public sealed record WorkflowAgentLog(
    IReadOnlyList<CriticReview> Reviews,
    IReadOnlyList<AgentCallRecord> Calls,
    IReadOnlyList<string> SkippedAgents,
    int Builds,
    IntegrationOutput? Integration,
    RecheckResult? Recheck)
{
    public static WorkflowAgentLog Empty { get; } = new([], [], [], 0, null, null);
}

/// <summary>
/// The agent nodes of a workflow: the semantics of the agent team (SPEC 3.5), written once for
/// builtin:team and every manifest. In a manifest with <c>routing: masks</c> (builtin:team) an agent whose
/// routing weight in the run's masks is below llm.skipAgentsBelow is routed out (agent_skipped, once per
/// run): its node passes through without a model call; a critic routed out still runs the static constraint rules. The Builder sees the current
/// text of the planned files; the Critic reviews the latest build against the plan (static rules, stale
/// patches, then the model); the Integrator works from the plan, the build and the latest review, and its
/// proposals are re-checked against the reviewed build (<see cref="ProposalRecheck"/>) when the run ends.
/// </summary>
internal sealed class AgentNodes(IChatClient chat, AgentTeamOptions options, TraceStore traces, IAgentToolbox? tools, bool routed)
{
    /// <summary>The output marker of a node that passes through: its normal edges fire, its output stays empty.</summary>
    public const string PassMarker = "__skipped";

    private readonly Lock _gate = new();
    private readonly List<CriticReview> _reviews = [];
    private readonly List<AgentCallRecord> _calls = [];
    private readonly List<string> _skipped = [];
    private readonly Dictionary<string, AgentInvoker> _invokers = new(StringComparer.Ordinal);
    /// <summary>Calls agents made of tools that only propose (an MCP server not marked readOnly), shared by every invoker of the run.</summary>
    private readonly ProposedToolCalls _proposed = new();
    private int _builds;

    public WorkflowAgentLog Log(IntegrationOutput? integration, RecheckResult? recheck)
    {
        lock (_gate) return new WorkflowAgentLog([.. _reviews], [.. _calls], [.. _skipped], _builds, integration, recheck);
    }

    public async Task<JsonNode?> RunAsync(WorkflowDefinition w, WorkflowNode node, WorkflowState s, RunMeter runMeter, TeamObserver? observer, CancellationToken cancellationToken)
    {
        var agent = node.Agent ?? "";
        if (!AgentNames.All.Contains(agent)) throw new WorkflowNodeException($"unknown agent '{agent}'");
        var routedOut = w.RoutesByMasks && await RoutedOutAsync(s, agent, observer, cancellationToken).ConfigureAwait(false);
        if (routedOut && agent != AgentNames.Critic) return Pass($"{agent} routed out by the masks");

        var own = s.Node(node.Id);
        var extra = node.Prompt is null ? null : Templates.Render(node.Prompt, p => WorkflowExecutor.Resolve(s, p));
        var nodeMeter = node.Budget is { } b ? new RunMeter(Math.Max(1, Math.Min(b, Math.Max(1, runMeter.Remaining)))) : runMeter;
        var request = s.Request(nodeMeter);
        if (!string.IsNullOrWhiteSpace(extra)) request = request with { Task = request.Task + "\n\n" + extra.Trim() };
        // With a router, model: names one of llm.models (ModelRouting carries it); without one it is the model id itself.
        var invoker = Invoker(node.Model is null || routed ? null : node.Model);
        AgentCallScope Scope(int iteration) => new(s.RunId, iteration, request.Masks.Temperature, nodeMeter, observer);
        var plan = WorkflowExecutor.LatestOutput(w, s, AgentNames.Architect);
        var build = WorkflowExecutor.LatestOutput(w, s, AgentNames.Builder);
        try
        {
            switch (agent)
            {
                case AgentNames.Architect:
                    return Keep(await invoker.InvokeAsync(ArchitectAgent.Spec, AgentPrompts.Architect(request), Scope(own.Runs - 1), cancellationToken).ConfigureAwait(false)).Json;
                case AgentNames.Builder:
                    var previous = own.Output as JsonObject;
                    var review = previous is null ? null : WorkflowExecutor.Review(WorkflowExecutor.LatestOutput(w, s, AgentNames.Critic));
                    var current = await CurrentAsync(s.RunId, Typed(plan), previous is null ? null : BuilderAgent.Spec.Read(previous), own.Runs, cancellationToken).ConfigureAwait(false);
                    var built = Keep(await invoker.InvokeAsync(BuilderAgent.Spec, AgentPrompts.Builder(request, plan, review is null ? null : previous, review, current), Scope(own.Runs), cancellationToken).ConfigureAwait(false));
                    lock (_gate) _builds++;
                    return built.Json;
                case AgentNames.Critic:
                    return await CriticAsync(w, node, own.Runs, request, invoker, Scope(own.Runs), plan, build, modelReview: !routedOut, observer, cancellationToken).ConfigureAwait(false);
                default:
                    if (plan is null && build is null) return Pass("nothing to integrate: no plan and no build");
                    var latest = WorkflowExecutor.Review(WorkflowExecutor.LatestOutput(w, s, AgentNames.Critic));
                    int builds;
                    lock (_gate) builds = _builds;
                    return Keep(await invoker.InvokeAsync(IntegratorAgent.Spec, AgentPrompts.Integrator(request, plan, build, latest), Scope(builds > 0 ? builds : own.Runs), cancellationToken).ConfigureAwait(false)).Json;
            }
        }
        finally
        {
            if (!ReferenceEquals(nodeMeter, runMeter))
                runMeter.Add(node.Id, nodeMeter.PromptTokens, nodeMeter.CompletionTokens, nodeMeter.Cost, nodeMeter.Estimated, nodeMeter.ModelMilliseconds);
        }
    }

    /// <summary>
    /// The proposals of a finished run: the latest Integrator's, re-checked against the reviewed build
    /// (proposal_review), else the latest build's files and patches; an apply_patch that no longer applies
    /// to the current file says so in its review note.
    /// </summary>
    public async Task<(IReadOnlyList<ActionProposal> Proposals, IntegrationOutput? Integration, RecheckResult? Recheck)> FinalAsync(
        WorkflowDefinition w, WorkflowState s, CancellationToken cancellationToken)
    {
        IntegrationOutput? integration = null;
        RecheckResult? recheck = null;
        IReadOnlyList<ActionProposal> proposals = [];
        var build = WorkflowExecutor.LatestOutput(w, s, AgentNames.Builder) is { } b ? BuilderAgent.Spec.Read(b) : null;
        if (WorkflowExecutor.LatestOutput(w, s, AgentNames.Integrator) is { } integrated)
        {
            var value = IntegratorAgent.Spec.Read(integrated);
            recheck = ProposalRecheck.Run(build, value.Proposals, Typed(WorkflowExecutor.LatestOutput(w, s, AgentNames.Architect)), s.Principles, s.Masks.Rigor);
            traces.AppendBatched(s.RunId, TraceEventTypes.ProposalReview, recheck.ToTrace());
            integration = value with { Proposals = recheck.Proposals };
            proposals = integration.Proposals;
        }
        else if (build is not null)
        {
            proposals = ProposalMapper.FromBuild(build);
        }
        if (tools is not null)
        {
            proposals = await MarkStalePatchesAsync(tools, proposals, cancellationToken).ConfigureAwait(false);
            if (integration is not null) integration = integration with { Proposals = proposals };
        }
        // Calls agents made of tools that only propose: after the others, numbered on from them, for approval.
        if (_proposed.Take(s.RunId, proposals.Count + 1) is { Count: > 0 } proposedCalls)
        {
            proposals = [.. proposals, .. proposedCalls];
            if (integration is not null) integration = integration with { Proposals = proposals };
        }
        return (proposals, integration, recheck);
    }

    /// <summary>One invoker per model for the whole run, so what it learns (a model that refuses tools is asked without them) holds for every later agent.</summary>
    private AgentInvoker Invoker(string? model)
    {
        lock (_gate)
        {
            var key = model ?? "";
            if (!_invokers.TryGetValue(key, out var invoker))
                _invokers[key] = invoker = new AgentInvoker(chat, model is null ? options : options with { Model = model }, traces, tools, _proposed);
            return invoker;
        }
    }

    private static JsonObject Pass(string reason) => new() { [PassMarker] = reason };

    private static ArchitectPlan? Typed(JsonObject? plan) => plan is null ? null : ArchitectAgent.Spec.Read(plan);

    private AgentOutcome<T> Keep<T>(AgentOutcome<T> outcome)
    {
        lock (_gate) _calls.AddRange(outcome.Calls);
        return outcome;
    }

    /// <summary>True when the masks route <paramref name="agent"/> out; traced (agent_skipped) and told the observer once per run.</summary>
    private async Task<bool> RoutedOutAsync(WorkflowState s, string agent, TeamObserver? observer, CancellationToken cancellationToken)
    {
        var weight = s.Masks.AgentRouting.TryGetValue(agent, out var v) ? v : 1.0;
        if (weight >= options.SkipAgentsBelow) return false;
        lock (_gate)
        {
            if (_skipped.Contains(agent)) return true;
            _skipped.Add(agent);
        }
        traces.AppendBatched(s.RunId, TraceEventTypes.AgentSkipped, new JsonObject
        {
            ["agent"] = agent,
            ["weight"] = Math.Round(weight, 4),
            ["threshold"] = options.SkipAgentsBelow,
        });
        if (observer is not null) await observer(new AgentSkipped(agent, weight, options.SkipAgentsBelow), cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>The current text of the files the plan names (and the previous build patched), traced as current_files; none without a toolbox.</summary>
    private async Task<IReadOnlyList<CurrentFile>> CurrentAsync(string runId, ArchitectPlan? plan, BuildOutput? previous, int round, CancellationToken cancellationToken)
    {
        if (tools is null || options.CurrentFileBytes <= 0) return [];
        var files = await CurrentFiles.ReadAsync(tools, CurrentFiles.Named(plan, previous), options.CurrentFileBytes, cancellationToken).ConfigureAwait(false);
        if (files.Count > 0) traces.AppendBatched(runId, TraceEventTypes.CurrentFiles, CurrentFiles.ToTrace(round, files));
        return files;
    }

    /// <summary>
    /// Reviews the latest build against the plan: the static constraint rules and stale patches first, then
    /// (unless routed out) the model. Without a builder node in the workflow the task itself is the subject (a
    /// review workflow); with one that built nothing (routed out) there is nothing to review and the node passes.
    /// </summary>
    private async Task<JsonNode?> CriticAsync(WorkflowDefinition w, WorkflowNode node, int round, TeamRequest request, AgentInvoker invoker, AgentCallScope scope,
        JsonObject? planJson, JsonObject? buildJson, bool modelReview, TeamObserver? observer, CancellationToken cancellationToken)
    {
        if (buildJson is null && w.Nodes.Any(n => n.Type == NodeTypes.Agent && n.Agent == AgentNames.Builder))
            return new JsonObject { ["valid"] = true, ["violations"] = new JsonArray(), ["suggestions"] = new JsonArray(), ["model_review"] = false, ["reviewed"] = false };
        var subject = buildJson is not null;
        buildJson ??= new JsonObject { ["summary"] = request.Task, ["files"] = new JsonArray(), ["patches"] = new JsonArray() };
        var build = BuilderAgent.Spec.Read(buildJson);
        var violations = new List<Violation>(StaticCritic.Check(build, Typed(planJson), request.Principles, request.Masks.Rigor));
        if (subject && tools is not null) violations.AddRange(await CurrentFiles.CheckPatchesAsync(tools, build, cancellationToken).ConfigureAwait(false));
        var suggestions = new List<string>();
        var modelValid = true;
        if (modelReview)
        {
            var answer = Keep(await invoker.InvokeAsync(CriticAgent.Spec, AgentPrompts.Critic(request, buildJson, violations), scope, cancellationToken).ConfigureAwait(false));
            modelValid = answer.Value.Valid;
            violations.AddRange(answer.Value.Violations.Select(v => new Violation(v.Principle, v.Message, v.Location, "model")));
            suggestions.AddRange(answer.Value.Suggestions);
        }
        var review = new CriticReview(round, modelValid && !violations.Any(v => v.Blocking), violations, suggestions, modelReview);
        traces.AppendBatched(request.RunId, TraceEventTypes.CriticReview, new JsonObject
        {
            ["iteration"] = round,
            ["node"] = node.Id,
            ["valid"] = review.Valid,
            ["model_review"] = modelReview,
            ["static_violations"] = violations.Count(v => v.Source == "static"),
            ["violations"] = new JsonArray([.. violations.Select(v => (JsonNode?)ViolationJson.From(v))]),
            ["suggestions"] = new JsonArray([.. suggestions.Select(x => (JsonNode?)x)]),
        });
        lock (_gate) _reviews.Add(review);
        if (observer is not null) await observer(new CriticVerdict(review), cancellationToken).ConfigureAwait(false);
        return new JsonObject
        {
            ["valid"] = review.Valid,
            ["violations"] = new JsonArray([.. violations.Select(v => (JsonNode?)new JsonObject
            {
                ["principle"] = v.Rule, ["message"] = v.Message, ["location"] = v.Location, ["source"] = v.Source, ["blocking"] = v.Blocking,
                ["rule_id"] = v.RuleId, ["line"] = v.Line,
            })]),
            ["suggestions"] = new JsonArray([.. suggestions.Select(x => (JsonNode?)x)]),
            ["model_review"] = modelReview,
            ["reviewed"] = true,
        };
    }

    /// <summary>An apply_patch proposal that does not apply to the current text says so (review note and rationale) instead of failing only at approval.</summary>
    private static async Task<IReadOnlyList<ActionProposal>> MarkStalePatchesAsync(IAgentToolbox tools, IReadOnlyList<ActionProposal> proposals, CancellationToken cancellationToken)
    {
        var result = new List<ActionProposal>(proposals.Count);
        foreach (var proposal in proposals)
        {
            if (proposal.Tool == "apply_patch" && proposal.Arguments["patch"] is JsonValue patch && patch.TryGetValue<string>(out var diff) &&
                await tools.CheckPatchAsync(proposal.Arguments["path"] is JsonValue p && p.TryGetValue<string>(out var path) ? path : "", diff, cancellationToken).ConfigureAwait(false) is { } error)
            {
                var note = $"does not apply to the current file: {error.TrimEnd('.')}";
                var review = proposal.Review is null ? note : $"{proposal.Review}; {note}";
                result.Add(proposal with { Review = review, Rationale = $"[review: {note}] {proposal.Rationale}" });
                continue;
            }
            result.Add(proposal);
        }
        return result;
    }
}
