using MiniMe.Context;
using MiniMe.Identity;
using MiniMe.Masks;
using MiniMe.Memory.Retrieval;

namespace MiniMe.Runs;

/// <summary>What `minime ask` was asked to do.</summary>
/// <param name="Domain">Forces the domain instead of classifying it.</param>
public sealed record AskRequest(string Task, bool DryRun, string? Domain = null, int? BudgetTokens = null);

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
    string? Notice);
