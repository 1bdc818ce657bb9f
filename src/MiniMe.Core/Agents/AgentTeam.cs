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
/// become the proposals. This class only sequences: prompts, calls, checks and proposals live in
/// their own types.
/// </summary>
public sealed class AgentTeam
{
    private readonly AgentInvoker _invoker;
    private readonly TraceStore _traces;

    /// <param name="chat">A client built with the model pipeline (<see cref="MiniMe.ModelCalls.ModelPipeline.Build"/>): it budgets, prices and traces each call.</param>
    public AgentTeam(IChatClient chat, AgentTeamOptions options, TraceStore traces)
    {
        ArgumentNullException.ThrowIfNull(chat);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(traces);
        Options = options;
        _traces = traces;
        _invoker = new AgentInvoker(chat, options, traces);
    }

    public AgentTeamOptions Options { get; }

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
                build = await _invoker.InvokeAsync(BuilderAgent.Spec, AgentPrompts.Builder(request, plan?.Json, build?.Json, previous), Scope(round), cancellationToken).ConfigureAwait(false);
                calls.AddRange(build.Calls);
                var review = await ReviewAsync(request, build, plan?.Value, round, Runs(AgentNames.Critic), Scope(round), calls, cancellationToken).ConfigureAwait(false);
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

        foreach (var proposal in proposals)
            _traces.AppendBatched(request.RunId, TraceEventTypes.ActionProposal, new JsonObject
            {
                ["id"] = proposal.Id,
                ["tool"] = proposal.Tool,
                ["arguments"] = proposal.Arguments.DeepClone(),
                ["rationale"] = proposal.Rationale,
                ["proposed_by"] = proposal.ProposedBy,
                ["status"] = "proposed",
                ["review"] = proposal.Review,
            });
        await _traces.FlushAsync(request.RunId, cancellationToken).ConfigureAwait(false);
        if (observer is not null) await observer(new ProposalsReady(proposals), cancellationToken).ConfigureAwait(false);

        return new TeamResult(plan?.Value, build?.Value, reviews, integration, proposals, calls, [.. skipped], iterations,
            Unresolved: lastReview is { Valid: false }, recheck);
    }

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
        TeamRequest request, AgentOutcome<BuildOutput> build, ArchitectPlan? plan, int round, bool modelReview, AgentCallScope scope, List<AgentCallRecord> calls, CancellationToken cancellationToken)
    {
        var violations = new List<Violation>(StaticCritic.Check(build.Value, plan, request.Principles, request.Masks.Rigor));
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
