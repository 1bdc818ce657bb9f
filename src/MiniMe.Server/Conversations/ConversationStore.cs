using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using MiniMe.Server.Storage;

namespace MiniMe.Server.Conversations;

/// <summary>
/// Conversations and their messages in server.db. Every query is scoped by the user: another user's
/// conversation is indistinguishable from one that does not exist.
/// </summary>
public sealed class ConversationStore(ServerDatabase database, TimeProvider? time = null)
{
    private const int MaxTitleChars = 80;

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public Conversation Create(string userId, string firstMessage)
    {
        var now = _time.GetUtcNow();
        var conversation = new Conversation("c_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)), TitleFrom(firstMessage), now, now, 0);
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO conversations (id, user_id, title, created_at, updated_at) VALUES ($id, $user, $title, $at, $at)";
        command.Parameters.AddWithValue("$id", conversation.Id);
        command.Parameters.AddWithValue("$user", userId);
        command.Parameters.AddWithValue("$title", conversation.Title);
        command.Parameters.AddWithValue("$at", ServerDatabase.Timestamp(now));
        command.ExecuteNonQuery();
        return conversation;
    }

    public Conversation? Get(string userId, string id)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = ListSql + " WHERE c.user_id = $user AND c.id = $id";
        command.Parameters.AddWithValue("$user", userId);
        command.Parameters.AddWithValue("$id", id);
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadConversation(reader) : null;
    }

    public Conversation Require(string userId, string id) =>
        Get(userId, id) ?? throw new NotFoundException($"No conversation '{id}'; GET /v1/conversations lists yours.");

    /// <summary>The user's conversations, most recently active first.</summary>
    public IReadOnlyList<Conversation> List(string userId, int limit)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = ListSql + " WHERE c.user_id = $user ORDER BY c.updated_at DESC, c.id LIMIT $limit";
        command.Parameters.AddWithValue("$user", userId);
        command.Parameters.AddWithValue("$limit", limit);
        using var reader = command.ExecuteReader();
        var list = new List<Conversation>();
        while (reader.Read()) list.Add(ReadConversation(reader));
        return list;
    }

    /// <summary>Messages oldest first; with <paramref name="last"/>, only the most recent ones.</summary>
    public IReadOnlyList<ConversationMessage> Messages(string userId, string id, int? last = null)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT m.id, m.role, m.content, m.created_at, m.run_id, m.prompt_tokens, m.completion_tokens
            FROM messages m JOIN conversations c ON c.id = m.conversation_id
            WHERE c.user_id = $user AND c.id = $id
            ORDER BY m.id DESC LIMIT $limit
            """;
        command.Parameters.AddWithValue("$user", userId);
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$limit", last ?? -1);
        using var reader = command.ExecuteReader();
        var list = new List<ConversationMessage>();
        while (reader.Read())
            list.Add(new ConversationMessage(
                reader.GetInt64(0), reader.GetString(1), reader.GetString(2), ServerDatabase.ParseTimestamp(reader.GetString(3)),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetInt64(5),
                reader.IsDBNull(6) ? null : reader.GetInt64(6)));
        list.Reverse();
        return list;
    }

    public ConversationMessage Append(string userId, string conversationId, ConversationMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var now = _time.GetUtcNow();
        using var connection = database.Open();
        using var transaction = connection.BeginTransaction();
        using (var touch = connection.CreateCommand())
        {
            touch.Transaction = transaction;
            touch.CommandText = "UPDATE conversations SET updated_at = $at WHERE id = $id AND user_id = $user";
            touch.Parameters.AddWithValue("$at", ServerDatabase.Timestamp(now));
            touch.Parameters.AddWithValue("$id", conversationId);
            touch.Parameters.AddWithValue("$user", userId);
            if (touch.ExecuteNonQuery() == 0)
                throw new NotFoundException($"No conversation '{conversationId}'; it may have been deleted.");
        }
        using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = """
            INSERT INTO messages (conversation_id, role, content, created_at, run_id, prompt_tokens, completion_tokens)
            VALUES ($conversation, $role, $content, $at, $run, $prompt, $completion)
            RETURNING id
            """;
        insert.Parameters.AddWithValue("$conversation", conversationId);
        insert.Parameters.AddWithValue("$role", message.Role);
        insert.Parameters.AddWithValue("$content", message.Content);
        insert.Parameters.AddWithValue("$at", ServerDatabase.Timestamp(now));
        insert.Parameters.AddWithValue("$run", (object?)message.RunId ?? DBNull.Value);
        insert.Parameters.AddWithValue("$prompt", (object?)message.PromptTokens ?? DBNull.Value);
        insert.Parameters.AddWithValue("$completion", (object?)message.CompletionTokens ?? DBNull.Value);
        var id = (long)insert.ExecuteScalar()!;
        transaction.Commit();
        return message with { Id = id, CreatedAt = now };
    }

    /// <summary>The rolling summary of the turns before the history window, and the last message id it covers.</summary>
    public (string? Summary, long Through) Summary(string userId, string id)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT summary, summarized_through FROM conversations WHERE id = $id AND user_id = $user";
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$user", userId);
        using var reader = command.ExecuteReader();
        return reader.Read() ? (reader.IsDBNull(0) ? null : reader.GetString(0), reader.GetInt64(1)) : (null, 0);
    }

    public void SetSummary(string userId, string id, string summary, long through)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE conversations SET summary = $summary, summarized_through = $through WHERE id = $id AND user_id = $user";
        command.Parameters.AddWithValue("$summary", summary);
        command.Parameters.AddWithValue("$through", through);
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$user", userId);
        command.ExecuteNonQuery();
    }

    /// <summary>Messages with after &lt; id &lt; before, oldest first.</summary>
    public IReadOnlyList<ConversationMessage> Between(string userId, string id, long after, long before) =>
        [.. Messages(userId, id).Where(m => m.Id > after && m.Id < before)];

    /// <summary>Deletes a conversation and its messages; false when the user has no such conversation.</summary>
    public bool Delete(string userId, string id)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM conversations WHERE id = $id AND user_id = $user";
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$user", userId);
        return command.ExecuteNonQuery() > 0;
    }

    private const string ListSql =
        "SELECT c.id, c.title, c.created_at, c.updated_at, (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id) FROM conversations c";

    private static Conversation ReadConversation(SqliteDataReader reader) => new(
        reader.GetString(0), reader.GetString(1),
        ServerDatabase.ParseTimestamp(reader.GetString(2)), ServerDatabase.ParseTimestamp(reader.GetString(3)),
        reader.GetInt32(4));

    private static string TitleFrom(string message)
    {
        var line = string.Join(' ', message.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return line.Length <= MaxTitleChars ? line : line[..(MaxTitleChars - 1)] + "…";
    }
}
