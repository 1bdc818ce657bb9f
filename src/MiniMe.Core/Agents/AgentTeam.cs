using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using MiniMe.Actions;
using MiniMe.Tracing;

namespace MiniMe.Agents;

/// <summary>
/// The default workflow (SPEC 3.5): Architect, then Builder and Critic for at most
/// min(masks.MaxIterations, llm.maxIterations) rounds (the Builder revises while the review finds
/// blocking violations: the static constraint rules' or the model's), then Integrator, whose proposals
/// are re-checked against the reviewed build (<see cref="ProposalRecheck"/>: what differs is flagged),
/// then action proposals. Agents whose routing weight is
/// below llm.skipAgentsBelow are skipped; without an Integrator the Builder's files and patches
/// become the proposals. With a toolbox (<see cref="Tools"/>) the agents may call read-only tools while
/// they think, each Builder round sees the current text of the planned files (<see cref="CurrentFiles"/>),
/// a Builder patch that does not apply to the current text is a blocking violation, and a final
/// apply_patch proposal that does not apply says so in its review note. This class only sequences:
/// prompts, calls, checks and proposals live in their own types.
/// </summary>
public sealed class AgentTeam
{
    private readonly AgentInvoker _invoker;
    private readonly TraceStore _traces;

    /// <param name="chat">A client built with the model pipeline (<see cref="MiniMe.ModelCalls.ModelPipeline.Build"/>): it budgets, prices and traces each call.</param>
    /// <param name="tools">The workspace's read-only tools (null: the agents see the repository only through the context).</param>
    public AgentTeam(IChatClient chat, AgentTeamOptions options, TraceStore traces, IAgentToolbox? tools = null)
    {
        ArgumentNullException.ThrowIfNull(chat);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(traces);
        Options = options;
        Tools = tools;
        _traces = traces;
        _invoker = new AgentInvoker(chat, options, traces, tools);
    }

    public AgentTeamOptions Options { get; }

    public IAgentToolbox? Tools { get; }

