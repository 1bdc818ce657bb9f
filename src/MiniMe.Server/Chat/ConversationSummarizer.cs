using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using MiniMe.Agents;
using MiniMe.ModelCalls;
using MiniMe.Server.Conversations;
using MiniMe.Tracing;

namespace MiniMe.Server.Chat;

/// <summary>
/// The sliding window's other half (SPEC 3.8): turns that fell out of the history window are folded
/// by the model into a short rolling summary of the conversation, kept in server.db and sent with
/// every later turn. It runs only when enough unsummarized turns have piled up; a failure is traced
/// and the turn goes on with the summary it had.
/// </summary>
public sealed class ConversationSummarizer(ConversationStore conversations, ServerOptions options)
{
    public const int MaxSummaryChars = 2000;

    private const string Instructions =
        "You keep the memory of a conversation between the user and MiniMe. Fold the earlier summary and the new turns " +
        "into one summary of at most 150 words: facts about the user, decisions, open questions. Plain sentences, no preamble.";

    /// <param name="windowStart">Id of the oldest message inside the history window (older ones are summarized).</param>
    /// <param name="client">The model pipeline's client: it traces the call (agent_call by summarizer) and adds it to <paramref name="meter"/>.</param>
    public async Task<string?> SummaryAsync(
        IChatClient client, string userId, string conversationId, long windowStart, TraceStore traces, string runId, CancellationToken cancellationToken,
        RunMeter? meter = null)
    {
        var (summary, through) = conversations.Summary(userId, conversationId);
        if (options.SummarizeAfterMessages == 0) return summary;
        var pending = conversations.Between(userId, conversationId, through, windowStart);
        if (pending.Count < options.SummarizeAfterMessages) return summary;

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
                ["message"] = "conversation summary not updated: " + SecretRedactor.RedactText(e.Message),
            });
            return summary;
        }
    }
}
