using MiniMe.Memory.Facts;
using Npgsql;
using NpgsqlTypes;

namespace MiniMe.Storage.Postgres;

/// <summary>
/// Facts on PostgreSQL, in the same schema as the user's memory store and with the SQLite store's
/// semantics: the facts table with status and supersession links, fact_history for every change,
/// fact_reviews for the queue, a tsvector per fact for lexical search (stemmed like the chunks) and
/// vectors per model searched by exact cosine in SQL (facts are few).
/// </summary>
/// <remarks>
/// Each state change is one transaction. Several server processes may write one user's facts at once:
/// a change locks the rows it checks (SELECT ... FOR UPDATE, always the candidate before the fact
/// under review before the review) so no check is stale when its write lands, and a write that gives
/// a fact a key first takes a transaction lock on that key, so two writers of the same statement
/// cannot both find it free. A deadlock PostgreSQL breaks anyway is retried.
/// </remarks>
public sealed partial class PostgresFactStore : IFactStore
{
    private const string Columns = FactRows.FactColumns;
    private const int ColumnCount = FactRows.FactColumnCount;
    private const string HistoryColumns = FactRows.HistoryColumns;
    private const string ReviewColumns = FactRows.ReviewColumns;

    /// <summary>Class of the two-key advisory locks on fact keys ("fact"); the one-key locks on document sources are a separate space.</summary>
    private const int KeyLockClass = 0x66616374;
    private const int MaxAttempts = 5;

    private static readonly string Active = FactCodes.Code(FactStatus.Active);
    private static readonly string Pending = FactCodes.Code(FactStatus.Pending);
    private static readonly string ToTsVector = $"to_tsvector('{LexicalIndex.Config}', $1)";

    private readonly PostgresConnector _connector;

    /// <param name="schema">The user's schema (the memory store's); null uses the connection's own search path.</param>
    public PostgresFactStore(string connectionString, string? schema = null)
    {
        _connector = new PostgresConnector(connectionString, schema);
    }

