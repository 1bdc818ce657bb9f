using System.Globalization;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Data.Sqlite;
using MiniMe.Configuration;
using MiniMe.Memory.Facts;

namespace MiniMe.Storage.Sqlite;

/// <summary>
/// Facts in the memory database (schema v2): the facts table with status and supersession links,
/// fact_history for every change, fact_reviews for the queue, and facts_fts (BM25, porter stemming)
/// kept in step by triggers. Each state change is one BEGIN IMMEDIATE transaction, which also makes the
/// check that no other active or pending fact holds a new key race-free across processes.
/// </summary>
public sealed partial class SqliteFactStore : IFactStore, IAsyncDisposable
{
    private const string Columns = FactRows.FactColumns;
    private const int ColumnCount = FactRows.FactColumnCount;
    private const string HistoryColumns = FactRows.HistoryColumns;
    private const string ReviewColumns = FactRows.ReviewColumns;

    private static readonly string Active = FactCodes.Code(FactStatus.Active);
    private static readonly string Pending = FactCodes.Code(FactStatus.Pending);

    private readonly SqliteDatabase _database;

    /// <param name="allowEmptyFile">Start an empty memory in a 0-byte memory.db (--force) instead of refusing it.</param>
    public SqliteFactStore(string databasePath, bool allowEmptyFile = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        _database = new SqliteDatabase(databasePath, allowEmptyFile);
    }

    public string DatabasePath => _database.Path;

    public Task InitializeAsync(CancellationToken cancellationToken)
    {
        _database.Initialize(cancellationToken);
        return Task.CompletedTask;
    }

    public Task<Fact?> GetAsync(long id, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var connection = Open();
        return Task.FromResult(Get(connection, null, id));
    }

    public Task<IReadOnlyList<Fact>> ListAsync(FactQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        using var connection = Open();
        using var command = connection.CreateCommand();
        var sql = new StringBuilder($"SELECT {Columns} FROM facts f WHERE 1 = 1");
        if (query.Category is { } category)
        {
            sql.Append(" AND f.category = $category");
            command.Parameters.AddWithValue("$category", category);
        }
        if (query.Key is { } key)
        {
            sql.Append(" AND f.normalized_key = $key");
            command.Parameters.AddWithValue("$key", key);
        }
        if (query.Statuses is { Count: > 0 } statuses)
        {
            sql.Append(" AND f.status IN (");
            for (var i = 0; i < statuses.Count; i++)
            {
                sql.Append(i == 0 ? "" : ", ").Append(CultureInfo.InvariantCulture, $"$s{i}");
                command.Parameters.AddWithValue($"$s{i}", FactCodes.Code(statuses[i]));
            }
            sql.Append(')');
        }
        sql.Append(" ORDER BY f.id DESC LIMIT $limit");
        command.Parameters.AddWithValue("$limit", Math.Max(0, query.Limit));
        command.CommandText = sql.ToString();
        return Task.FromResult<IReadOnlyList<Fact>>(ReadFacts(command, cancellationToken));
    }

