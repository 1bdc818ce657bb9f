using Microsoft.Extensions.AI;
using MiniMe.Context;

namespace MiniMe.ModelCalls;

/// <summary>
/// Usage: when the server reports no token counts (some local servers never do, and a stream cut
/// short has none), the prompt and the answer are counted with the local tokenizer and the call is
/// marked estimated. A call that failed or was cancelled before any text arrived counts nothing.
/// </summary>
public sealed class ModelUsageChatClient(IChatClient innerClient, ITokenCounter tokens) : ModelCallChatClient(innerClient)
{
    /// <summary>Tokens a chat message costs beyond its text (role and separators), as OpenAI counts them.</summary>
    public const int MessageOverheadTokens = 4;

    private readonly ITokenCounter _tokens = tokens ?? throw new ArgumentNullException(nameof(tokens));

    /// <summary>The local estimate of a prompt's tokens.</summary>
    public static int EstimatePrompt(ITokenCounter tokens, IEnumerable<ChatMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(messages);
        return messages.Sum(m => tokens.Count(m.Text) + MessageOverheadTokens);
    }

    protected override void OnFinished(ModelCall call)
    {
        if (call.ReportedPromptTokens is not null && call.ReportedCompletionTokens is not null) return;
        // Nothing arrived: nothing is known to have been used (the request may never have reached the model).
        if (call.Status != ModelCallStatus.Completed && call.Output.Length == 0 && call.ReportedPromptTokens is null && call.ReportedCompletionTokens is null) return;
        call.PromptTokens = call.ReportedPromptTokens ?? EstimatePrompt(_tokens, call.Messages);
        call.CompletionTokens = call.ReportedCompletionTokens ?? _tokens.Count(call.Output);
        call.UsageEstimated = true;
    }
}
