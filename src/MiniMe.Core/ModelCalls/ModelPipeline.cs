using System.Diagnostics.Metrics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using MiniMe.Context;

namespace MiniMe.ModelCalls;

/// <summary>The model pipeline in one place: a provider's client with every model-call concern around it.</summary>
public static class ModelPipeline
{
    /// <summary><paramref name="inner"/> (a provider's client) decorated with <see cref="ModelCallChatClientBuilderExtensions.UseMiniMeModelCalls"/>.</summary>
    public static IChatClient Build(IChatClient inner, PriceTable prices, ITokenCounter tokens, ILoggerFactory? logging = null, IMeterFactory? meters = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(prices);
        ArgumentNullException.ThrowIfNull(tokens);
        return new ChatClientBuilder(inner).UseMiniMeModelCalls(prices, tokens, logging, meters).Build();
    }

    /// <summary>True when the client accounts each call against the run's budget and traces it (built by <see cref="Build"/>).</summary>
    public static bool IsBuilt(IChatClient chat)
    {
        ArgumentNullException.ThrowIfNull(chat);
        return chat.GetService<RunBudgetChatClient>() is not null && chat.GetService<ModelCallTraceChatClient>() is not null
            && chat.GetService<ModelUsageChatClient>() is not null;
    }

    /// <summary>Throws unless <paramref name="chat"/> is built by <see cref="Build"/> (its callers rely on the budget and the trace).</summary>
    public static IChatClient Require(IChatClient chat, string user)
    {
        ArgumentNullException.ThrowIfNull(chat);
        return IsBuilt(chat)
            ? chat
            : throw new ArgumentException(
                $"{user} needs a chat client with the model-call pipeline (ModelPipeline.Build or ChatClientBuilder.UseMiniMeModelCalls): without it calls are neither budgeted nor traced.",
                nameof(chat));
    }
}
