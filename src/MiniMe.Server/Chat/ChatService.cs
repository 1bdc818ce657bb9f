using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using MiniMe.Agents;
using MiniMe.Configuration;
using MiniMe.Context;
using MiniMe.Evidence;
using MiniMe.Server.Conversations;
using MiniMe.Server.Metrics;
using MiniMe.Runs;
using MiniMe.Hosting.Users;
using MiniMe.Tracing;

namespace MiniMe.Server.Chat;

/// <summary>
/// Starts chat turns: validates the message, finds or starts the conversation, runs the stages every
/// run shares (<see cref="RunPreparation"/>: classify, masks, the user's memory and facts, persona and
/// principles, the context under its budget, each traced), adds the rolling summary and the history
/// (<see cref="HistoryPlan"/>: every earlier message is in the history or folded into the summary). The returned <see cref="ChatTurn"/> then calls the model, whole or streamed.
/// </summary>
public sealed class ChatService(
    MiniMeOptions engineOptions,
    ServerOptions server,
    UserSpaces users,
    ConversationStore conversations,
    ServerMetrics metrics,
    ConversationSummarizer summarizer,
    ITokenCounter tokenCounter,
    IServiceProvider services,
    TimeProvider time)
{
    public const string NoModelDetail =
        "No chat model is configured: set llm.provider (openai, ollama or anthropic), llm.model and llm.endpoint in config.yaml " +
        "or MINIME_LLM__PROVIDER / MINIME_LLM__MODEL / MINIME_LLM__ENDPOINT, then try again (restart `minime serve` for the API; `minime doctor` checks the setup).";

    /// <summary>True when the engine has a model pipeline (llm.provider is not none).</summary>
    public bool HasModel => services.GetService<IChatClient>() is not null;

    public Task<ChatTurn> StartAsync(string userId, ChatRequest request, CancellationToken cancellationToken) =>
        StartAsync(userId, request, startData: null, cancellationToken);

    /// <param name="startData">Extra task_start fields saying where the turn came from (a schedule's id), beside the conversation id.</param>
    public async Task<ChatTurn> StartAsync(string userId, ChatRequest request, JsonObject? startData, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var message = request.Message?.Trim();
        if (string.IsNullOrEmpty(message))
            throw new InvalidInputException("The message is empty; send {\"message\": \"...\"}.");
        if (message.Length > server.MaxMessageChars)
            throw new InvalidInputException($"The message has {message.Length} characters; the limit is {server.MaxMessageChars} (server.maxMessageChars).");
        var space = users.Get(userId);
        var client = space.Chat ?? throw new ModelUnavailableException(NoModelDetail);
        var conversation = request.ConversationId is { Length: > 0 } id
            ? conversations.Require(userId, id)
            : conversations.Create(userId, message);
        var (storedSummary, summarizedThrough) = conversations.Summary(userId, conversation.Id);
        var plan = HistoryPlan.For(conversations.After(userId, conversation.Id, summarizedThrough), server, tokenCounter.Count);
        var history = plan.Unfolded;

        var clock = Stopwatch.StartNew();
        var runId = RunId.New(time.GetUtcNow());
        using var span = MiniMe.ModelCalls.MiniMeTelemetry.ActivitySource.StartActivity("minime.run chat");
        span?.SetTag("minime.run_id", runId);
        var traces = space.Traces;
        var meter = RunMeter.Unbudgeted();
        var historyData = new JsonObject();
        try
        {
            var preparation = await space.RunPreparationAsync(cancellationToken).ConfigureAwait(false);
            var prepared = await preparation.PrepareAsync(runId, new RunInput(message, "chat", engineOptions.Context.BudgetTokens, RunInput.ChattingPersona)
            {
                TaskBlock = false,
                StartData = StartFields(conversation.Id, startData),
                Extra = async token =>
                {
                    var summary = storedSummary;
                    if (plan.Fold)
                    {
                        var folded = await summarizer.FoldAsync(client, userId, conversation.Id, storedSummary, plan.Overflow, traces, runId, token, meter).ConfigureAwait(false);
                        if (folded is not null)
                        {
                            summary = folded;
                            history = plan.Window;
                        }
                    }
                    var historyTokens = history.Sum(m => tokenCounter.Count(m.Content));
                    historyData["history_messages"] = history.Count;
                    historyData["history_tokens"] = historyTokens;
                    historyData["history_overflow_messages"] = history.Count - plan.Window.Count;
                    historyData["history_over_budget"] = historyTokens > server.HistoryBudgetTokens;
                    return summary is null
                        ? []
                        : [new ContextBlock("history:summary", ContextBlockKind.History, "Earlier in this conversation (summary):\n" + summary, 0.8)];
                },
                ContextData = historyData,
                Retrieved = r => metrics.Retrieval(r.ElapsedMs / 1000, "chat"),
            }, cancellationToken).ConfigureAwait(false);
            var context = prepared.Context;

            var messages = new List<ChatMessage> { new(ChatRole.System, context.Prompt) };
            foreach (var turn in history)
                messages.Add(new ChatMessage(turn.Role == ChatRoles.Assistant ? ChatRole.Assistant : ChatRole.User, turn.Content));
            messages.Add(new ChatMessage(ChatRole.User, message));
            var said = conversations.Append(userId, conversation.Id, new ConversationMessage(0, ChatRoles.User, message, default));
            // The turn's run answers this message (docs/evidence.md); best effort, never fails the turn.
            await space.Evidence().RecordAsync(EvidenceNode.Run(runId), EvidenceRelations.DerivedFrom,
                EvidenceNode.Message(said.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)), cancellationToken).ConfigureAwait(false);

            var options = new ChatOptions { Temperature = (float)prepared.Masks.Temperature, ModelId = engineOptions.Llm.Model };
            var fallbackModel = client.GetService<ChatClientMetadata>()?.DefaultModelId ?? engineOptions.Llm.Model ?? SettingValues.Name(engineOptions.Llm.Provider);
            return new ChatTurn(new ChatTurnParts(client, conversations, meter, traces, userId, conversation.Id,
                runId, messages, options, Sources(prepared), context.TotalTokens, fallbackModel, clock)
            {
                Capture = engineOptions.Facts.Capture == FactCaptureMode.Off ? null : space.FactCapture(),
                UserMessage = said,
            });
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            traces.Append(runId, TraceEventTypes.Error, new JsonObject { ["type"] = e.GetType().Name, ["message"] = e.Message });
            traces.Append(runId, TraceEventTypes.RunEnd, new JsonObject { ["status"] = "error", ["elapsed_ms"] = Math.Round(clock.Elapsed.TotalMilliseconds, 2) });
            throw;
        }
    }

    private static JsonObject StartFields(string conversationId, JsonObject? extra)
    {
        var fields = new JsonObject { ["conversation_id"] = conversationId };
        foreach (var (key, value) in extra ?? []) fields[key] = value?.DeepClone();
        return fields;
    }

    /// <summary>The memory chunks and facts that made it into the context, as ask shows them.</summary>
    private static List<ChatSource> Sources(PreparedRun prepared)
    {
        var kept = prepared.Context.Blocks.Where(b => b.Kept).Select(b => b.Id).ToHashSet(StringComparer.Ordinal);
        return
        [
            .. prepared.Retrieval.Hits
                .Where(h => kept.Contains($"memory:{h.Id}"))
                .Select(h => new ChatSource(h.Id, h.Source, h.Heading, Math.Round(h.Score, 4))),
            .. prepared.Facts
                .Where(f => kept.Contains($"fact:{f.Fact.Id}"))
                .Select(f => new ChatSource(f.Fact.Id, f.Fact.Category, f.Fact.Text, Math.Round(f.Score, 4), ChatSource.FactKind)),
        ];
    }
}
