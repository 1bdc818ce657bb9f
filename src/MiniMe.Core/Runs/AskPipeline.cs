using System.Diagnostics;
using System.Text.Json.Nodes;
using MiniMe.Agents;
using MiniMe.Context;
using MiniMe.Identity;
using MiniMe.Masks;
using MiniMe.Memory;
using MiniMe.Memory.Facts;
using MiniMe.Memory.Lexical;
using MiniMe.Memory.Retrieval;
using MiniMe.Tracing;

namespace MiniMe.Runs;

/// <summary>
/// A run: classify the task, compute masks, retrieve memory weighted by the masks, and assemble the
/// context under the token budget, tracing each step. A dry run (or a pipeline without a team) stops
/// there; otherwise the agent team works from the assembled context. Exactly one run_end closes the
/// trace, with the totals, whether the run completed, failed, ran out of budget or was cancelled.
/// </summary>
public sealed class AskPipeline(
    ITaskClassifier classifier,
    IMaskPolicy policy,
    HybridRetriever retriever,
    IContextBroker broker,
    IdentityDocument identity,
    TraceStore traces,
    int defaultBudgetTokens,
    TimeProvider? time = null,
    AgentTeam? team = null,
    IFactRetriever? facts = null)
{
    /// <summary>Facts about the user added to a run's context at most.</summary>
    private const int MaxFacts = 5;

    /// <summary>Boost per doubling of a chunk's earlier uses in a context (score * (1 + w * log2(1 + uses))).</summary>
    private const double ReuseWeight = 0.1;

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>True when a non-dry run calls the agent team.</summary>
    public bool HasTeam => team is not null;

    public Task<AskResult> RunAsync(AskRequest request, string? notice, CancellationToken cancellationToken) =>
        RunAsync(request, notice, observer: null, cancellationToken);

    /// <summary>The run as a stream: team events as they happen, then <see cref="RunFinished"/> with the result.</summary>
    public IAsyncEnumerable<TeamEvent> StreamAsync(AskRequest request, string? notice, CancellationToken cancellationToken) =>
        EventStream.From<TeamEvent>(async (emit, token) =>
        {
            var result = await RunAsync(request, notice, (e, t) => emit(e, t), token).ConfigureAwait(false);
            await emit(new RunFinished(result), token).ConfigureAwait(false);
        }, cancellationToken);

    public async Task<AskResult> RunAsync(AskRequest request, string? notice, TeamObserver? observer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrWhiteSpace(request.Task))
            throw new InvalidInputException("The task is empty; describe what you want done.");
        var clock = Stopwatch.StartNew();
        var runId = RunId.New(_time.GetUtcNow());
        var budget = request.BudgetTokens ?? defaultBudgetTokens;
        RunMeter? meter = null;
        var contextTokens = 0;
        try
        {
            var classified = classifier.Classify(request.Task);
            var profile = request.Domain is { Length: > 0 } forced
                ? classified with { Domain = forced, DomainConfidence = 1, Signals = [.. classified.Signals, $"domain forced: {forced}"] }
                : classified;
            traces.Append(runId, TraceEventTypes.TaskStart, new JsonObject
            {
                ["task"] = request.Task,
                ["mode"] = request.DryRun ? "dry_run" : "run",
                ["domain"] = profile.Domain,
                ["complexity"] = Math.Round(profile.Complexity, 4),
                ["budget_tokens"] = budget,
            });

            var masks = policy.Compute(profile);
            traces.Append(runId, TraceEventTypes.MaskGeneration, RunTraceData.Masks(policy.Name, profile, masks));

            var boosts = new RetrievalBoosts(profile.Domain, masks.RetrievalDomainWeight, masks.RetrievalRecencyWeight, ReuseWeight);
            // A task with no searchable words ("do it") still runs, with nothing retrieved.
            var retrieval = FtsQueryBuilder.Build(request.Task) is null
                ? RetrievalResult.NoSearchableWords
                : await retriever.RetrieveAsync(
                    new RetrievalRequest(request.Task, masks.RetrievalK, SearchFilter.None, boosts), cancellationToken).ConfigureAwait(false);
            var factHits = facts is null || FtsQueryBuilder.Build(request.Task) is null
                ? []
                : await facts.RetrieveAsync(request.Task, MaxFacts, cancellationToken).ConfigureAwait(false);
            var retrievalData = RunTraceData.Retrieval(retrieval, masks.RetrievalK, boosts);
            retrievalData["facts"] = new JsonArray([.. factHits.Select(f => (JsonNode?)new JsonObject
            {
                ["id"] = f.Fact.Id,
                ["category"] = f.Fact.Category,
                ["score"] = Math.Round(f.Score, 6),
            })]);
            traces.Append(runId, TraceEventTypes.Retrieval, retrievalData);

            var principles = EffectiveIdentity.Compute(identity, profile, masks, request.Task);
            var blocks = Blocks(request.Task, profile, principles, retrieval.Hits);
            blocks.InsertRange(blocks.Count - 1, FactContextBlocks.From(factHits));
            var context = broker.Assemble(new ContextRequest(blocks, budget));
            traces.Append(runId, TraceEventTypes.ContextAssembly, RunTraceData.Context(context));
            contextTokens = context.TotalTokens;

            if (team is not null && !request.DryRun && notice is null)
            {
                meter = new RunMeter(team.Options.MaxRunTokens);
                var agentPrinciples = AgentNames.All.ToDictionary(
                    agent => agent,
                    agent => (IReadOnlyList<WeightedPrinciple>)[.. EffectiveIdentity.Compute(identity, profile, masks, request.Task, agent).Where(p => p.Layer == PrincipleScope.Agent)],
                    StringComparer.Ordinal);
                var teamResult = await team.RunAsync(
                    new TeamRequest(runId, request.Task, context.Prompt, masks, principles, agentPrinciples, meter), observer, cancellationToken).ConfigureAwait(false);
                var teamStatus = teamResult.Unresolved ? "completed_with_violations" : "completed";
                var end = Totals(teamStatus, contextTokens, meter, clock);
                end["proposals"] = teamResult.Proposals.Count;
                end["iterations"] = teamResult.Iterations;
                end["skipped_agents"] = new JsonArray([.. teamResult.SkippedAgents.Select(a => (JsonNode?)a)]);
                traces.Append(runId, TraceEventTypes.RunEnd, end);
                return new AskResult(runId, traces.PathFor(runId), request.Task, profile, policy.Name, masks, principles, retrieval, context, teamStatus, notice)
                {
                    Team = teamResult,
                    Totals = RunTotals.From(meter, contextTokens, clock.Elapsed),
                };
            }

            var status = request.DryRun || notice is not null ? "dry_run" : "assembled";
            traces.Append(runId, TraceEventTypes.RunEnd, new JsonObject
            {
                ["status"] = status,
                ["total_tokens"] = context.TotalTokens,
                ["prompt_tokens"] = context.TotalTokens,
                ["completion_tokens"] = 0,
                ["cost"] = 0,
                ["elapsed_ms"] = Math.Round(clock.Elapsed.TotalMilliseconds, 2),
                ["notice"] = notice,
            });
            return new AskResult(runId, traces.PathFor(runId), request.Task, profile, policy.Name, masks, principles, retrieval, context, status, notice);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            traces.Append(runId, TraceEventTypes.Error, new JsonObject { ["type"] = e.GetType().Name, ["message"] = e.Message });
            traces.Append(runId, TraceEventTypes.RunEnd, Totals(e is RunBudgetExceededException ? "budget_exceeded" : "error", contextTokens, meter, clock));
            throw;
        }
        catch (OperationCanceledException)
        {
            traces.Append(runId, TraceEventTypes.RunEnd, Totals("cancelled", contextTokens, meter, clock));
            throw;
        }
    }

    /// <summary>run_end data: model token totals (when the team ran), cost and elapsed time.</summary>
    private static JsonObject Totals(string status, int contextTokens, RunMeter? meter, Stopwatch clock)
    {
        var end = new JsonObject { ["status"] = status, ["context_tokens"] = contextTokens };
        if (meter is not null)
        {
            end["prompt_tokens"] = meter.PromptTokens;
            end["completion_tokens"] = meter.CompletionTokens;
            end["total_tokens"] = meter.TotalTokens;
            end["budget_tokens"] = meter.BudgetTokens;
            end["cost"] = meter.Cost;
            end["model_calls"] = meter.Calls;
            end["usage_estimated"] = meter.Estimated;
            end["model_ms"] = Math.Round(meter.ModelMilliseconds, 2);
        }
        end["elapsed_ms"] = Math.Round(clock.Elapsed.TotalMilliseconds, 2);
        return end;
    }

    private List<ContextBlock> Blocks(string task, TaskProfile profile, IReadOnlyList<WeightedPrinciple> principles, IReadOnlyList<SearchHit> hits)
    {
        var persona = identity.Persona;
        var personaText = $"You are MiniMe, working for the user as a {persona.Voice}. Tone: {persona.Tone}.";
        if (persona.StyleRules.Count > 0) personaText += "\nStyle: " + string.Join(" ", persona.StyleRules);
        if (persona.Values.Count > 0) personaText += "\nValues: " + string.Join("; ", persona.Values) + ".";
        var blocks = new List<ContextBlock> { new("persona", ContextBlockKind.Persona, personaText, 1.0) };

        // Domain-scoped principles are the domain's constraints; the rest are general principles.
        foreach (var block in EffectiveIdentity.ToContextBlocks(principles.Where(p => p.Layer != PrincipleScope.Domain)))
            blocks.Add(block);
        foreach (var block in EffectiveIdentity.ToContextBlocks(principles.Where(p => p.Layer == PrincipleScope.Domain)))
            blocks.Add(block with { Kind = ContextBlockKind.DomainConstraints });

        var best = hits.Count == 0 ? 1 : Math.Max(hits[0].Score, 1e-9);
        foreach (var hit in hits)
        {
            var where = hit.Heading is null ? hit.Source : $"{hit.Source} § {hit.Heading}";
            blocks.Add(new ContextBlock($"memory:{hit.Id}", ContextBlockKind.Memory, $"({where}, chars {hit.StartOffset}-{hit.EndOffset})\n{hit.Text}", Math.Round(hit.Score / best, 4)));
        }
        blocks.Add(new ContextBlock("task", ContextBlockKind.Task, $"Task ({profile.Domain}, complexity {profile.Complexity:0.00}): {task}", 1.0));
        return blocks;
    }
}
