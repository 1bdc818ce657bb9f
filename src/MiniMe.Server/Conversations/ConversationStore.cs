using System.Data.Common;
using System.Security.Cryptography;
using MiniMe.Server.Storage;

namespace MiniMe.Server.Conversations;

/// <summary>
/// Conversations and their messages in the server database (<see cref="ServerDatabase"/>). Every
/// query is scoped by the user: another user's conversation is indistinguishable from one that does
/// not exist. Several servers may append to one conversation at once: an append locks the
/// conversation's row before it takes a message id, so ids grow in commit order within a conversation
/// (a reader never sees a later id before an earlier one), and a summary only ever moves forward.
/// </summary>
public sealed class ConversationStore(ServerDatabase database, TimeProvider? time = null)
{
    private const int MaxTitleChars = 80;

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public Conversation Create(string userId, string firstMessage)
    {
        var now = ServerDatabase.Now(_time);
        var conversation = new Conversation("c_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)), TitleFrom(firstMessage), now, now, 0);
        using var connection = database.OpenForWrite();
        using var command = connection.Command("INSERT INTO conversations (id, user_id, title, created_at, updated_at) VALUES (@id, @user, @title, @at, @at)")
            .With("@id", conversation.Id)
            .With("@user", userId)
            .With("@title", conversation.Title)
            .With("@at", database.Timestamp(now));
        command.ExecuteNonQuery();
        return conversation;
    }

    public Conversation? Get(string userId, string id)
    {
        using var connection = database.Open();
        using var command = connection.Command(ListSql + " WHERE c.user_id = @user AND c.id = @id")
            .With("@user", userId)
            .With("@id", id);
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadConversation(reader) : null;
    }

    public Conversation Require(string userId, string id) =>
        Get(userId, id) ?? throw new NotFoundException($"No conversation '{id}'; GET /v1/conversations lists yours.");

    /// <summary>The user's conversations, most recently active first.</summary>
    public IReadOnlyList<Conversation> List(string userId, int limit)
    {
        using var connection = database.Open();
        using var command = connection.Command(ListSql + " WHERE c.user_id = @user ORDER BY c.updated_at DESC, c.id LIMIT @limit")
            .With("@user", userId)
            .With("@limit", limit);
        using var reader = command.ExecuteReader();
        var list = new List<Conversation>();
        while (reader.Read()) list.Add(ReadConversation(reader));
        return list;
    }

    /// <summary>Messages oldest first; with <paramref name="last"/>, only the most recent ones.</summary>
    public IReadOnlyList<ConversationMessage> Messages(string userId, string id, int? last = null)
    {
        using var connection = database.Open();
        using var command = connection.Command("""
            SELECT m.id, m.role, m.content, m.created_at, m.run_id, m.prompt_tokens, m.completion_tokens
            FROM messages m JOIN conversations c ON c.id = m.conversation_id
            WHERE c.user_id = @user AND c.id = @id
            ORDER BY m.id DESC
            """ + (last is null ? "" : " LIMIT @limit"))
            .With("@user", userId)
            .With("@id", id);
        if (last is { } count) command.With("@limit", count);
        using var reader = command.ExecuteReader();
        var list = new List<ConversationMessage>();
        while (reader.Read())
            list.Add(new ConversationMessage(
                reader.GetInt64(0), reader.GetString(1), reader.GetString(2), database.ReadTimestamp(reader, 3),
                reader.GetStringOrNull(4), reader.GetInt64OrNull(5), reader.GetInt64OrNull(6)));
        list.Reverse();
        return list;
    }

    public ConversationMessage Append(string userId, string conversationId, ConversationMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var now = ServerDatabase.Now(_time);
        using var connection = database.OpenForWrite();
        using var transaction = connection.BeginTransaction();
        // First, so the row lock is held (to commit) before the message takes its id.
        using (var touch = connection.Command("UPDATE conversations SET updated_at = @at WHERE id = @id AND user_id = @user", transaction)
                   .With("@at", database.Timestamp(now))
                   .With("@id", conversationId)
                   .With("@user", userId))
        {
            if (touch.ExecuteNonQuery() == 0)
                throw new NotFoundException($"No conversation '{conversationId}'; it may have been deleted.");
        }
        using var insert = connection.Command("""
            INSERT INTO messages (conversation_id, role, content, created_at, run_id, prompt_tokens, completion_tokens)
            VALUES (@conversation, @role, @content, @at, @run, @prompt, @completion)
            RETURNING id
            """, transaction)
            .With("@conversation", conversationId)
            .With("@role", message.Role)
            .With("@content", message.Content)
            .With("@at", database.Timestamp(now))
            .With("@run", message.RunId)
            .With("@prompt", message.PromptTokens)
            .With("@completion", message.CompletionTokens);
        var id = Convert.ToInt64(insert.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        transaction.Commit();
        return message with { Id = id, CreatedAt = now };
    }

    /// <summary>The rolling summary of the turns before the history window, and the last message id it covers.</summary>
    public (string? Summary, long Through) Summary(string userId, string id)
    {
        using var connection = database.Open();
        using var command = connection.Command("SELECT summary, summarized_through FROM conversations WHERE id = @id AND user_id = @user")
            .With("@id", id)
            .With("@user", userId);
        using var reader = command.ExecuteReader();
        return reader.Read() ? (reader.GetStringOrNull(0), reader.GetInt64(1)) : (null, 0);
    }

    /// <summary>
    /// Keeps a summary covering every message up to <paramref name="through"/>, unless one reaching
    /// further is stored already (another server summarized the same conversation meanwhile): each
    /// summary folds all turns before its mark, so the one reaching furthest loses nothing.
    /// </summary>
    /// <returns>False when the stored summary already reached as far.</returns>
    public bool SetSummary(string userId, string id, string summary, long through)
    {
        using var connection = database.OpenForWrite();
        using var command = connection.Command(
                "UPDATE conversations SET summary = @summary, summarized_through = @through WHERE id = @id AND user_id = @user AND summarized_through < @through")
            .With("@summary", summary)
            .With("@through", through)
            .With("@id", id)
            .With("@user", userId);
        return command.ExecuteNonQuery() > 0;
    }

    /// <summary>Messages with an id above <paramref name="after"/> (those a summary through it does not cover), oldest first.</summary>
    public IReadOnlyList<ConversationMessage> After(string userId, string id, long after)
    {
        using var connection = database.Open();
        using var command = connection.Command("""
            SELECT m.id, m.role, m.content, m.created_at, m.run_id, m.prompt_tokens, m.completion_tokens
            FROM messages m JOIN conversations c ON c.id = m.conversation_id
            WHERE c.user_id = @user AND c.id = @id AND m.id > @after
            ORDER BY m.id
            """)
            .With("@user", userId)
            .With("@id", id)
            .With("@after", after);
        using var reader = command.ExecuteReader();
        var list = new List<ConversationMessage>();
        while (reader.Read())
            list.Add(new ConversationMessage(
                reader.GetInt64(0), reader.GetString(1), reader.GetString(2), database.ReadTimestamp(reader, 3),
                reader.GetStringOrNull(4), reader.GetInt64OrNull(5), reader.GetInt64OrNull(6)));
        return list;
    }

    /// <summary>Messages with after &lt; id &lt; before, oldest first.</summary>
    public IReadOnlyList<ConversationMessage> Between(string userId, string id, long after, long before) =>
        [.. After(userId, id, after).Where(m => m.Id < before)];

    /// <summary>Renames a conversation: the title is trimmed, non-empty and at most 80 characters.</summary>
    /// <exception cref="InvalidInputException">The title is empty or too long.</exception>
    /// <exception cref="NotFoundException">The user has no such conversation.</exception>
    public Conversation Rename(string userId, string id, string? title)
    {
        var trimmed = title?.Trim() ?? "";
        if (trimmed.Length == 0) throw new InvalidInputException("The title is empty; send {\"title\": \"...\"}.");
        if (trimmed.Length > MaxTitleChars) throw new InvalidInputException($"The title has {trimmed.Length} characters; the limit is {MaxTitleChars}.");
        if (trimmed.Any(char.IsControl)) throw new InvalidInputException("The title must be one line without control characters.");
        using (var connection = database.OpenForWrite())
        using (var command = connection.Command("UPDATE conversations SET title = @title WHERE id = @id AND user_id = @user")
                   .With("@title", trimmed)
                   .With("@id", id)
                   .With("@user", userId))
        {
            if (command.ExecuteNonQuery() == 0) throw new NotFoundException($"No conversation '{id}'; GET /v1/conversations lists yours.");
        }
        return Require(userId, id);
    }

    /// <summary>Deletes a conversation and its messages; false when the user has no such conversation.</summary>
    public bool Delete(string userId, string id)
    {
        using var connection = database.OpenForWrite();
        using var command = connection.Command("DELETE FROM conversations WHERE id = @id AND user_id = @user")
            .With("@id", id)
            .With("@user", userId);
        return command.ExecuteNonQuery() > 0;
    }

    private const string ListSql =
        "SELECT c.id, c.title, c.created_at, c.updated_at, (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id) FROM conversations c";

    private Conversation ReadConversation(DbDataReader reader) => new(
        reader.GetString(0), reader.GetString(1),
        database.ReadTimestamp(reader, 2), database.ReadTimestamp(reader, 3),
        checked((int)reader.GetInt64(4)));

    private static string TitleFrom(string message)
    {
        var line = string.Join(' ', message.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return line.Length <= MaxTitleChars ? line : line[..(MaxTitleChars - 1)] + "…";
    }
}