    /// <summary>
    /// Runs the team. Its trace events are appended without waiting for the disk (group commit); they are
    /// all durable before the proposals are handed to the observer (an approval prompt may follow), before
    /// the result is returned, and before an exception leaves.
    /// </summary>
    public async Task<TeamResult> RunAsync(TeamRequest request, TeamObserver? observer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        try
        {
            return await RunTeamAsync(request, observer, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _traces.Flush(request.RunId);
            throw;
        }
    }

    private async Task<TeamResult> RunTeamAsync(TeamRequest request, TeamObserver? observer, CancellationToken cancellationToken)
    {
        var calls = new List<AgentCallRecord>();
        var reviews = new List<CriticReview>();
        if (Tools is IAgentToolboxWarnings { Warnings.Count: > 0 } unavailable)
            foreach (var warning in unavailable.Warnings)
                _traces.AppendBatched(request.RunId, TraceEventTypes.AgentToolCall, new JsonObject
                {
                    ["agent"] = "team", ["tool"] = "*", ["arguments"] = new JsonObject(), ["bytes"] = 0, ["ms"] = 0, ["error"] = warning,
                });
        var skipped = await RouteAsync(request, observer, cancellationToken).ConfigureAwait(false);
        bool Runs(string agent) => !skipped.Contains(agent);
        AgentCallScope Scope(int iteration) => new(request.RunId, iteration, request.Masks.Temperature, request.Meter, observer);

        AgentOutcome<ArchitectPlan>? plan = null;
        if (Runs(AgentNames.Architect))
        {
            plan = await _invoker.InvokeAsync(ArchitectAgent.Spec, AgentPrompts.Architect(request), Scope(0), cancellationToken).ConfigureAwait(false);
            calls.AddRange(plan.Calls);
        }

        AgentOutcome<BuildOutput>? build = null;
        var rounds = Math.Max(1, Math.Min(request.Masks.MaxIterations, Options.MaxIterations));
        var iterations = 0;
        if (Runs(AgentNames.Builder))
        {
            for (var round = 1; round <= rounds; round++)
            {
                iterations = round;
                var previous = reviews.Count > 0 ? reviews[^1] : null;
                var current = await CurrentAsync(request, plan?.Value, build?.Value, round, cancellationToken).ConfigureAwait(false);
                build = await _invoker.InvokeAsync(BuilderAgent.Spec, AgentPrompts.Builder(request, plan?.Json, build?.Json, previous, current), Scope(round), cancellationToken).ConfigureAwait(false);
                calls.AddRange(build.Calls);
                IReadOnlyList<Violation> stale = Tools is null ? [] : await CurrentFiles.CheckPatchesAsync(Tools, build.Value, cancellationToken).ConfigureAwait(false);
                var review = await ReviewAsync(request, build, plan?.Value, round, Runs(AgentNames.Critic), Scope(round), calls, cancellationToken, stale).ConfigureAwait(false);
                reviews.Add(review);
                if (observer is not null) await observer(new CriticVerdict(review), cancellationToken).ConfigureAwait(false);
                if (review.Valid) break;
            }
        }
        var lastReview = reviews.Count > 0 ? reviews[^1] : null;

        IntegrationOutput? integration = null;
        RecheckResult? recheck = null;
        IReadOnlyList<ActionProposal> proposals = [];
        if (Runs(AgentNames.Integrator) && (plan is not null || build is not null))
        {
            var integrated = await _invoker.InvokeAsync(IntegratorAgent.Spec, AgentPrompts.Integrator(request, plan?.Json, build?.Json, lastReview), Scope(iterations), cancellationToken).ConfigureAwait(false);
            calls.AddRange(integrated.Calls);
            recheck = ProposalRecheck.Run(build?.Value, integrated.Value.Proposals, plan?.Value, request.Principles, request.Masks.Rigor);
            _traces.AppendBatched(request.RunId, TraceEventTypes.ProposalReview, recheck.ToTrace());
            integration = integrated.Value with { Proposals = recheck.Proposals };
            proposals = integration.Proposals;
        }
        else if (build is not null)
        {
            proposals = ProposalMapper.FromBuild(build.Value);
        }
        if (Tools is not null)
        {
            proposals = await MarkStalePatchesAsync(Tools, proposals, cancellationToken).ConfigureAwait(false);
            if (integration is not null) integration = integration with { Proposals = proposals };
        }

        // Calls agents made of tools that only propose (an MCP server not marked readOnly): after the others, for approval.
        if (_invoker.Proposed.Take(request.RunId, proposals.Count + 1) is { Count: > 0 } proposedCalls)
        {
            proposals = [.. proposals, .. proposedCalls];
            if (integration is not null) integration = integration with { Proposals = proposals };
        }
        foreach (var proposal in proposals) TraceProposal(_traces, request.RunId, proposal);
        await _traces.FlushAsync(request.RunId, cancellationToken).ConfigureAwait(false);
        if (observer is not null) await observer(new ProposalsReady(proposals), cancellationToken).ConfigureAwait(false);

        return new TeamResult(plan?.Value, build?.Value, reviews, integration, proposals, calls, [.. skipped], iterations,
            Unresolved: lastReview is { Valid: false }, recheck);
    }

    /// <summary>The current text of the files the plan names (and the previous build patched), traced as current_files; none without a toolbox.</summary>
    private async Task<IReadOnlyList<CurrentFile>> CurrentAsync(TeamRequest request, ArchitectPlan? plan, BuildOutput? previous, int round, CancellationToken cancellationToken)
    {
        if (Tools is null || Options.CurrentFileBytes <= 0) return [];
        var files = await CurrentFiles.ReadAsync(Tools, CurrentFiles.Named(plan, previous), Options.CurrentFileBytes, cancellationToken).ConfigureAwait(false);
        if (files.Count > 0) _traces.AppendBatched(request.RunId, TraceEventTypes.CurrentFiles, CurrentFiles.ToTrace(round, files));
        return files;
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

    /// <summary>The action_proposal event of a proposal handed to the user (the team's and a workflow's alike), batched.</summary>
    internal static void TraceProposal(TraceStore traces, string runId, ActionProposal proposal) =>
        traces.AppendBatched(runId, TraceEventTypes.ActionProposal, new JsonObject
        {
            ["id"] = proposal.Id,
            ["tool"] = proposal.Tool,
            ["arguments"] = proposal.Arguments.DeepClone(),
            ["rationale"] = proposal.Rationale,
            ["proposed_by"] = proposal.ProposedBy,
            ["status"] = "proposed",
            ["review"] = proposal.Review,
        });

    private async Task<HashSet<string>> RouteAsync(TeamRequest request, TeamObserver? observer, CancellationToken cancellationToken)
    {
        var skipped = new HashSet<string>(StringComparer.Ordinal);
        foreach (var agent in AgentNames.All)
        {
            var weight = request.Masks.AgentRouting.TryGetValue(agent, out var w) ? w : 1.0;
            if (weight >= Options.SkipAgentsBelow) continue;
            skipped.Add(agent);
            _traces.AppendBatched(request.RunId, TraceEventTypes.AgentSkipped, new JsonObject
            {
                ["agent"] = agent,
                ["weight"] = Math.Round(weight, 4),
                ["threshold"] = Options.SkipAgentsBelow,
            });
            if (observer is not null) await observer(new AgentSkipped(agent, weight, Options.SkipAgentsBelow), cancellationToken).ConfigureAwait(false);
        }
        return skipped;
    }

    private async Task<CriticReview> ReviewAsync(
        TeamRequest request, AgentOutcome<BuildOutput> build, ArchitectPlan? plan, int round, bool modelReview, AgentCallScope scope, List<AgentCallRecord> calls, CancellationToken cancellationToken,
        IReadOnlyList<Violation> stale)
    {
        var violations = new List<Violation>(StaticCritic.Check(build.Value, plan, request.Principles, request.Masks.Rigor));
        violations.AddRange(stale);
        var suggestions = new List<string>();
        var modelValid = true;
        if (modelReview)
        {
            var answer = await _invoker.InvokeAsync(CriticAgent.Spec, AgentPrompts.Critic(request, build.Json, violations), scope, cancellationToken).ConfigureAwait(false);
            calls.AddRange(answer.Calls);
            modelValid = answer.Value.Valid;
            violations.AddRange(answer.Value.Violations.Select(v => new Violation(v.Principle, v.Message, v.Location, "model")));
            suggestions.AddRange(answer.Value.Suggestions);
        }
        var review = new CriticReview(round, modelValid && !violations.Any(v => v.Blocking), violations, suggestions, modelReview);
        _traces.AppendBatched(request.RunId, TraceEventTypes.CriticReview, new JsonObject
        {
            ["iteration"] = round,
            ["valid"] = review.Valid,
            ["model_review"] = modelReview,
            ["static_violations"] = violations.Count(v => v.Source == "static"),
            ["violations"] = new JsonArray([.. violations.Select(v => (JsonNode?)ViolationJson.From(v))]),
            ["suggestions"] = new JsonArray([.. suggestions.Select(s => (JsonNode?)s)]),
        });
        return review;
    }
}