    public Task<IReadOnlyList<FactMatch>> SearchLexicalAsync(string matchExpression, int limit, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(matchExpression);
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText =
            $"""
            SELECT {Columns}, bm25(facts_fts) AS rank
            FROM facts_fts JOIN facts f ON f.id = facts_fts.rowid
            WHERE facts_fts MATCH $match AND f.status = $active
            ORDER BY rank LIMIT $limit
            """;
        command.Parameters.AddWithValue("$match", matchExpression);
        command.Parameters.AddWithValue("$active", Active);
        command.Parameters.AddWithValue("$limit", limit);
        var result = new List<FactMatch>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            cancellationToken.ThrowIfCancellationRequested();
            // bm25() is negative, lower is better; flipped so higher is better everywhere.
            result.Add(new FactMatch(ReadFact(reader), -reader.GetDouble(ColumnCount)));
        }
        return Task.FromResult<IReadOnlyList<FactMatch>>(result);
    }

    public Task<IReadOnlyList<FactMatch>> SearchDenseAsync(string model, ReadOnlyMemory<float> query, int limit, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns}, f.embedding FROM facts f WHERE f.status = $active AND f.embedding_model = $model";
        command.Parameters.AddWithValue("$active", Active);
        command.Parameters.AddWithValue("$model", model);
        var scored = new List<FactMatch>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            cancellationToken.ThrowIfCancellationRequested();
            var vector = MemoryMarshal.Cast<byte, float>((byte[])reader.GetValue(ColumnCount));
            if (vector.Length != query.Length) continue;
            scored.Add(new FactMatch(ReadFact(reader), TensorPrimitives.CosineSimilarity(query.Span, vector)));
        }
        return Task.FromResult<IReadOnlyList<FactMatch>>([.. scored.OrderByDescending(m => m.Score).ThenBy(m => m.Fact.Id).Take(limit)]);
    }

    public Task<FactInsertResult> AddAsync(FactInsert insert, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(insert);
        if (insert.Review is not null && insert.Supersedes.Count > 0)
            throw new ArgumentException("A fact is either queued for review or supersedes others, not both.", nameof(insert));
        var now = Stamp(at);
        using var connection = OpenForWrite();
        using var transaction = connection.BeginTransaction();
        foreach (var id in insert.Supersedes) RequireStatus(connection, transaction, id, "supersede", Active);
        RequireFreeKey(connection, transaction, insert.Draft.Key, insert.Supersedes);
        if (insert.Review is { ExistingId: { } existingId } && Get(connection, transaction, existingId) is null)
            throw new FactStateException($"Fact #{existingId} no longer exists; remember the fact again.");

        var draft = insert.Draft;
        var status = insert.Review is null ? Active : Pending;
        var id0 = (long)Scalar(connection, transaction,
            """
            INSERT INTO facts (text, normalized_key, category, source, confidence, importance, status,
                created_at, updated_at, last_seen_at, seen_count, embedding_model, embedding,
                origin_kind, origin_id, origin_message_id, origin_run_id)
            VALUES ($text, $key, $category, $source, $confidence, $importance, $status, $now, $now, $now, 1, $model, $vector,
                $originKind, $originId, $originMessage, $originRun)
            RETURNING id
            """,
            ("$text", draft.Text), ("$key", draft.Key), ("$category", draft.Category), ("$source", FactCodes.Code(draft.Source)),
            ("$confidence", draft.Confidence), ("$importance", draft.Importance), ("$status", status), ("$now", now),
            ("$model", (object?)insert.Embedding?.Model), ("$vector", insert.Embedding is { } e ? MemoryMarshal.AsBytes(e.Vector.Span).ToArray() : null),
            ("$originKind", draft.Origin?.Kind), ("$originId", draft.Origin?.Id), ("$originMessage", draft.Origin?.MessageId), ("$originRun", draft.Origin?.RunId))!;

        FactReview? review = null;
        if (insert.Review is { } queued)
        {
            AppendHistory(connection, transaction, id0, FactChange.Queued, now, draft.Text, queued.ExistingId, queued.Reason);
            var reviewId = (long)Scalar(connection, transaction,
                """
                INSERT INTO fact_reviews (candidate_id, existing_id, kind, reason, confidence, status, created_at)
                VALUES ($candidate, $existing, $kind, $reason, $confidence, $status, $now) RETURNING id
                """,
                ("$candidate", id0), ("$existing", queued.ExistingId), ("$kind", FactCodes.Code(queued.Kind)), ("$reason", queued.Reason),
                ("$confidence", queued.Confidence), ("$status", FactCodes.Code(FactReviewStatus.Pending)), ("$now", now))!;
            review = GetReview(connection, transaction, reviewId);
        }
        else
        {
            AppendHistory(connection, transaction, id0, FactChange.Created, now, draft.Text, null, insert.Reason);
        }
        foreach (var old in insert.Supersedes)
            Supersede(connection, transaction, old, id0, now, insert.Reason);

        cancellationToken.ThrowIfCancellationRequested();
        var fact = Get(connection, transaction, id0)!;
        transaction.Commit();
        return Task.FromResult(new FactInsertResult(fact, review));
    }

    public Task<Fact> ReinforceAsync(long id, string observedText, double confidence, double importance, DateTimeOffset at, CancellationToken cancellationToken) =>
        ReinforceAsync(id, observedText, confidence, importance, null, at, cancellationToken);

    public Task<Fact> ReinforceAsync(long id, string observedText, double confidence, double importance, string? detail, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(observedText);
        var now = Stamp(at);
        using var connection = OpenForWrite();
        using var transaction = connection.BeginTransaction();
        RequireStatus(connection, transaction, id, "reinforce", Active, Pending);
        Execute(connection, transaction,
            "UPDATE facts SET seen_count = seen_count + 1, last_seen_at = $now, confidence = max(confidence, $confidence), importance = max(importance, $importance) WHERE id = $id",
            ("$now", now), ("$confidence", confidence), ("$importance", importance), ("$id", id));
        AppendHistory(connection, transaction, id, FactChange.Reinforced, now, observedText, null, detail);
        cancellationToken.ThrowIfCancellationRequested();
        var fact = Get(connection, transaction, id)!;
        transaction.Commit();
        return Task.FromResult(fact);
    }

    public Task<Fact> EditAsync(long id, string text, string key, FactEmbedding? embedding, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        ArgumentNullException.ThrowIfNull(key);
        var now = Stamp(at);
        using var connection = OpenForWrite();
        using var transaction = connection.BeginTransaction();
        var before = RequireStatus(connection, transaction, id, "edit", Active, Pending);
        RequireFreeKey(connection, transaction, key, [id]);
        // A vector of the old wording would be wrong for the new one: replace it, or drop it.
        Execute(connection, transaction,
            "UPDATE facts SET text = $text, normalized_key = $key, updated_at = $now, embedding_model = $model, embedding = $vector WHERE id = $id",
            ("$text", text), ("$key", key), ("$now", now), ("$id", id),
            ("$model", (object?)embedding?.Model), ("$vector", embedding is { } e ? MemoryMarshal.AsBytes(e.Vector.Span).ToArray() : null));
        AppendHistory(connection, transaction, id, FactChange.Edited, now, before.Text, null, "previous wording");
        cancellationToken.ThrowIfCancellationRequested();
        var fact = Get(connection, transaction, id)!;
        transaction.Commit();
        return Task.FromResult(fact);
    }

    public Task<Fact> RetractAsync(long id, string? reason, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var now = Stamp(at);
        using var connection = OpenForWrite();
        using var transaction = connection.BeginTransaction();
        RequireStatus(connection, transaction, id, "forget", Active, Pending);
        Execute(connection, transaction, "UPDATE facts SET status = $status, retracted_at = $now, updated_at = $now WHERE id = $id",
            ("$status", FactCodes.Code(FactStatus.Retracted)), ("$now", now), ("$id", id));
        AppendHistory(connection, transaction, id, FactChange.Retracted, now, null, null, reason);
        // A forgotten candidate has nothing left to review.
        Execute(connection, transaction, "UPDATE fact_reviews SET status = $rejected, resolved_at = $now WHERE candidate_id = $id AND status = $pending",
            ("$rejected", FactCodes.Code(FactReviewStatus.Rejected)), ("$pending", FactCodes.Code(FactReviewStatus.Pending)), ("$now", now), ("$id", id));
        cancellationToken.ThrowIfCancellationRequested();
        var fact = Get(connection, transaction, id)!;
        transaction.Commit();
        return Task.FromResult(fact);
    }

    public Task<bool> PurgeAsync(long id, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var connection = OpenForWrite();
        using var transaction = connection.BeginTransaction();
        // History and reviews of the fact go with it (ON DELETE CASCADE); links from other facts become NULL.
        var deleted = Execute(connection, transaction, "DELETE FROM facts WHERE id = $id", ("$id", id));
        transaction.Commit();
        return Task.FromResult(deleted > 0);
    }

    public Task<IReadOnlyList<FactHistoryEntry>> GetHistoryAsync(long? factId, int limit, CancellationToken cancellationToken)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = factId is null
            ? $"SELECT {HistoryColumns} FROM fact_history ORDER BY id DESC LIMIT $limit"
            : $"SELECT {HistoryColumns} FROM fact_history WHERE fact_id = $fact ORDER BY id LIMIT $limit";
        command.Parameters.AddWithValue("$limit", limit);
        if (factId is { } fact) command.Parameters.AddWithValue("$fact", fact);
        var result = new List<FactHistoryEntry>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            cancellationToken.ThrowIfCancellationRequested();
            result.Add(ReadHistory(reader));
        }
        return Task.FromResult<IReadOnlyList<FactHistoryEntry>>(result);
    }

    public Task<IReadOnlyList<FactReview>> ListReviewsAsync(bool pendingOnly, CancellationToken cancellationToken)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = pendingOnly
            ? $"SELECT {ReviewColumns} FROM fact_reviews WHERE status = $pending ORDER BY id"
            : $"SELECT {ReviewColumns} FROM fact_reviews ORDER BY id";
        command.Parameters.AddWithValue("$pending", FactCodes.Code(FactReviewStatus.Pending));
        var result = new List<FactReview>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            cancellationToken.ThrowIfCancellationRequested();
            result.Add(ReadReview(reader));
        }
        return Task.FromResult<IReadOnlyList<FactReview>>(result);
    }

    public Task<FactReview> ResolveReviewAsync(long reviewId, ReviewDecision decision, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var now = Stamp(at);
        using var connection = OpenForWrite();
        using var transaction = connection.BeginTransaction();
        var review = GetReview(connection, transaction, reviewId) ?? throw new NotFoundException($"No review #{reviewId}.");
        if (review.Status != FactReviewStatus.Pending)
            throw new FactStateException($"Review #{reviewId} was already resolved ({FactCodes.Code(review.Status)}).");
        var candidate = RequireStatus(connection, transaction, review.CandidateId, "resolve the review of", Pending);
        var existing = review.ExistingId is { } existingId ? Get(connection, transaction, existingId) : null;

        var (reviewStatus, change) = decision switch
        {
            ReviewDecision.Accept => (FactReviewStatus.Accepted, FactChange.Accepted),
            ReviewDecision.KeepBoth => (FactReviewStatus.KeptBoth, FactChange.KeptBoth),
            ReviewDecision.Reject => (FactReviewStatus.Rejected, FactChange.Rejected),
            _ => throw new ArgumentOutOfRangeException(nameof(decision), decision, null),
        };
        var newStatus = decision == ReviewDecision.Reject ? FactStatus.Rejected : FactStatus.Active;
        Execute(connection, transaction, "UPDATE facts SET status = $status, updated_at = $now WHERE id = $id",
            ("$status", FactCodes.Code(newStatus)), ("$now", now), ("$id", candidate.Id));
        AppendHistory(connection, transaction, candidate.Id, change, now, null, existing?.Id, $"review #{reviewId}");
        // Accepting replaces the existing fact, if it is still active (it may have been forgotten meanwhile).
        if (decision == ReviewDecision.Accept && existing is { Status: FactStatus.Active })
            Supersede(connection, transaction, existing.Id, candidate.Id, now, $"review #{reviewId}: {review.Reason}");
        Execute(connection, transaction, "UPDATE fact_reviews SET status = $status, resolved_at = $now WHERE id = $id",
            ("$status", FactCodes.Code(reviewStatus)), ("$now", now), ("$id", reviewId));
        cancellationToken.ThrowIfCancellationRequested();
        var resolved = GetReview(connection, transaction, reviewId)!;
        transaction.Commit();
        return Task.FromResult(resolved);
    }

    /// <summary>The evidence graph's edges in this file, written through this store's database instance (docs/evidence.md).</summary>
    public SqliteEvidenceStore Evidence() => new(_database);

    public ValueTask DisposeAsync()
    {
        // Pooled connections keep the WAL open; release them so the file can be copied or deleted.
        SqliteConnection.ClearAllPools();
        _database.RecordWrites();
        return ValueTask.CompletedTask;
    }

    private static void Supersede(SqliteConnection connection, SqliteTransaction transaction, long oldId, long newId, string now, string? reason)
    {
        var changed = Execute(connection, transaction,
            "UPDATE facts SET status = $superseded, superseded_at = $now, superseded_by = $new, updated_at = $now WHERE id = $id AND status = $active",
            ("$superseded", FactCodes.Code(FactStatus.Superseded)), ("$now", now), ("$new", newId), ("$id", oldId), ("$active", Active));
        if (changed != 1) throw new FactStateException($"Fact #{oldId} changed meanwhile; try again.");
        AppendHistory(connection, transaction, oldId, FactChange.Superseded, now, null, newId, reason);
    }

    /// <summary>The fact, which must exist and be in one of <paramref name="statuses"/>.</summary>
    private static Fact RequireStatus(SqliteConnection connection, SqliteTransaction transaction, long id, string verb, params string[] statuses)
    {
        var fact = Get(connection, transaction, id) ?? throw new NotFoundException($"No fact #{id}.");
        var status = FactCodes.Code(fact.Status);
        if (!statuses.Contains(status))
            throw new FactStateException($"Cannot {verb} fact #{id}: it is {status}.");
        return fact;
    }

    /// <summary>Refuses a second active or pending fact with <paramref name="key"/>; <paramref name="except"/> are leaving that state in this change.</summary>
    private static void RequireFreeKey(SqliteConnection connection, SqliteTransaction transaction, string key, IReadOnlyCollection<long> except)
    {
        using var command = Command(connection, transaction, "SELECT id FROM facts WHERE normalized_key = $key AND status IN ($active, $pending) ORDER BY id",
            [("$key", key), ("$active", Active), ("$pending", Pending)]);
        using var reader = command.ExecuteReader();
        while (reader.Read())
            if (!except.Contains(reader.GetInt64(0))) throw new DuplicateFactException(reader.GetInt64(0));
    }

    private static void AppendHistory(SqliteConnection connection, SqliteTransaction transaction, long factId, FactChange change, string now, string? text, long? related, string? detail) =>
        Execute(connection, transaction,
            "INSERT INTO fact_history (fact_id, at, change, text, related_fact_id, detail) VALUES ($fact, $now, $change, $text, $related, $detail)",
            ("$fact", factId), ("$now", now), ("$change", FactCodes.Code(change)), ("$text", text), ("$related", related), ("$detail", detail));

    private static Fact? Get(SqliteConnection connection, SqliteTransaction? transaction, long id)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT {Columns} FROM facts f WHERE f.id = $id";
        command.Parameters.AddWithValue("$id", id);
        return ReadFacts(command, CancellationToken.None).FirstOrDefault();
    }

    private static FactReview? GetReview(SqliteConnection connection, SqliteTransaction transaction, long id)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT {ReviewColumns} FROM fact_reviews WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadReview(reader) : null;
    }

    private static List<Fact> ReadFacts(SqliteCommand command, CancellationToken cancellationToken)
    {
        var result = new List<Fact>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            cancellationToken.ThrowIfCancellationRequested();
            result.Add(ReadFact(reader));
        }
        return result;
    }

    private static Fact ReadFact(SqliteDataReader r) => FactRows.ReadFact(r, Time);

    private static FactHistoryEntry ReadHistory(SqliteDataReader r) => FactRows.ReadHistory(r, Time);

    private static FactReview ReadReview(SqliteDataReader r) => FactRows.ReadReview(r, Time);

    private static DateTimeOffset Time(System.Data.Common.DbDataReader r, int ordinal) => ParseStamp(r.GetString(ordinal));


    private static string Stamp(DateTimeOffset at) => at.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset ParseStamp(string value) => DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

    private static int Execute(SqliteConnection connection, SqliteTransaction transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, transaction, sql, parameters);
        return command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, SqliteTransaction transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, transaction, sql, parameters);
        return command.ExecuteScalar();
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction transaction, string sql, (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    private SqliteConnection Open() => _database.Open();

    /// <summary>For writes: the first one makes sure the file is not damaged (<see cref="SqliteDatabase.EnsureSound"/>).</summary>
    private SqliteConnection OpenForWrite() => _database.OpenForWrite();
}
