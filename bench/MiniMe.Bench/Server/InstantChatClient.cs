using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace MiniMe.Bench.Server;

/// <summary>A model that answers at once (a short fixed reply with usage), so the benchmark measures the server alone.</summary>
internal sealed class InstantChatClient : IChatClient
{
    private static readonly string[] Tokens = ["Use ", "small ", "reversible ", "steps."];

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, string.Concat(Tokens)))
        {
            ModelId = "instant",
            Usage = new UsageDetails { InputTokenCount = 100, OutputTokenCount = Tokens.Length },
        });

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var token in Tokens)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return new ChatResponseUpdate(ChatRole.Assistant, token) { ModelId = "instant" };
        }
        await Task.CompletedTask;
        yield return new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(new UsageDetails { InputTokenCount = 100, OutputTokenCount = Tokens.Length })]) { ModelId = "instant" };
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose() { }
}
