using System.Net;

namespace MiniMe.Testing;

/// <summary>A tool call the scripted model makes.</summary>
public sealed record ScriptedToolCall(string Id, string Name, string ArgumentsJson);

/// <summary>
/// One scripted answer of <see cref="LoopbackOpenAiServer"/> (and <see cref="ScriptedChatClient"/>):
/// text, tool calls, an HTTP error status, a delay before answering, or a stall in the middle of a
/// stream. Token counts are what the server reports as usage (estimated from the text when null).
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
}
