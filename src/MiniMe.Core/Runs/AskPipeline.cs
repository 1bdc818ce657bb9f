using System.Diagnostics;
using System.Text.Json.Nodes;
using MiniMe.Agents;
using MiniMe.Hooks;
using MiniMe.Identity;
using MiniMe.Memory.Facts;
using MiniMe.Memory.Facts.Capture;
using MiniMe.Tracing;

namespace MiniMe.Runs;

/// <summary>
/// A run of `minime ask` (and POST /v1/ask): the shared stages (<see cref="RunPreparation"/>: classify,
/// masks, memory and facts, identity, context under the token budget, each traced). A dry run (or a pipeline without a team) stops
/// there; otherwise the agent team works from the assembled context. Exactly one run_end closes the
/// trace, with the totals, whether the run completed, failed, ran out of budget or was cancelled.
/// Hooks (docs/hooks.md): before_run may deny the run (run_end status vetoed) or patch its task;
/// after_run is told the status just before run_end; model calls inside the run see the hooks too.
/// With facts.capture on, a run whose team worked ends with fact capture from the task (<see cref="FactCapture"/>),
/// before after_run and run_end; it never fails the run.
/// </summary>
public sealed class AskPipeline(
    RunPreparation preparation,
    TraceStore traces,
    int defaultBudgetTokens,
    TimeProvider? time = null,
    AgentTeam? team = null,
    HookDispatcher? hooks = null,
    FactCapture? capture = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly HookDispatcher _hooks = hooks ?? HookDispatcher.None;

    /// <summary>True when a non-dry run calls the agent team.</summary>
    public bool HasTeam => team is not null;

    /// <summary>Why some tools are not offered to the team (an MCP server that did not answer, or was not started), one line each; traced at the start of the run too.</summary>
    public IReadOnlyList<string> ToolWarnings => team?.Tools is MiniMe.Agents.IAgentToolboxWarnings tools ? tools.Warnings : [];

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
        using var span = MiniMe.ModelCalls.MiniMeTelemetry.ActivitySource.StartActivity("minime.run ask");
        span?.SetTag("minime.run_id", runId);
        span?.SetTag("minime.mode", request.DryRun ? "dry_run" : "run");
        var budget = request.BudgetTokens ?? defaultBudgetTokens;
        RunMeter? meter = null;
        var contextTokens = 0;
        using var hookScope = _hooks.Enter();
        try
        {
            request = await BeforeRunAsync(runId, request, cancellationToken).ConfigureAwait(false);
            var prepared = await preparation.PrepareAsync(runId,
                new RunInput(request.Task, request.DryRun ? "dry_run" : "run", budget) { Domain = request.Domain, StartData = request.StartData }, cancellationToken).ConfigureAwait(false);
            var (profile, masks, principles, retrieval, context) = (prepared.Profile, prepared.Masks, prepared.Principles, prepared.Retrieval, prepared.Context);
            contextTokens = context.TotalTokens;

            if (team is not null && !request.DryRun && notice is null)
            {
                meter = new RunMeter(team.Options.MaxRunTokens);
                var identity = preparation.Identity;
                var agentPrinciples = AgentNames.All.ToDictionary(
                    agent => agent,
                    agent => (IReadOnlyList<WeightedPrinciple>)[.. EffectiveIdentity.Compute(identity, profile, masks, request.Task, agent).Where(p => p.Layer == PrincipleScope.Agent)],
                    StringComparer.Ordinal);
                // The router's rules by complexity see the classifier's score in every agent's call.
                using var routing = MiniMe.ModelCalls.ModelRouting.Begin(complexity: profile.Complexity);
                var teamResult = await team.RunAsync(
                    new TeamRequest(runId, request.Task, context.Prompt, masks, principles, agentPrinciples, meter), observer, cancellationToken).ConfigureAwait(false);
                var teamStatus = teamResult.Unresolved ? "completed_with_violations" : "completed";
                if (capture is not null)
                    await capture.CaptureAsync(new FactCaptureInput(runId, request.Task, null, FactOrigin.ForRun(runId), FactSource.Inferred, meter), cancellationToken).ConfigureAwait(false);
                var end = Totals(teamStatus, contextTokens, meter, clock);
                end["proposals"] = teamResult.Proposals.Count;
                end["iterations"] = teamResult.Iterations;
                end["skipped_agents"] = new JsonArray([.. teamResult.SkippedAgents.Select(a => (JsonNode?)a)]);
                await AfterRunAsync(runId, teamStatus, cancellationToken).ConfigureAwait(false);
                traces.Append(runId, TraceEventTypes.RunEnd, end);
                return new AskResult(runId, traces.PathFor(runId), request.Task, profile, preparation.PolicyName, masks, principles, retrieval, context, teamStatus, notice)
                {
                    Facts = prepared.Facts,
                    Team = teamResult,
                    Totals = RunTotals.From(meter, contextTokens, clock.Elapsed),
                };
            }

            var status = request.DryRun || notice is not null ? "dry_run" : "assembled";
            // No model call in this run: capture says why it did nothing (with no model at all, that there is none).
            capture?.Skip(runId, notice ?? "the run called no model (a dry run, or no agent team)");
            await AfterRunAsync(runId, status, cancellationToken).ConfigureAwait(false);
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
            return new AskResult(runId, traces.PathFor(runId), request.Task, profile, preparation.PolicyName, masks, principles, retrieval, context, status, notice)
            {
                Facts = prepared.Facts,
            };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            traces.Append(runId, TraceEventTypes.Error, new JsonObject { ["type"] = e.GetType().Name, ["message"] = e.Message });
            var status = RunHooks.StatusOf(e);
            if (RunHooks.TellsAfterRun(e))
                await AfterRunAsync(runId, status, CancellationToken.None).ConfigureAwait(false);
            traces.Append(runId, TraceEventTypes.RunEnd, Totals(status, contextTokens, meter, clock));
            throw;
        }
        catch (OperationCanceledException)
        {
            traces.Append(runId, TraceEventTypes.RunEnd, Totals("cancelled", contextTokens, meter, clock));
            throw;
        }
    }

    /// <summary>before_run (<see cref="RunHooks"/>): a deny stops the run; a patch of "task" changes what the run works on.</summary>
    private async Task<AskRequest> BeforeRunAsync(string runId, AskRequest request, CancellationToken cancellationToken)
    {
        var task = await RunHooks.BeforeAsync(_hooks, runId, request.Task, new JsonObject
        {
            ["mode"] = request.DryRun ? "dry_run" : "run",
            ["domain"] = request.Domain,
            ["budget_tokens"] = request.BudgetTokens,
        }, cancellationToken).ConfigureAwait(false);
        return task == request.Task ? request : request with { Task = task };
    }

    private Task AfterRunAsync(string runId, string status, CancellationToken cancellationToken) => RunHooks.AfterAsync(_hooks, runId, status, cancellationToken);

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
}
