using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using MiniMe.Agents;
using MiniMe.ModelCalls;
using MiniMe.Server.Conversations;
using MiniMe.Tracing;

namespace MiniMe.Server.Chat;

/// <summary>
/// The sliding window's other half (SPEC 3.8): the messages <see cref="HistoryPlan"/> decides to fold
/// are folded by the model, with the previous summary, into a short rolling summary of the
/// conversation, kept in server.db (summary, summarized_through) and sent with every later turn. A
/// failure (model error, empty summary) is traced and returns null: the caller then keeps those
/// messages in the history, so nothing is lost.
/// </summary>
public sealed class ConversationSummarizer(ConversationStore conversations)
{
    public const int MaxSummaryChars = 2000;

    /// <summary>The summarizer's instructions (its system prompt).</summary>
    public const string Instructions =
        "You keep the memory of a conversation between the user and MiniMe. Fold the earlier summary and the new turns " +
        "into one summary of at most 150 words: facts about the user, decisions, open questions. Plain sentences, no preamble.";

    /// <summary>Folds <paramref name="pending"/> (oldest first, all after the stored mark) into <paramref name="summary"/> and stores the result.</summary>
    /// <param name="client">The model pipeline's client: it traces the call (agent_call by summarizer) and adds it to <paramref name="meter"/>.</param>
    /// <returns>The new summary, or null when the fold failed (traced as an error).</returns>
    public async Task<string?> FoldAsync(
        IChatClient client, string userId, string conversationId, string? summary, IReadOnlyList<ConversationMessage> pending,
        TraceStore traces, string runId, CancellationToken cancellationToken, RunMeter? meter = null)
    {
        ArgumentNullException.ThrowIfNull(pending);
        ArgumentNullException.ThrowIfNull(traces);
        if (pending.Count == 0) return summary;
        var transcript = new StringBuilder();
        if (summary is not null) transcript.Append("Earlier summary:\n").Append(summary).Append("\n\n");
        transcript.Append("New turns:\n");
        foreach (var message in pending) transcript.Append(message.Role).Append(": ").Append(message.Content).Append('\n');
        using var call = ModelCall.Begin(new ModelCallInfo(runId, "summarizer", Traces: traces, Meter: meter)
        {
            TraceData = new JsonObject { ["summarized_messages"] = pending.Count },
        });
        try
        {
            var response = await client.GetResponseAsync(
                [new ChatMessage(ChatRole.System, Instructions), new ChatMessage(ChatRole.User, transcript.ToString())],
                new ChatOptions { Temperature = 0 }, cancellationToken).ConfigureAwait(false);
            var text = response.Text.Trim();
            if (text.Length == 0) throw new InvalidOperationException("the model returned an empty summary");
            if (text.Length > MaxSummaryChars) text = text[..MaxSummaryChars];
            conversations.SetSummary(userId, conversationId, text, pending[^1].Id);
            return text;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            traces.Append(runId, TraceEventTypes.Error, new JsonObject
            {
                ["type"] = e.GetType().Name,
                ["message"] = "conversation summary not updated (the turns stay in the history): " + SecretRedactor.RedactText(e.Message),
            });
            return null;
        }
    }
}
