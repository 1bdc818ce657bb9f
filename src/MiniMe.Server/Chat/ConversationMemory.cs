using MiniMe.Server.Conversations;

namespace MiniMe.Server.Chat;

/// <summary>
/// What of a conversation goes with a chat turn (SPEC 3.8), by one rule that loses nothing: every
/// earlier message is either in the history sent to the model or folded into the stored summary.
/// <list type="number">
/// <item>The candidates are the messages after the summary's mark (summarized_through), oldest first.</item>
/// <item>The window is the newest of them, whole messages, at most server.historyMessages and within
/// server.historyBudgetTokens.</item>
/// <item>The older candidates (the overflow) are folded by the model into the summary once
/// server.summarizeAfterMessages of them have piled up, or at once when they no longer fit the token
/// budget beside the window (they would otherwise be dropped). Until then they ride along in the
/// history, ahead of the window.</item>
/// <item>When the fold fails (model error, empty summary) or folding is off (summarizeAfterMessages 0),
/// the overflow stays in the history even over the budget (context_assembly says
/// history_over_budget); it is never dropped, and the next turn tries the fold again.</item>
/// </list>
/// </summary>
/// <param name="Window">The newest candidates within the window and the budget, oldest first.</param>
/// <param name="Overflow">The older candidates, oldest first.</param>
/// <param name="Fold">Whether the overflow is to be folded into the summary on this turn.</param>
public sealed record HistoryPlan(IReadOnlyList<ConversationMessage> Window, IReadOnlyList<ConversationMessage> Overflow, bool Fold)
{
    /// <summary>The history when the overflow is not folded: overflow, then window.</summary>
    public IReadOnlyList<ConversationMessage> Unfolded => [.. Overflow, .. Window];

    /// <summary>Plans one turn's history from the messages after the summary's mark (oldest first).</summary>
    /// <param name="count">Counts a message's tokens.</param>
    public static HistoryPlan For(IReadOnlyList<ConversationMessage> unsummarized, ServerOptions options, Func<string, int> count)
    {
        ArgumentNullException.ThrowIfNull(unsummarized);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(count);
        var start = unsummarized.Count;
        var tokens = 0;
        for (var i = unsummarized.Count - 1; i >= 0; i--)
        {
            if (unsummarized.Count - i > options.HistoryMessages) break;
            var size = count(unsummarized[i].Content);
            if (tokens + size > options.HistoryBudgetTokens) break;
            tokens += size;
            start = i;
        }
        var window = unsummarized.Skip(start).ToList();
        var overflow = unsummarized.Take(start).ToList();
        if (overflow.Count == 0 || options.SummarizeAfterMessages == 0) return new HistoryPlan(window, overflow, Fold: false);
        var wouldBeDropped = tokens + overflow.Sum(m => count(m.Content)) > options.HistoryBudgetTokens;
        return new HistoryPlan(window, overflow, Fold: wouldBeDropped || overflow.Count >= options.SummarizeAfterMessages);
    }
}
