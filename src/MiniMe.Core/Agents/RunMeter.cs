namespace MiniMe.Agents;

/// <summary>
/// Token and cost totals of one run's model calls, and the run's token budget. Checked before each
/// call (is there room for the prompt and a useful answer?) and after it (did the answer overrun?).
/// </summary>
public sealed class RunMeter(long budgetTokens)
{
    /// <summary>An answer capped below this many tokens is not worth asking for.</summary>
    public const int MinimumAnswerTokens = 64;

    private readonly Lock _gate = new();

    /// <summary>Totals without a budget (a chat turn): nothing is capped or stopped.</summary>
    public static RunMeter Unbudgeted() => new(long.MaxValue);

    public long BudgetTokens { get; } = budgetTokens > 0 ? budgetTokens : throw new ArgumentOutOfRangeException(nameof(budgetTokens));
    public long PromptTokens { get; private set; }
    public long CompletionTokens { get; private set; }
    public long TotalTokens => PromptTokens + CompletionTokens;
    public decimal Cost { get; private set; }
    public int Calls { get; private set; }
    /// <summary>True when some call's usage was counted with the local tokenizer because the server reported none.</summary>
    public bool Estimated { get; private set; }
    public double ModelMilliseconds { get; private set; }

    public long Remaining => Math.Max(0, BudgetTokens - TotalTokens);

    /// <summary>The answer cap for a call whose prompt is about <paramref name="promptTokens"/>; throws when there is no room.</summary>
    public int AnswerCap(string agent, int promptTokens, int configuredCap)
    {
        lock (_gate)
        {
            var room = BudgetTokens - TotalTokens - promptTokens;
            if (room < MinimumAnswerTokens)
                throw new RunBudgetExceededException(agent, TotalTokens, BudgetTokens,
                    $"the {agent}'s prompt (~{promptTokens:N0} tokens) leaves no room for an answer");
            return (int)Math.Min(configuredCap, room);
        }
    }

    public void Add(string agent, long promptTokens, long completionTokens, decimal? cost, bool estimated, double milliseconds)
    {
        lock (_gate)
        {
            PromptTokens += promptTokens;
            CompletionTokens += completionTokens;
            Cost += cost ?? 0;
            Calls++;
            Estimated |= estimated;
            ModelMilliseconds += milliseconds;
        }
    }

    /// <summary>Throws when the calls so far have used more than the budget.</summary>
    public void EnsureWithinBudget(string agent)
    {
        lock (_gate)
        {
            if (TotalTokens > BudgetTokens)
                throw new RunBudgetExceededException(agent, TotalTokens, BudgetTokens, "the token budget is exhausted");
        }
    }
}
