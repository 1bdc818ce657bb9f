using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace MiniMe.Testing;

/// <summary>A call the scripted client received.</summary>
public sealed record ScriptedCall(IReadOnlyList<ChatMessage> Messages, ChatOptions? Options)
{
    public string SystemText => string.Join("\n", Messages.Where(m => m.Role == ChatRole.System).Select(m => m.Text));
    public string UserText => string.Join("\n", Messages.Where(m => m.Role == ChatRole.User).Select(m => m.Text));
}

/// <summary>
/// An in-process <see cref="IChatClient"/> for orchestration tests: answers from a queue of
/// <see cref="ScriptedReply"/> (then <see cref="Responder"/>), streams the text in chunks, then its
/// tool calls as <see cref="FunctionCallContent"/>, with usage at the end, honours delays and cancellation, and records every call. Error statuses throw
/// <see cref="HttpRequestException"/>.
/// </summary>
public sealed class ScriptedChatClient : IChatClient
{
    private readonly Queue<ScriptedReply> _replies = new();
    private readonly List<ScriptedCall> _calls = [];
    private readonly Lock _gate = new();

    public ScriptedChatClient(params ScriptedReply[] replies) => Enqueue(replies);

    public string ModelId { get; init; } = "scripted-model";

    public Func<ScriptedCall, ScriptedReply>? Responder { get; set; }

    public IReadOnlyList<ScriptedCall> Calls
    {
        get
        {
            lock (_gate) return [.. _calls];
        }
    }

    public ScriptedChatClient Enqueue(params ScriptedReply[] replies)
    {
        lock (_gate)
            foreach (var reply in replies) _replies.Enqueue(reply);
        return this;
    }

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false)) updates.Add(update);
        return updates.ToChatResponse();
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var call = new ScriptedCall([.. messages], options);
        ScriptedReply? reply;
        lock (_gate)
        {
            _calls.Add(call);
            reply = _replies.TryDequeue(out var next) ? next : null;
        }
        reply ??= Responder?.Invoke(call) ?? throw new InvalidOperationException("ScriptedChatClient has no reply left.");
        if (reply.Delay > TimeSpan.Zero) await Task.Delay(reply.Delay, cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        if (reply.Status != System.Net.HttpStatusCode.OK)
            throw new HttpRequestException($"scripted HTTP {(int)reply.Status}", null, reply.Status);

        var model = options?.ModelId ?? ModelId;
        var content = reply.Content ?? "";
        for (var i = 0; i < content.Length; i += reply.ChunkSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (reply.FailAfterChunks is { } chunks && i >= chunks * reply.ChunkSize)
                throw new HttpRequestException("scripted stream cut after " + chunks + " chunk(s)");
            yield return new ChatResponseUpdate(ChatRole.Assistant, content.Substring(i, Math.Min(reply.ChunkSize, content.Length - i))) { ModelId = model };
            if (i == 0 && reply.StallAfterFirstChunk > TimeSpan.Zero) await Task.Delay(reply.StallAfterFirstChunk, cancellationToken).ConfigureAwait(false);
        }
        if (reply.ToolCalls.Count > 0)
        {
            // Function calls as a provider's client reports them: FunctionCallContent with parsed arguments.
            var calls = new ChatResponseUpdate { Role = ChatRole.Assistant, ModelId = model };
            foreach (var tool in reply.ToolCalls)
                calls.Contents.Add(new FunctionCallContent(tool.Id, tool.Name,
                    System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, object?>>(tool.ArgumentsJson.Length == 0 ? "{}" : tool.ArgumentsJson)));
            yield return calls;
        }
        var final = new ChatResponseUpdate { Role = ChatRole.Assistant, ModelId = model, FinishReason = reply.ToolCalls.Count > 0 ? ChatFinishReason.ToolCalls : ChatFinishReason.Stop };
        if (!reply.OmitUsage)
        {
            var prompt = reply.PromptTokens ?? (call.Messages.Sum(m => m.Text.Length) / 4) + 1;
            var completion = reply.CompletionTokens ?? (content.Length / 4) + 1;
            final.Contents.Add(new UsageContent(new UsageDetails { InputTokenCount = prompt, OutputTokenCount = completion, TotalTokenCount = prompt + completion }));
        }
        yield return final;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }
}
