using MiniMe.Agents;
using MiniMe.Context;
using MiniMe.Identity;
using MiniMe.Masks;
using MiniMe.Memory.Facts;
using MiniMe.Memory.Retrieval;

namespace MiniMe.Runs;

/// <summary>What `minime ask` was asked to do.</summary>
/// <param name="Domain">Forces the domain instead of classifying it.</param>
public sealed record AskRequest(string Task, bool DryRun, string? Domain = null, int? BudgetTokens = null)
{
    /// <summary>Extra task_start fields saying where the run came from (a schedule's id).</summary>
    public System.Text.Json.Nodes.JsonObject? StartData { get; init; }
}

/// <summary>Everything a dry run decided, in the order it decided it.</summary>
public sealed record AskResult(
    string RunId,
    string TracePath,
    string Task,
    TaskProfile Profile,
    string PolicyName,
    MaskWeights Masks,
    IReadOnlyList<WeightedPrinciple> Principles,
    RetrievalResult Retrieval,
    ContextAssembly Context,
    string Status,
    string? Notice)
{
    /// <summary>Facts about the user that were put into the context.</summary>
    public IReadOnlyList<FactHit> Facts { get; init; } = [];

    /// <summary>What the agent team produced; null for a dry run.</summary>
    public TeamResult? Team { get; init; }

    /// <summary>Model token and cost totals; null for a dry run.</summary>
    public RunTotals? Totals { get; init; }
}

/// <summary>The totals `minime ask` prints and run_end records.</summary>
public sealed record RunTotals(long ContextTokens, long PromptTokens, long CompletionTokens, decimal Cost, int ModelCalls, bool UsageEstimated, TimeSpan Elapsed, double ModelMilliseconds)
{
    public long TotalTokens => PromptTokens + CompletionTokens;

    public static RunTotals From(RunMeter meter, long contextTokens, TimeSpan elapsed)
    {
        ArgumentNullException.ThrowIfNull(meter);
        return new RunTotals(contextTokens, meter.PromptTokens, meter.CompletionTokens, meter.Cost, meter.Calls, meter.Estimated, elapsed, meter.ModelMilliseconds);
    }
}

/// <summary>The last event of <see cref="AskPipeline.StreamAsync"/>: the run's result.</summary>
public sealed record RunFinished(AskResult Result) : TeamEvent;
