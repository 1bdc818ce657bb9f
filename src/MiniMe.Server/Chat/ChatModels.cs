using MiniMe.Server.Conversations;

namespace MiniMe.Server.Chat;

/// <summary>POST /v1/chat and /v1/chat/stream. Without a conversation id a new conversation starts.</summary>
public sealed record ChatRequest(string? Message, string? ConversationId = null);

/// <summary>Tokens and cost of one chat turn. Estimated: the model reported no usage, so the tokenizer counted.</summary>
public sealed record ChatUsage(long PromptTokens, long CompletionTokens, long TotalTokens, decimal Cost, bool Priced, bool Estimated);

/// <summary>
/// What the turn's context was built from: a memory chunk (kind memory: its file and heading) or a
/// fact about the user (kind fact: its category, and its text as the heading).
/// </summary>
public sealed record ChatSource(long Id, string Source, string? Heading, double Score, string Kind = ChatSource.MemoryKind)
{
    public const string MemoryKind = "memory";
    public const string FactKind = "fact";
}

public sealed record ChatReply(
    string ConversationId,
    string RunId,
    string Model,
    ConversationMessage Message,
    ChatUsage Usage,
    IReadOnlyList<ChatSource> Sources);

/// <summary>
/// One server-sent event of /v1/chat/stream, sent as "data: {json}". Types: start (ids), delta (text),
/// done (usage, message id), error (title, detail).
/// </summary>
public sealed record ChatStreamEvent(string Type)
{
    public const string Start = "start";
    public const string Delta = "delta";
    public const string Done = "done";
    public const string Error = "error";

    public string? Text { get; init; }
    public string? ConversationId { get; init; }
    public string? RunId { get; init; }
    public string? Model { get; init; }
    public long? MessageId { get; init; }
    public ChatUsage? Usage { get; init; }
    public IReadOnlyList<ChatSource>? Sources { get; init; }
    public string? Title { get; init; }
    public string? Detail { get; init; }
}
