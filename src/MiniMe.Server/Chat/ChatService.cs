using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using MiniMe.Context;
using MiniMe.Identity;
using MiniMe.Memory;
using MiniMe.Memory.Lexical;
using MiniMe.Memory.Retrieval;
using MiniMe.Server.Conversations;
using MiniMe.Server.Metrics;
using MiniMe.Runs;
using MiniMe.Server.Users;
using MiniMe.Tracing;

namespace MiniMe.Server.Chat;

/// <summary>
/// Starts chat turns: validates the message, finds or starts the conversation, classifies the message,
/// computes masks, retrieves the user's memory, assembles the system prompt (persona, principles,
/// memory) under the context budget, picks the history window, and traces each step as a run. The
/// returned <see cref="ChatTurn"/> then calls the model, whole or streamed.
/// </summary>
public sealed class ChatService(
    ServerEngine engine,
    UserSpaces users,
    ConversationStore conversations,
    ServerMetrics metrics,
    ChatPriceTable prices,
    ConversationSummarizer summarizer,
    IServiceProvider services,
    TimeProvider time)
{
    private const double ReuseWeight = 0.1;

    public const string NoModelDetail =
        "No chat model is configured: set llm.provider (openai, ollama or anthropic), llm.model and llm.endpoint in config.yaml " +
        "or MINIME_LLM__PROVIDER / MINIME_LLM__MODEL / MINIME_LLM__ENDPOINT, then restart `minime serve`.";

    /// <summary>True when an <see cref="IChatClient"/> is registered.</summary>
    public bool HasModel => services.GetService<IChatClient>() is not null;

    public async Task<ChatTurn> StartAsync(string userId, ChatRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var message = request.Message?.Trim();
        if (string.IsNullOrEmpty(message))
            throw new InvalidInputException("The message is empty; send {\"message\": \"...\"}.");
        if (message.Length > engine.Server.MaxMessageChars)
            throw new InvalidInputException($"The message has {message.Length} characters; the limit is {engine.Server.MaxMessageChars} (server.maxMessageChars).");
        var client = services.GetService<IChatClient>() ?? throw new ModelUnavailableException(NoModelDetail);
        var conversation = request.ConversationId is { Length: > 0 } id
            ? conversations.Require(userId, id)
            : conversations.Create(userId, message);
        var recent = conversations.Messages(userId, conversation.Id, engine.Server.HistoryMessages);
        var windowStart = recent.Count == 0 ? long.MaxValue : recent[0].Id;
        var history = HistoryWindow(recent);

        var space = users.Get(userId);
        var clock = Stopwatch.StartNew();
        var runId = RunId.New(time.GetUtcNow());
        var traces = space.Traces;
        var budget = engine.Options.Context.BudgetTokens;
        try
        {
            var profile = engine.Classifier.Classify(message);
            traces.Append(runId, TraceEventTypes.TaskStart, new JsonObject
            {
                ["task"] = message,
                ["mode"] = "chat",
                ["conversation_id"] = conversation.Id,
                ["domain"] = profile.Domain,
                ["complexity"] = Math.Round(profile.Complexity, 4),
                ["budget_tokens"] = budget,
            });
            var summary = await summarizer.SummaryAsync(client, userId, conversation.Id, windowStart, traces, runId, cancellationToken).ConfigureAwait(false);
            var masks = engine.MaskPolicy.Compute(profile);
            traces.Append(runId, TraceEventTypes.MaskGeneration, RunTraceData.Masks(engine.MaskPolicy.Name, profile, masks));

            var boosts = new RetrievalBoosts(profile.Domain, masks.RetrievalDomainWeight, masks.RetrievalRecencyWeight, ReuseWeight);
            var retrieval = await RetrieveAsync(space, message, masks.RetrievalK, boosts, cancellationToken).ConfigureAwait(false);
            traces.Append(runId, TraceEventTypes.Retrieval, RunTraceData.Retrieval(retrieval, masks.RetrievalK, boosts));

            var identity = space.LoadIdentity();
            var principles = EffectiveIdentity.Compute(identity, profile, masks, message);
            var blocks = Blocks(identity.Persona, principles, retrieval.Hits);
            if (summary is not null)
                blocks.Add(new ContextBlock("history:summary", ContextBlockKind.History, "Earlier in this conversation (summary):\n" + summary, 0.8));
            var context = engine.Broker.Assemble(new ContextRequest(blocks, budget));
            var historyTokens = history.Sum(m => engine.TokenCounter.Count(m.Content));
            var contextData = RunTraceData.Context(context);
            contextData["history_messages"] = history.Count;
            contextData["history_tokens"] = historyTokens;
            traces.Append(runId, TraceEventTypes.ContextAssembly, contextData);

            var messages = new List<ChatMessage> { new(ChatRole.System, context.Prompt) };
            foreach (var turn in history)
                messages.Add(new ChatMessage(turn.Role == ChatRoles.Assistant ? ChatRole.Assistant : ChatRole.User, turn.Content));
            messages.Add(new ChatMessage(ChatRole.User, message));
            conversations.Append(userId, conversation.Id, new ConversationMessage(0, ChatRoles.User, message, default));

            var options = new ChatOptions { Temperature = (float)masks.Temperature, ModelId = engine.Options.Llm.Model };
            var sources = retrieval.Hits
                .Where(h => context.Blocks.Any(b => b.Kept && b.Id == $"memory:{h.Id}"))
                .Select(h => new ChatSource(h.Id, h.Source, h.Heading, Math.Round(h.Score, 4)))
                .ToList();
            var fallbackModel = client.GetService<ChatClientMetadata>()?.DefaultModelId ?? engine.Options.Llm.Model ?? Configuration.SettingValues.Name(engine.Options.Llm.Provider);
            return new ChatTurn(new ChatTurnParts(client, conversations, metrics, prices, engine.TokenCounter, traces, userId, conversation.Id,
                runId, messages, options, sources, context.TotalTokens, fallbackModel, clock));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            traces.Append(runId, TraceEventTypes.Error, new JsonObject { ["type"] = e.GetType().Name, ["message"] = e.Message });
            traces.Append(runId, TraceEventTypes.RunEnd, new JsonObject { ["status"] = "error", ["elapsed_ms"] = Math.Round(clock.Elapsed.TotalMilliseconds, 2) });
            throw;
        }
    }

    /// <summary>The most recent messages that fit server.historyBudgetTokens, oldest first.</summary>
    private List<ConversationMessage> HistoryWindow(IReadOnlyList<ConversationMessage> recent)
    {
        var kept = new List<ConversationMessage>();
        var tokens = 0;
        for (var i = recent.Count - 1; i >= 0; i--)
        {
            tokens += engine.TokenCounter.Count(recent[i].Content);
            if (tokens > engine.Server.HistoryBudgetTokens) break;
            kept.Add(recent[i]);
        }
        kept.Reverse();
        return kept;
    }

    private async Task<RetrievalResult> RetrieveAsync(UserSpace space, string message, int k, RetrievalBoosts boosts, CancellationToken cancellationToken)
    {
        // A message with no searchable words ("thanks!") is answered without memory.
        if (FtsQueryBuilder.Build(message) is null)
            return RetrievalResult.NoSearchableWords;
        var retriever = await space.RetrieverAsync(cancellationToken).ConfigureAwait(false);
        var result = await retriever.RetrieveAsync(new RetrievalRequest(message, k, SearchFilter.None, boosts), cancellationToken).ConfigureAwait(false);
        metrics.Retrieval(result.ElapsedMs / 1000, "chat");
        return result;
    }

    private static List<ContextBlock> Blocks(Persona persona, IReadOnlyList<WeightedPrinciple> principles, IReadOnlyList<SearchHit> hits)
    {
        var personaText = $"You are MiniMe, chatting with the user as a {persona.Voice}. Tone: {persona.Tone}. Answer in Markdown.";
        if (persona.StyleRules.Count > 0) personaText += "\nStyle: " + string.Join(" ", persona.StyleRules);
        if (persona.Values.Count > 0) personaText += "\nValues: " + string.Join("; ", persona.Values) + ".";
        var blocks = new List<ContextBlock> { new("persona", ContextBlockKind.Persona, personaText, 1.0) };
        blocks.AddRange(EffectiveIdentity.ToContextBlocks(principles.Where(p => p.Layer != PrincipleScope.Domain)));
        blocks.AddRange(EffectiveIdentity.ToContextBlocks(principles.Where(p => p.Layer == PrincipleScope.Domain))
            .Select(b => b with { Kind = ContextBlockKind.DomainConstraints }));
        var best = hits.Count == 0 ? 1 : Math.Max(hits[0].Score, 1e-9);
        foreach (var hit in hits)
        {
            var where = hit.Heading is null ? hit.Source : $"{hit.Source} § {hit.Heading}";
            blocks.Add(new ContextBlock($"memory:{hit.Id}", ContextBlockKind.Memory, $"From the user's memory ({where}):\n{hit.Text}", Math.Round(hit.Score / best, 4)));
        }
        return blocks;
    }
}
