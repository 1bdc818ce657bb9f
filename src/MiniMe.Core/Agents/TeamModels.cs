using MiniMe.Actions;
using MiniMe.Identity;
using MiniMe.Masks;

namespace MiniMe.Agents;

/// <summary>What the team works from: the run, the assembled context prompt, the masks and the principles.</summary>
/// <param name="ContextPrompt">The context broker's prompt (persona, principles, constraints, memory, task).</param>
/// <param name="Principles">The task's effective principles (static critic checks use them).</param>
/// <param name="AgentPrinciples">Agent-layer principles by agent name, added to that agent's instructions.</param>
/// <param name="Meter">The run's token meter and budget, shared with whoever writes the run's end.</param>
public sealed record TeamRequest(
    string RunId,
    string Task,
    string ContextPrompt,
    MaskWeights Masks,
    IReadOnlyList<WeightedPrinciple> Principles,
    IReadOnlyDictionary<string, IReadOnlyList<WeightedPrinciple>> AgentPrinciples,
    RunMeter Meter);

/// <summary>One model call of an agent: what the model pipeline recorded (agent_call) and what the invoker made of the answer (agent_output).</summary>
/// <param name="Attempt">0 for the first ask, then 1, 2, ... for re-asks after invalid output.</param>
/// <param name="Cost">USD, or null when the model is not in the price table.</param>
/// <param name="HttpRetries">HTTP retries (429, 5xx, timeouts) inside this call.</param>
public sealed record AgentCallRecord(
    string Agent,
    string? Model,
    int Iteration,
    int Attempt,
    long PromptTokens,
    long CompletionTokens,
    bool UsageEstimated,
    double LatencyMs,
    decimal? Cost,
    bool Valid,
    IReadOnlyList<string> Repairs,
    IReadOnlyList<string> Errors,
    int HttpRetries = 0);

/// <summary>An agent's validated answer, as JSON (for the next agent's prompt and the trace) and typed.</summary>
public sealed record AgentOutcome<T>(T Value, System.Text.Json.Nodes.JsonObject Json, IReadOnlyList<AgentCallRecord> Calls);

/// <summary>Everything the team produced.</summary>
/// <param name="Unresolved">The last review still found blocking violations when the rounds ran out.</param>
/// <param name="Recheck">The Integrator's proposals compared with the reviewed build (null when the Integrator did not run: the Builder's own files are the proposals).</param>
public sealed record TeamResult(
    ArchitectPlan? Plan,
    BuildOutput? Build,
    IReadOnlyList<CriticReview> Reviews,
    IntegrationOutput? Integration,
    IReadOnlyList<ActionProposal> Proposals,
    IReadOnlyList<AgentCallRecord> Calls,
    IReadOnlyList<string> SkippedAgents,
    int Iterations,
    bool Unresolved,
    RecheckResult? Recheck = null);
