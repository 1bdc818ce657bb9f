using Microsoft.Extensions.AI;
using MiniMe.Agents;
using MiniMe.Context;

namespace MiniMe.ModelCalls;

/// <summary>
/// The run's token budget (<see cref="RunMeter"/>, llm.maxRunTokens), for calls whose
/// <see cref="ModelCallInfo.Meter"/> is set. Before the call the answer is capped to the room left
/// (<see cref="RunMeter.AnswerCap"/>, which throws <see cref="RunBudgetExceededException"/> when the
/// prompt leaves none); after it, every call that ended is added to the meter and a completed one that
/// overran the budget throws, after its agent_call is traced.
/// </summary>
public sealed class RunBudgetChatClient(IChatClient innerClient, ITokenCounter tokens) : ModelCallChatClient(innerClient)
{
    private readonly ITokenCounter _tokens = tokens ?? throw new ArgumentNullException(nameof(tokens));

    protected override ChatOptions? OnStarting(ModelCall call, IReadOnlyList<ChatMessage> messages, ChatOptions? options)
    {
        if (call.Info.Meter is not { } meter) return options;
        var configured = options?.MaxOutputTokens ?? int.MaxValue;
        var cap = meter.AnswerCap(call.Info.Agent, ModelUsageChatClient.EstimatePrompt(_tokens, messages), configured);
        if (cap >= configured) return options;
        var capped = options?.Clone() ?? new ChatOptions();
        capped.MaxOutputTokens = cap;
        return capped;
    }

    protected override void OnFinished(ModelCall call)
    {
        if (call.Info.Meter is not { } meter) return;
        meter.Add(call.Info.Agent, call.PromptTokens, call.CompletionTokens, call.Cost, call.UsageEstimated, call.LatencyMs);
        if (call.Status == ModelCallStatus.Completed) meter.EnsureWithinBudget(call.Info.Agent);
    }
}
