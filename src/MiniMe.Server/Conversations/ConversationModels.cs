namespace MiniMe.Server.Conversations;

public static class ChatRoles
{
    public const string User = "user";
    public const string Assistant = "assistant";
}

/// <summary>A conversation as listed.</summary>
public sealed record Conversation(string Id, string Title, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, int MessageCount);

/// <summary>One turn of a conversation. Assistant turns carry the run (trace) that produced them and its token counts.</summary>
public sealed record ConversationMessage(
    long Id,
    string Role,
    string Content,
    DateTimeOffset CreatedAt,
    string? RunId = null,
    long? PromptTokens = null,
    long? CompletionTokens = null);

/// <summary>A conversation with its messages and its rolling summary (null until the first fold), which covers every message up to <paramref name="SummarizedThrough"/> (0: none).</summary>
public sealed record ConversationDetail(Conversation Conversation, IReadOnlyList<ConversationMessage> Messages, string? Summary = null, long SummarizedThrough = 0);

/// <summary>PATCH /v1/conversations/{id}: the new title.</summary>
public sealed record ConversationUpdate(string? Title);
