using System.Text;
using Microsoft.Data.Sqlite;
using MiniMe.Server.Storage;
using MiniMe.Server.Users;

namespace MiniMe.Server.Facts;

/// <summary>
/// Facts in server.db, per user. A statement equal to a known one after normalization (case, spacing,
/// final punctuation) reinforces it (seen_count + 1, confidence and importance raised to the higher
/// value) instead of adding a duplicate.
/// </summary>
public sealed class SqliteUserFacts(ServerDatabase database, TimeProvider? time = null) : IUserFacts
{
    public const int MaxTextChars = 1000;
    public static readonly IReadOnlyList<string> Sources = ["explicit", "conversation", "inferred"];

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public Task<IReadOnlyList<FactView>> ListAsync(UserSpace user, string? category, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = Select + " WHERE user_id = $user" + (category is null ? "" : " AND category = $category") + " ORDER BY updated_at DESC, id DESC LIMIT $limit";
        command.Parameters.AddWithValue("$user", user.UserId);
        if (category is not null) command.Parameters.AddWithValue("$category", NormalizeCategory(category));
        command.Parameters.AddWithValue("$limit", limit);
        return Task.FromResult<IReadOnlyList<FactView>>(ReadAll(command));
    }

    public Task<FactView?> GetAsync(UserSpace user, long id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        using var connection = database.Open();
        return Task.FromResult(Get(connection, null, user.UserId, id));
    }

    public Task<FactWriteResult> AddAsync(UserSpace user, FactInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(input);
        var text = ValidText(input.Text);
        var category = NormalizeCategory(input.Category ?? "general");
        var source = ValidSource(input.Source ?? "explicit");
        var confidence = Unit(input.Confidence ?? 1.0, "confidence");
        var importance = Unit(input.Importance ?? 0.5, "importance");
        var now = ServerDatabase.Timestamp(_time.GetUtcNow());
        using var connection = database.Open();
        using var transaction = connection.BeginTransaction();
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            INSERT INTO facts (user_id, text, key, category, source, confidence, importance, seen_count, created_at, updated_at)
            VALUES ($user, $text, $key, $category, $source, $confidence, $importance, 1, $now, $now)
            ON CONFLICT (user_id, key) DO UPDATE SET
                seen_count = seen_count + 1,
                confidence = max(confidence, excluded.confidence),
                importance = max(importance, excluded.importance),
                updated_at = excluded.updated_at
            RETURNING id, seen_count
            """;
        command.Parameters.AddWithValue("$user", user.UserId);
        command.Parameters.AddWithValue("$text", text);
        command.Parameters.AddWithValue("$key", Key(text));
        command.Parameters.AddWithValue("$category", category);
        command.Parameters.AddWithValue("$source", source);
        command.Parameters.AddWithValue("$confidence", confidence);
        command.Parameters.AddWithValue("$importance", importance);
        command.Parameters.AddWithValue("$now", now);
        long id;
        int seen;
        using (var reader = command.ExecuteReader())
        {
            reader.Read();
            id = reader.GetInt64(0);
            seen = reader.GetInt32(1);
        }
        var fact = Get(connection, transaction, user.UserId, id)!;
        transaction.Commit();
        return Task.FromResult(new FactWriteResult(seen > 1 ? "reinforced" : "added", fact));
    }

    public Task<FactView> UpdateAsync(UserSpace user, long id, FactInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(input);
        using var connection = database.Open();
        using var transaction = connection.BeginTransaction();
        var current = Get(connection, transaction, user.UserId, id) ?? throw NotFound(id);
        var text = input.Text is null ? current.Text : ValidText(input.Text);
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            UPDATE facts SET text = $text, key = $key, category = $category, source = $source, confidence = $confidence,
                importance = $importance, updated_at = $now
            WHERE id = $id AND user_id = $user
            """;
        command.Parameters.AddWithValue("$text", text);
        command.Parameters.AddWithValue("$key", Key(text));
        command.Parameters.AddWithValue("$category", input.Category is null ? current.Category : NormalizeCategory(input.Category));
        command.Parameters.AddWithValue("$source", input.Source is null ? current.Source : ValidSource(input.Source));
        command.Parameters.AddWithValue("$confidence", input.Confidence is { } c ? Unit(c, "confidence") : current.Confidence);
        command.Parameters.AddWithValue("$importance", input.Importance is { } i ? Unit(i, "importance") : current.Importance);
        command.Parameters.AddWithValue("$now", ServerDatabase.Timestamp(_time.GetUtcNow()));
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$user", user.UserId);
        try
        {
            command.ExecuteNonQuery();
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19)
        {
            throw new InvalidInputException($"Another of your facts already says '{text}'; delete one of them instead.");
        }
        var updated = Get(connection, transaction, user.UserId, id)!;
        transaction.Commit();
        return Task.FromResult(updated);
    }

    public Task<bool> DeleteAsync(UserSpace user, long id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM facts WHERE id = $id AND user_id = $user";
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$user", user.UserId);
        return Task.FromResult(command.ExecuteNonQuery() > 0);
    }

    /// <summary>The duplicate key: lower case, single spaces, no final punctuation.</summary>
    internal static string Key(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var word in text.ToLowerInvariant().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            if (builder.Length > 0) builder.Append(' ');
            builder.Append(word);
        }
        return builder.ToString().TrimEnd('.', '!', '?', ';', ',');
    }

    private static NotFoundException NotFound(long id) => new($"No fact {id}; GET /v1/memory/facts lists yours.");

    private static string ValidText(string? text)
    {
        var trimmed = text?.Trim();
        if (string.IsNullOrEmpty(trimmed)) throw new InvalidInputException("The fact's text is empty; send {\"text\": \"...\"}.");
        if (trimmed.Length > MaxTextChars) throw new InvalidInputException($"A fact is a short statement: at most {MaxTextChars} characters (got {trimmed.Length}).");
        return trimmed;
    }

    private static string NormalizeCategory(string category)
    {
        var normalized = category.Trim().ToLowerInvariant();
        if (normalized.Length is 0 or > 40) throw new InvalidInputException("A category is 1-40 characters, e.g. preference, project, skill.");
        return normalized;
    }

    private static string ValidSource(string source)
    {
        var normalized = source.Trim().ToLowerInvariant();
        if (!Sources.Contains(normalized)) throw new InvalidInputException($"Source '{source}' is unknown; use {string.Join(", ", Sources)}.");
        return normalized;
    }

    private static double Unit(double value, string name)
    {
        if (double.IsNaN(value) || value is < 0 or > 1) throw new InvalidInputException($"{name} must be between 0 and 1 (got {value}).");
        return value;
    }

    private const string Select =
        "SELECT id, text, category, source, confidence, importance, seen_count, created_at, updated_at FROM facts";

    private static FactView? Get(SqliteConnection connection, SqliteTransaction? transaction, string userId, long id)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = Select + " WHERE id = $id AND user_id = $user";
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$user", userId);
        return ReadAll(command).FirstOrDefault();
    }

    private static List<FactView> ReadAll(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        var list = new List<FactView>();
        while (reader.Read())
            list.Add(new FactView(
                reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.GetDouble(4), reader.GetDouble(5), reader.GetInt32(6),
                ServerDatabase.ParseTimestamp(reader.GetString(7)), ServerDatabase.ParseTimestamp(reader.GetString(8))));
        return list;
    }
}