    /// <summary>Where the store connects ("host=... port=... database=... user=..."), without the password.</summary>
    public string Endpoint => _connector.Endpoint;

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _connector.OpenAsync(cancellationToken).ConfigureAwait(false);
        await _connector.MigrateAsync(connection, cancellationToken).ConfigureAwait(false);
    }

    public async Task<Fact?> GetAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await _connector.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await GetAsync(connection, null, id, "", cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<Fact>> ListAsync(FactQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var connection = await _connector.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand { Connection = connection };
        var sql = new SqlText(command);
        sql.Append($"SELECT {Columns} FROM facts f WHERE TRUE");
        if (query.Category is { } category) sql.Append($" AND f.category = {sql.Param(category)}");
        if (query.Key is { } key) sql.Append($" AND f.normalized_key = {sql.Param(key)}");
        if (query.Statuses is { Count: > 0 } statuses)
            sql.Append($" AND f.status = ANY({sql.Param(statuses.Select(FactCodes.Code).ToArray())}::text[])");
        sql.Append($" ORDER BY f.id DESC LIMIT {sql.Param(Math.Max(0, query.Limit))}");
        return await ReadFactsAsync(command, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<FactMatch>> SearchLexicalAsync(string matchExpression, int limit, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(matchExpression);
        var tsquery = TsQueryTranslator.Translate(matchExpression);
        if (tsquery is null || limit < 1) return [];
        await using var connection = await _connector.OpenAsync(cancellationToken).ConfigureAwait(false);
        // Ranked like the chunks (cover density, normalized by log length); higher is better.
        await using var command = Command(connection, null,
            $"""
            SELECT {Columns}, ts_rank_cd(f.search, q, 1)::float8 AS rank
            FROM facts f, to_tsquery('{LexicalIndex.Config}', $1) AS q
            WHERE f.search @@ q AND f.status = $2
            ORDER BY rank DESC, f.id LIMIT $3
            """,
            tsquery, Active, limit);
        return await ReadMatchesAsync(command, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<FactMatch>> SearchDenseAsync(string model, ReadOnlyMemory<float> query, int limit, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        if (limit < 1 || query.IsEmpty) return [];
        await using var connection = await _connector.OpenAsync(cancellationToken).ConfigureAwait(false);
        // True cosine (fact vectors need not be unit length). A zero vector has none: NULL, ranked last, read as NaN.
        await using var command = Command(connection, null,
            $"""
            SELECT {Columns}, s.score
            FROM (
                SELECT e.fact_id, (
                    SELECT sum(a::float8 * b::float8) / nullif(sqrt(sum(a::float8 * a::float8)) * sqrt(sum(b::float8 * b::float8)), 0)
                    FROM unnest(e.vector, $1::real[]) AS t(a, b)) AS score
                FROM fact_embeddings e
                WHERE e.model = $2 AND e.dims = $3
            ) s
            JOIN facts f ON f.id = s.fact_id
            WHERE f.status = $4
            ORDER BY s.score DESC NULLS LAST, f.id LIMIT $5
            """,
            query.ToArray(), model, query.Length, Active, limit);
        return await ReadMatchesAsync(command, cancellationToken).ConfigureAwait(false);
    }

    public Task<FactInsertResult> AddAsync(FactInsert insert, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(insert);
        if (insert.Review is not null && insert.Supersedes.Count > 0)
            throw new ArgumentException("A fact is either queued for review or supersedes others, not both.", nameof(insert));
        var draft = insert.Draft;
        RejectNul(draft.Text, draft.Key, draft.Category, insert.Reason, insert.Review?.Reason, insert.Embedding?.Model,
            draft.Origin?.Kind, draft.Origin?.Id, draft.Origin?.MessageId, draft.Origin?.RunId);
        var now = PostgresMemoryStore.ToMicroseconds(at);
        return WriteAsync(async (connection, transaction) =>
        {
            await LockKeyAsync(connection, transaction, draft.Key, cancellationToken).ConfigureAwait(false);
            await LockAsync(connection, transaction, insert.Supersedes, cancellationToken).ConfigureAwait(false);
            foreach (var old in insert.Supersedes)
                await RequireStatusAsync(connection, transaction, old, "supersede", cancellationToken, Active).ConfigureAwait(false);
            await RequireFreeKeyAsync(connection, transaction, draft.Key, insert.Supersedes, cancellationToken).ConfigureAwait(false);
            // KEY SHARE: a purge of the fact under review waits for this insert, then unlinks the review as it should.
            if (insert.Review is { ExistingId: { } existingId } && await GetAsync(connection, transaction, existingId, " FOR KEY SHARE", cancellationToken).ConfigureAwait(false) is null)
                throw new FactStateException($"Fact #{existingId} no longer exists; remember the fact again.");

            var status = insert.Review is null ? Active : Pending;
            long id;
            await using (var command = Command(connection, transaction,
                $"""
                INSERT INTO facts (search, text, normalized_key, category, source, confidence, importance, status,
                    created_at, updated_at, last_seen_at, seen_count, origin_kind, origin_id, origin_message_id, origin_run_id)
                VALUES ({ToTsVector}, $2, $3, $4, $5, $6, $7, $8, $9, $9, $9, 1, $10::text, $11::text, $12::text, $13::text)
                RETURNING id
                """,
                SearchText.Normalize(draft.Text), draft.Text, draft.Key, draft.Category, FactCodes.Code(draft.Source),
                draft.Confidence, draft.Importance, status, now, draft.Origin?.Kind, draft.Origin?.Id, draft.Origin?.MessageId, draft.Origin?.RunId))
                id = (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            if (insert.Embedding is { } embedding)
                await PutVectorAsync(connection, transaction, id, embedding, cancellationToken).ConfigureAwait(false);

            FactReview? review = null;
            if (insert.Review is { } queued)
            {
                await AppendHistoryAsync(connection, transaction, id, FactChange.Queued, now, draft.Text, queued.ExistingId, queued.Reason, cancellationToken).ConfigureAwait(false);
                long reviewId;
                await using (var command = Command(connection, transaction,
                    """
                    INSERT INTO fact_reviews (candidate_id, existing_id, kind, reason, confidence, status, created_at)
                    VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id
                    """,
                    id, queued.ExistingId, FactCodes.Code(queued.Kind), queued.Reason, queued.Confidence, FactCodes.Code(FactReviewStatus.Pending), now))
                    reviewId = (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
                review = await GetReviewAsync(connection, transaction, reviewId, "", cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await AppendHistoryAsync(connection, transaction, id, FactChange.Created, now, draft.Text, null, insert.Reason, cancellationToken).ConfigureAwait(false);
            }
            foreach (var old in insert.Supersedes)
                await SupersedeAsync(connection, transaction, old, id, now, insert.Reason, cancellationToken).ConfigureAwait(false);
            var fact = (await GetAsync(connection, transaction, id, "", cancellationToken).ConfigureAwait(false))!;
            return new FactInsertResult(fact, review);
        }, cancellationToken);
    }

    public Task<Fact> ReinforceAsync(long id, string observedText, double confidence, double importance, DateTimeOffset at, CancellationToken cancellationToken) =>
        ReinforceAsync(id, observedText, confidence, importance, null, at, cancellationToken);

    public Task<Fact> ReinforceAsync(long id, string observedText, double confidence, double importance, string? detail, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(observedText);
        RejectNul(observedText, detail);
        var now = PostgresMemoryStore.ToMicroseconds(at);
        return WriteAsync(async (connection, transaction) =>
        {
            await RequireStatusAsync(connection, transaction, id, "reinforce", cancellationToken, Active, Pending).ConfigureAwait(false);
            await ExecuteAsync(connection, transaction,
                "UPDATE facts SET seen_count = seen_count + 1, last_seen_at = $1, confidence = greatest(confidence, $2), importance = greatest(importance, $3) WHERE id = $4",
                cancellationToken, now, confidence, importance, id).ConfigureAwait(false);
            await AppendHistoryAsync(connection, transaction, id, FactChange.Reinforced, now, observedText, null, detail, cancellationToken).ConfigureAwait(false);
            return (await GetAsync(connection, transaction, id, "", cancellationToken).ConfigureAwait(false))!;
        }, cancellationToken);
    }

    public Task<Fact> EditAsync(long id, string text, string key, FactEmbedding? embedding, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        ArgumentNullException.ThrowIfNull(key);
        RejectNul(text, key, embedding?.Model);
        var now = PostgresMemoryStore.ToMicroseconds(at);
        return WriteAsync(async (connection, transaction) =>
        {
            await LockKeyAsync(connection, transaction, key, cancellationToken).ConfigureAwait(false);
            var before = await RequireStatusAsync(connection, transaction, id, "edit", cancellationToken, Active, Pending).ConfigureAwait(false);
            await RequireFreeKeyAsync(connection, transaction, key, [id], cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, transaction,
                $"UPDATE facts SET search = {ToTsVector}, text = $2, normalized_key = $3, updated_at = $4 WHERE id = $5",
                cancellationToken, SearchText.Normalize(text), text, key, now, id).ConfigureAwait(false);
            // A vector of the old wording would be wrong for the new one: replace it, or drop it.
            await ExecuteAsync(connection, transaction, "DELETE FROM fact_embeddings WHERE fact_id = $1", cancellationToken, id).ConfigureAwait(false);
            if (embedding is not null)
                await PutVectorAsync(connection, transaction, id, embedding, cancellationToken).ConfigureAwait(false);
            await AppendHistoryAsync(connection, transaction, id, FactChange.Edited, now, before.Text, null, "previous wording", cancellationToken).ConfigureAwait(false);
            return (await GetAsync(connection, transaction, id, "", cancellationToken).ConfigureAwait(false))!;
        }, cancellationToken);
    }

    public Task<Fact> RetractAsync(long id, string? reason, DateTimeOffset at, CancellationToken cancellationToken)
    {
        RejectNul(reason);
        var now = PostgresMemoryStore.ToMicroseconds(at);
        return WriteAsync(async (connection, transaction) =>
        {
            await RequireStatusAsync(connection, transaction, id, "forget", cancellationToken, Active, Pending).ConfigureAwait(false);
            await ExecuteAsync(connection, transaction, "UPDATE facts SET status = $1, retracted_at = $2, updated_at = $2 WHERE id = $3",
                cancellationToken, FactCodes.Code(FactStatus.Retracted), now, id).ConfigureAwait(false);
            await AppendHistoryAsync(connection, transaction, id, FactChange.Retracted, now, null, null, reason, cancellationToken).ConfigureAwait(false);
            // A forgotten candidate has nothing left to review.
            await ExecuteAsync(connection, transaction, "UPDATE fact_reviews SET status = $1, resolved_at = $2 WHERE candidate_id = $3 AND status = $4",
                cancellationToken, FactCodes.Code(FactReviewStatus.Rejected), now, id, FactCodes.Code(FactReviewStatus.Pending)).ConfigureAwait(false);
            return (await GetAsync(connection, transaction, id, "", cancellationToken).ConfigureAwait(false))!;
        }, cancellationToken);
    }

    public Task<bool> PurgeAsync(long id, CancellationToken cancellationToken) =>
        // History, reviews and vectors of the fact go with it (ON DELETE CASCADE); links from other facts and reviews become NULL.
        WriteAsync(async (connection, transaction) =>
            await ExecuteAsync(connection, transaction, "DELETE FROM facts WHERE id = $1", cancellationToken, id).ConfigureAwait(false) > 0,
            cancellationToken);

    public async Task<IReadOnlyList<FactHistoryEntry>> GetHistoryAsync(long? factId, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await _connector.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = factId is { } fact
            ? Command(connection, null, $"SELECT {HistoryColumns} FROM fact_history WHERE fact_id = $1 ORDER BY id LIMIT $2", fact, Math.Max(0, limit))
            : Command(connection, null, $"SELECT {HistoryColumns} FROM fact_history ORDER BY id DESC LIMIT $1", Math.Max(0, limit));
        return await ReadAllAsync(command, ReadHistory, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<FactReview>> ListReviewsAsync(bool pendingOnly, CancellationToken cancellationToken)
    {
        await using var connection = await _connector.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = pendingOnly
            ? Command(connection, null, $"SELECT {ReviewColumns} FROM fact_reviews WHERE status = $1 ORDER BY id", FactCodes.Code(FactReviewStatus.Pending))
            : Command(connection, null, $"SELECT {ReviewColumns} FROM fact_reviews ORDER BY id");
        return await ReadAllAsync(command, ReadReview, cancellationToken).ConfigureAwait(false);
    }

    public Task<FactReview> ResolveReviewAsync(long reviewId, ReviewDecision decision, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var (reviewStatus, change) = decision switch
        {
            ReviewDecision.Accept => (FactReviewStatus.Accepted, FactChange.Accepted),
            ReviewDecision.KeepBoth => (FactReviewStatus.KeptBoth, FactChange.KeptBoth),
            ReviewDecision.Reject => (FactReviewStatus.Rejected, FactChange.Rejected),
            _ => throw new ArgumentOutOfRangeException(nameof(decision), decision, null),
        };
        var now = PostgresMemoryStore.ToMicroseconds(at);
        return WriteAsync(async (connection, transaction) =>
        {
            var unlocked = await GetReviewAsync(connection, transaction, reviewId, "", cancellationToken).ConfigureAwait(false)
                ?? throw new NotFoundException($"No review #{reviewId}.");
            // Lock order: candidate, fact under review, review (as a forget or a purge of either takes them).
            await LockAsync(connection, transaction, [unlocked.CandidateId], cancellationToken).ConfigureAwait(false);
            if (unlocked.ExistingId is { } locked) await LockAsync(connection, transaction, [locked], cancellationToken).ConfigureAwait(false);
            var review = await GetReviewAsync(connection, transaction, reviewId, " FOR UPDATE", cancellationToken).ConfigureAwait(false)
                ?? throw new NotFoundException($"No review #{reviewId}.");
            if (review.Status != FactReviewStatus.Pending)
                throw new FactStateException($"Review #{reviewId} was already resolved ({FactCodes.Code(review.Status)}).");
            var candidate = await RequireStatusAsync(connection, transaction, review.CandidateId, "resolve the review of", cancellationToken, Pending).ConfigureAwait(false);
            var existing = review.ExistingId is { } existingId ? await GetAsync(connection, transaction, existingId, "", cancellationToken).ConfigureAwait(false) : null;

            var newStatus = decision == ReviewDecision.Reject ? FactStatus.Rejected : FactStatus.Active;
            await ExecuteAsync(connection, transaction, "UPDATE facts SET status = $1, updated_at = $2 WHERE id = $3",
                cancellationToken, FactCodes.Code(newStatus), now, candidate.Id).ConfigureAwait(false);
            await AppendHistoryAsync(connection, transaction, candidate.Id, change, now, null, existing?.Id, $"review #{reviewId}", cancellationToken).ConfigureAwait(false);
            // Accepting replaces the existing fact, if it is still active (it may have been forgotten meanwhile).
            if (decision == ReviewDecision.Accept && existing is { Status: FactStatus.Active })
                await SupersedeAsync(connection, transaction, existing.Id, candidate.Id, now, $"review #{reviewId}: {review.Reason}", cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, transaction, "UPDATE fact_reviews SET status = $1, resolved_at = $2 WHERE id = $3",
                cancellationToken, FactCodes.Code(reviewStatus), now, reviewId).ConfigureAwait(false);
            return (await GetReviewAsync(connection, transaction, reviewId, "", cancellationToken).ConfigureAwait(false))!;
        }, cancellationToken);
    }

    public ValueTask DisposeAsync() => _connector.DisposeAsync();

    /// <summary>
    /// Runs one state change in one transaction, committed only if it completes; a deadlock or
    /// serialization failure PostgreSQL reports between concurrent writers runs it again from the start.
    /// </summary>
    private async Task<T> WriteAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> change, CancellationToken cancellationToken)
    {
        await using var connection = await _connector.OpenAsync(cancellationToken).ConfigureAwait(false);
        for (var attempt = 1; ; attempt++)
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var result = await change(connection, transaction).ConfigureAwait(false);
                // Commit is the only point of no return: cancellation before it rolls the whole change back.
                cancellationToken.ThrowIfCancellationRequested();
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return result;
            }
            catch (PostgresException e) when ((e.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure) && attempt < MaxAttempts)
            {
                await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Serializes the writers of one key in this schema until the transaction ends.</summary>
    private static Task LockKeyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string key, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, transaction, "SELECT pg_advisory_xact_lock($1, hashtext(current_schema() || '/' || $2))", cancellationToken, KeyLockClass, key);

    /// <summary>Locks existing facts for update, in id order so two changes locking the same facts cannot deadlock.</summary>
    private static async Task LockAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyCollection<long> ids, CancellationToken cancellationToken)
    {
        if (ids.Count == 0) return;
        await ExecuteAsync(connection, transaction, "SELECT id FROM facts WHERE id = ANY($1) ORDER BY id FOR UPDATE", cancellationToken, ids.ToArray()).ConfigureAwait(false);
    }

    /// <summary>Refuses a second active or pending fact with <paramref name="key"/>; <paramref name="except"/> are leaving that state in this change.</summary>
    private static async Task RequireFreeKeyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string key, IReadOnlyCollection<long> except, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction,
            "SELECT id FROM facts WHERE normalized_key = $1 AND status = ANY($2) AND NOT (id = ANY($3)) ORDER BY id LIMIT 1",
            key, new[] { Active, Pending }, except.ToArray());
        if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long taken)
            throw new DuplicateFactException(taken);
    }

    private static async Task SupersedeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long oldId, long newId, DateTime now, string? reason, CancellationToken cancellationToken)
    {
        var changed = await ExecuteAsync(connection, transaction,
            "UPDATE facts SET status = $1, superseded_at = $2, superseded_by = $3, updated_at = $2 WHERE id = $4 AND status = $5",
            cancellationToken, FactCodes.Code(FactStatus.Superseded), now, newId, oldId, Active).ConfigureAwait(false);
        if (changed != 1) throw new FactStateException($"Fact #{oldId} changed meanwhile; try again.");
        await AppendHistoryAsync(connection, transaction, oldId, FactChange.Superseded, now, null, newId, reason, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The fact, locked for update, which must exist and be in one of <paramref name="statuses"/>.</summary>
    private static async Task<Fact> RequireStatusAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, long id, string verb, CancellationToken cancellationToken, params string[] statuses)
    {
        var fact = await GetAsync(connection, transaction, id, " FOR UPDATE", cancellationToken).ConfigureAwait(false) ?? throw new NotFoundException($"No fact #{id}.");
        var status = FactCodes.Code(fact.Status);
        if (!statuses.Contains(status))
            throw new FactStateException($"Cannot {verb} fact #{id}: it is {status}.");
        return fact;
    }

    private static Task PutVectorAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long factId, FactEmbedding embedding, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, transaction,
            """
            INSERT INTO fact_embeddings (fact_id, model, dims, vector) VALUES ($1, $2, $3, $4)
            ON CONFLICT (fact_id, model) DO UPDATE SET dims = excluded.dims, vector = excluded.vector
            """,
            cancellationToken, factId, embedding.Model, embedding.Vector.Length, embedding.Vector.ToArray());

    private static Task AppendHistoryAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, long factId, FactChange change, DateTime now, string? text, long? related, string? detail, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, transaction,
            "INSERT INTO fact_history (fact_id, at, change, text, related_fact_id, detail) VALUES ($1, $2, $3, $4, $5, $6)",
            cancellationToken, factId, now, FactCodes.Code(change), OrNull(text), OrNull(related), OrNull(detail));

    /// <param name="lockClause">"", " FOR UPDATE" or " FOR KEY SHARE" (constants of this class, never input).</param>
    private static async Task<Fact?> GetAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, long id, string lockClause, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, $"SELECT {Columns} FROM facts f WHERE f.id = $1{lockClause}", id);
        return (await ReadFactsAsync(command, cancellationToken).ConfigureAwait(false)).FirstOrDefault();
    }

    private static async Task<FactReview?> GetReviewAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long id, string lockClause, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, $"SELECT {ReviewColumns} FROM fact_reviews WHERE id = $1{lockClause}", id);
        return (await ReadAllAsync(command, ReadReview, cancellationToken).ConfigureAwait(false)).FirstOrDefault();
    }

    private static Task<List<Fact>> ReadFactsAsync(NpgsqlCommand command, CancellationToken cancellationToken) =>
        ReadAllAsync(command, ReadFact, cancellationToken);

    /// <summary>Rows of <see cref="Columns"/> followed by one float8 score (NULL: no score, NaN).</summary>
    private static Task<List<FactMatch>> ReadMatchesAsync(NpgsqlCommand command, CancellationToken cancellationToken) =>
        ReadAllAsync(command, r => new FactMatch(ReadFact(r), r.IsDBNull(ColumnCount) ? double.NaN : r.GetDouble(ColumnCount)), cancellationToken);

    private static async Task<List<T>> ReadAllAsync<T>(NpgsqlCommand command, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken)
    {
        var result = new List<T>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            result.Add(read(reader));
        return result;
    }

    private static Fact ReadFact(NpgsqlDataReader r) => FactRows.ReadFact(r, Time);

    private static FactHistoryEntry ReadHistory(NpgsqlDataReader r) => FactRows.ReadHistory(r, Time);

    private static FactReview ReadReview(NpgsqlDataReader r) => FactRows.ReadReview(r, Time);


    private static DateTimeOffset Time(System.Data.Common.DbDataReader r, int ordinal) => PostgresMemoryStore.Utc(r.GetFieldValue<DateTime>(ordinal));

    /// <summary>PostgreSQL text cannot hold NUL: refuse it before anything is written.</summary>
    private static void RejectNul(params string?[] values)
    {
        if (values.Any(v => v is not null && v.Contains('\0', StringComparison.Ordinal)))
            throw new InvalidInputException("the fact contains a NUL character, which PostgreSQL cannot store; nothing was written");
    }

    private static NpgsqlParameter OrNull(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };

    private static NpgsqlParameter OrNull(long? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint };

    private static async Task<int> ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken, params object?[] values)
    {
        await using var command = Command(connection, transaction, sql, values);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A command with positional parameters ($1, $2, ...); a value may be a ready <see cref="NpgsqlParameter"/> (a typed NULL).</summary>
    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, params object?[] values)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var value in values)
            command.Parameters.Add(value as NpgsqlParameter ?? new NpgsqlParameter { Value = value ?? DBNull.Value });
        return command;
    }
}
