using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace MiniMe.Server.Tests.Support;

/// <summary>
/// One scripted model answer: the tokens it streams, the usage it reports (null: none), and an
/// optional gate the stream waits on after the first token (so a test can look mid-stream).
/// </summary>
public sealed record ScriptedAnswer(IReadOnlyList<string> Tokens, long? InputTokens = 40, long? OutputTokens = 7)
{
    public TaskCompletionSource? GateAfterFirstToken { get; init; }
    public Exception? Failure { get; init; }
}

/// <summary>The test double for the LLM: answers from a script and records what it was asked.</summary>
public sealed class ScriptedChatClient : IChatClient
{
    public const string Model = "scripted-model";

    private readonly ConcurrentQueue<ScriptedAnswer> _answers = new();

    public ConcurrentQueue<IReadOnlyList<ChatMessage>> Requests { get; } = new();

    /// <summary>Completed when a streaming call observes its cancellation.</summary>
    public TaskCompletionSource StreamCancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ScriptedChatClient Enqueue(ScriptedAnswer answer)
    {
        _answers.Enqueue(answer);
        return this;
    }

    public ScriptedChatClient Enqueue(params string[] tokens) => Enqueue(new ScriptedAnswer(tokens));

    private ScriptedAnswer Next(IEnumerable<ChatMessage> messages)
    {
        Requests.Enqueue([.. messages]);
        if (!_answers.TryDequeue(out var answer)) throw new InvalidOperationException("the scripted model has no answer left");
        if (answer.Failure is not null) throw answer.Failure;
        return answer;
    }

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var answer = Next(messages);
        var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, string.Concat(answer.Tokens))) { ModelId = Model };
        if (answer.InputTokens is not null) response.Usage = new UsageDetails { InputTokenCount = answer.InputTokens, OutputTokenCount = answer.OutputTokens, TotalTokenCount = answer.InputTokens + answer.OutputTokens };
        return Task.FromResult(response);
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var answer = Next(messages);
        for (var i = 0; i < answer.Tokens.Count; i++)
        {
            yield return new ChatResponseUpdate(ChatRole.Assistant, answer.Tokens[i]) { ModelId = Model };
            if (i == 0 && answer.GateAfterFirstToken is { } gate)
            {
                try
                {
                    await gate.Task.WaitAsync(cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    StreamCancelled.TrySetResult();
                    throw;
                }
            }
        }
        if (answer.InputTokens is not null)
            yield return new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(new UsageDetails { InputTokenCount = answer.InputTokens, OutputTokenCount = answer.OutputTokens })]) { ModelId = Model };
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("scripted", null, Model) : null;

    public void Dispose() { }
}
