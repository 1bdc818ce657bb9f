namespace MiniMe.Agents;

/// <summary>An agent kept answering with output that does not match its schema, after repair and re-asks.</summary>
public sealed class AgentOutputException(string agent, int attempts, IReadOnlyList<string> errors, Exception? inner = null)
    : MiniMeException(
        ErrorCategory.ModelFailed,
        $"The {agent} answered with invalid output {attempts} time{(attempts == 1 ? "" : "s")} ({Summarize(errors)}); the trace has each answer. Try again, use a stronger model, or raise llm.maxRepairAttempts.",
        inner)
{
    public string Agent { get; } = agent;
    public int Attempts { get; } = attempts;
    public IReadOnlyList<string> Errors { get; } = errors;

    private static string Summarize(IReadOnlyList<string> errors) =>
        errors.Count == 0 ? "no details" : errors.Count == 1 ? errors[0] : $"{errors[0]}; and {errors.Count - 1} more";
}

/// <summary>The run's model calls used more tokens than llm.maxRunTokens allows.</summary>
public sealed class RunBudgetExceededException(string agent, long usedTokens, long budgetTokens, string reason)
    : MiniMeException(ErrorCategory.BudgetExceeded, $"Stopped: {reason} ({usedTokens:N0} of the run's {budgetTokens:N0}-token budget used, at the {agent}). The trace keeps the work done so far; raise llm.maxRunTokens or narrow the task.")
{
    public string Agent { get; } = agent;
    public long UsedTokens { get; } = usedTokens;
    public long BudgetTokens { get; } = budgetTokens;
}
