using System.Net;

namespace MiniMe.Testing;

/// <summary>A tool call the scripted model makes.</summary>
public sealed record ScriptedToolCall(string Id, string Name, string ArgumentsJson);

/// <summary>
/// One scripted answer of <see cref="LoopbackOpenAiServer"/> (and <see cref="ScriptedChatClient"/>):
/// text, tool calls, an HTTP error status, a delay before answering, a hold until a task completes,
/// or a stall in the middle of a stream. Token counts are what the server reports as usage (estimated from the text when null).
/// </summary>
public sealed record ScriptedReply
{
    public string? Content { get; init; }
    public IReadOnlyList<ScriptedToolCall> ToolCalls { get; init; } = [];
    public HttpStatusCode Status { get; init; } = HttpStatusCode.OK;
    /// <summary>Sent with an error status, e.g. "0" or "1" seconds for 429.</summary>
    public string? RetryAfter { get; init; }
    public TimeSpan Delay { get; init; }
    /// <summary><see cref="ScriptedChatClient"/> only: the stream breaks (HttpRequestException) after this many content chunks.</summary>
    public int? FailAfterChunks { get; init; }
    /// <summary>Holds the answer until this task completes (or the client disconnects): a model call that stalls for as long as a test needs.</summary>
    public Task? Until { get; init; }
    /// <summary>Streaming only: after the first content chunk, wait this long before the rest.</summary>
    public TimeSpan StallAfterFirstChunk { get; init; }
    public int? PromptTokens { get; init; }
    public int? CompletionTokens { get; init; }
    /// <summary>Report no usage at all (as some local servers do).</summary>
    public bool OmitUsage { get; init; }
    /// <summary>Characters per streamed chunk.</summary>
    public int ChunkSize { get; init; } = 7;
    public string FinishReason { get; init; } = "stop";

    public static ScriptedReply Text(string content, int? promptTokens = null, int? completionTokens = null) =>
        new() { Content = content, PromptTokens = promptTokens, CompletionTokens = completionTokens };

    public static ScriptedReply ToolCall(string name, string argumentsJson, string id = "call_1") =>
        new() { ToolCalls = [new ScriptedToolCall(id, name, argumentsJson)], FinishReason = "tool_calls" };

    public static ScriptedReply Error(HttpStatusCode status, string? retryAfter = null) =>
        new() { Status = status, RetryAfter = retryAfter };

    public ScriptedReply After(TimeSpan delay) => this with { Delay = delay };

    /// <summary>This reply, sent only once <paramref name="release"/> completes; until then the request hangs.</summary>
    public ScriptedReply HeldUntil(Task release) => this with { Until = release };

    /// <summary>A reply that is never sent: the request hangs until the client gives up.</summary>
    public static ScriptedReply Hang() => new ScriptedReply { Content = "" }.HeldUntil(new TaskCompletionSource().Task);
}
