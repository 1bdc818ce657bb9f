using Microsoft.Extensions.AI;

namespace MiniMe.ModelCalls;

/// <summary>Cost: the call's tokens priced with llm.prices (<see cref="PriceTable"/>); null when the model is not listed.</summary>
public sealed class ModelCostChatClient(IChatClient innerClient, PriceTable prices) : ModelCallChatClient(innerClient)
{
    private readonly PriceTable _prices = prices ?? throw new ArgumentNullException(nameof(prices));

    protected override void OnFinished(ModelCall call) =>
        call.Cost = _prices.Cost(call.Model, call.PromptTokens, call.CompletionTokens);
}
