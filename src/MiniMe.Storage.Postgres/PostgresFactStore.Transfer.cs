using System.Data;
using MiniMe.Memory.Facts;
using MiniMe.Memory.Migration;
using Npgsql;

namespace MiniMe.Storage.Postgres;

public sealed partial class PostgresFactStore : IFactExport, IFactImport
{
    /// <summary>The whole store from one snapshot (REPEATABLE READ), so the parts agree with each other.</summary>
    public async Task<FactExport> ExportFactsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _connector.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
        List<ExportedFact> facts;
        await using (var command = Command(connection, transaction, $"SELECT {Columns}, f.normalized_key FROM facts f ORDER BY f.id"))
            facts = await ReadAllAsync(command, r => new ExportedFact(ReadFact(r), r.GetString(ColumnCount)), cancellationToken).ConfigureAwait(false);
        List<FactHistoryEntry> history;
        await using (var command = Command(connection, transaction, $"SELECT {HistoryColumns} FROM fact_history ORDER BY id"))
            history = await ReadAllAsync(command, ReadHistory, cancellationToken).ConfigureAwait(false);
        List<FactReview> reviews;
        await using (var command = Command(connection, transaction, $"SELECT {ReviewColumns} FROM fact_reviews ORDER BY id"))
            reviews = await ReadAllAsync(command, ReadReview, cancellationToken).ConfigureAwait(false);
        List<ExportedFactVector> vectors;
        await using (var command = Command(connection, transaction, """SELECT fact_id, model, vector FROM fact_embeddings ORDER BY fact_id, model COLLATE "C" """))
            vectors = await ReadAllAsync(command, r => new ExportedFactVector(r.GetInt64(0), r.GetString(1), r.GetFieldValue<float[]>(2)), cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new FactExport(facts, history, reviews, vectors);
    }

    /// <summary>
    /// One transaction: facts, history and reviews upserted by id (one statement each, so links between
    /// facts resolve whatever their order), each imported fact's vectors replaced, and the id sequences
    /// moved past the imported ids so new facts never take one.
    /// </summary>
    public Task ImportFactsAsync(FactExport export, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(export);
        RejectNul([.. export.Facts.SelectMany(f => new[] { f.Fact.Text, f.Key, f.Fact.Category }),
            .. export.History.SelectMany(h => new[] { h.Text, h.Detail }), .. export.Reviews.Select(r => r.Reason), .. export.Vectors.Select(v => v.Model)]);
        return WriteAsync(async (connection, transaction) =>
        {
            await using var batch = new NpgsqlBatch(connection, transaction);
            batch.BatchCommands.Add(UpsertFacts(export.Facts));
            batch.BatchCommands.Add(UpsertHistory(export.History));
            batch.BatchCommands.Add(UpsertReviews(export.Reviews));
            var replaced = new NpgsqlBatchCommand("DELETE FROM fact_embeddings WHERE fact_id = ANY($1)");
            replaced.Parameters.AddWithValue(export.Facts.Select(f => f.Fact.Id).ToArray());
            batch.BatchCommands.Add(replaced);
            foreach (var v in export.Vectors)
            {
                var insert = new NpgsqlBatchCommand("INSERT INTO fact_embeddings (fact_id, model, dims, vector) VALUES ($1, $2, $3, $4)");
                insert.Parameters.AddWithValue(v.FactId);
                insert.Parameters.AddWithValue(v.Model);
                insert.Parameters.AddWithValue(v.Vector.Length);
                insert.Parameters.AddWithValue(v.Vector.ToArray());
                batch.BatchCommands.Add(insert);
            }
            foreach (var table in new[] { "facts", "fact_history", "fact_reviews" })
                batch.BatchCommands.Add(new NpgsqlBatchCommand(
                    $"""
                    SELECT setval(s, m) FROM (SELECT pg_get_serial_sequence('{table}', 'id')::regclass AS s, max(id) AS m FROM {table}) x
                    WHERE m > coalesce(pg_sequence_last_value(s), 0)
                    """));
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    private static NpgsqlBatchCommand UpsertFacts(IReadOnlyList<ExportedFact> facts)
    {
        var command = new NpgsqlBatchCommand(
            $"""
            INSERT INTO facts (id, text, normalized_key, category, source, confidence, importance, status, created_at, updated_at,
                               last_seen_at, seen_count, superseded_at, superseded_by, retracted_at, search,
                               origin_kind, origin_id, origin_message_id, origin_run_id)
            SELECT t.id, t.text, t.key, t.category, t.source, t.confidence, t.importance, t.status, t.created_at, t.updated_at,
                   t.last_seen_at, t.seen_count, t.superseded_at, t.superseded_by, t.retracted_at,
                   to_tsvector('{LexicalIndex.Config}', t.words), t.origin_kind, t.origin_id, t.origin_message_id, t.origin_run_id
            FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::float8[], $8::text[],
                        $9::timestamptz[], $10::timestamptz[], $11::timestamptz[], $12::integer[], $13::timestamptz[], $14::bigint[],
                        $15::timestamptz[], $16::text[], $17::text[], $18::text[], $19::text[], $20::text[])
                AS t(id, text, key, category, source, confidence, importance, status, created_at, updated_at,
                     last_seen_at, seen_count, superseded_at, superseded_by, retracted_at, words,
                     origin_kind, origin_id, origin_message_id, origin_run_id)
            ON CONFLICT (id) DO UPDATE SET text = excluded.text, normalized_key = excluded.normalized_key, category = excluded.category,
                source = excluded.source, confidence = excluded.confidence, importance = excluded.importance, status = excluded.status,
                created_at = excluded.created_at, updated_at = excluded.updated_at, last_seen_at = excluded.last_seen_at,
                seen_count = excluded.seen_count, superseded_at = excluded.superseded_at, superseded_by = excluded.superseded_by,
                retracted_at = excluded.retracted_at, search = excluded.search, origin_kind = excluded.origin_kind,
                origin_id = excluded.origin_id, origin_message_id = excluded.origin_message_id, origin_run_id = excluded.origin_run_id
            """);
        var p = command.Parameters;
        p.AddWithValue(facts.Select(f => f.Fact.Id).ToArray());
        p.AddWithValue(facts.Select(f => f.Fact.Text).ToArray());
        p.AddWithValue(facts.Select(f => f.Key).ToArray());
        p.AddWithValue(facts.Select(f => f.Fact.Category).ToArray());
        p.AddWithValue(facts.Select(f => FactCodes.Code(f.Fact.Source)).ToArray());
        p.AddWithValue(facts.Select(f => f.Fact.Confidence).ToArray());
        p.AddWithValue(facts.Select(f => f.Fact.Importance).ToArray());
        p.AddWithValue(facts.Select(f => FactCodes.Code(f.Fact.Status)).ToArray());
        p.AddWithValue(facts.Select(f => Stamp(f.Fact.CreatedAt)).ToArray());
        p.AddWithValue(facts.Select(f => Stamp(f.Fact.UpdatedAt)).ToArray());
        p.AddWithValue(facts.Select(f => Stamp(f.Fact.LastSeenAt)).ToArray());
        p.AddWithValue(facts.Select(f => f.Fact.SeenCount).ToArray());
        p.AddWithValue(facts.Select(f => Stamp(f.Fact.SupersededAt)).ToArray());
        p.AddWithValue(facts.Select(f => f.Fact.SupersededBy).ToArray());
        p.AddWithValue(facts.Select(f => Stamp(f.Fact.RetractedAt)).ToArray());
        p.AddWithValue(facts.Select(f => SearchText.Normalize(f.Fact.Text)).ToArray());
        p.AddWithValue(facts.Select(f => f.Fact.Origin?.Kind).ToArray());
        p.AddWithValue(facts.Select(f => f.Fact.Origin?.Id).ToArray());
        p.AddWithValue(facts.Select(f => f.Fact.Origin?.MessageId).ToArray());
        p.AddWithValue(facts.Select(f => f.Fact.Origin?.RunId).ToArray());
        return command;
    }

    private static NpgsqlBatchCommand UpsertHistory(IReadOnlyList<FactHistoryEntry> history)
    {
        var command = new NpgsqlBatchCommand(
            """
            INSERT INTO fact_history (id, fact_id, at, change, text, related_fact_id, detail)
            SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::timestamptz[], $4::text[], $5::text[], $6::bigint[], $7::text[])
            ON CONFLICT (id) DO UPDATE SET fact_id = excluded.fact_id, at = excluded.at, change = excluded.change, text = excluded.text,
                related_fact_id = excluded.related_fact_id, detail = excluded.detail
            """);
        var p = command.Parameters;
        p.AddWithValue(history.Select(h => h.Id).ToArray());
        p.AddWithValue(history.Select(h => h.FactId).ToArray());
        p.AddWithValue(history.Select(h => Stamp(h.At)).ToArray());
        p.AddWithValue(history.Select(h => FactCodes.Code(h.Change)).ToArray());
        p.AddWithValue(history.Select(h => h.Text).ToArray());
        p.AddWithValue(history.Select(h => h.RelatedFactId).ToArray());
        p.AddWithValue(history.Select(h => h.Detail).ToArray());
        return command;
    }

    private static NpgsqlBatchCommand UpsertReviews(IReadOnlyList<FactReview> reviews)
    {
        var command = new NpgsqlBatchCommand(
            """
            INSERT INTO fact_reviews (id, candidate_id, existing_id, kind, reason, confidence, status, created_at, resolved_at)
            SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::float8[], $7::text[],
                                 $8::timestamptz[], $9::timestamptz[])
            ON CONFLICT (id) DO UPDATE SET candidate_id = excluded.candidate_id, existing_id = excluded.existing_id, kind = excluded.kind,
                reason = excluded.reason, confidence = excluded.confidence, status = excluded.status, created_at = excluded.created_at,
                resolved_at = excluded.resolved_at
            """);
        var p = command.Parameters;
        p.AddWithValue(reviews.Select(r => r.Id).ToArray());
        p.AddWithValue(reviews.Select(r => r.CandidateId).ToArray());
        p.AddWithValue(reviews.Select(r => r.ExistingId).ToArray());
        p.AddWithValue(reviews.Select(r => FactCodes.Code(r.Kind)).ToArray());
        p.AddWithValue(reviews.Select(r => r.Reason).ToArray());
        p.AddWithValue(reviews.Select(r => r.Confidence).ToArray());
        p.AddWithValue(reviews.Select(r => FactCodes.Code(r.Status)).ToArray());
        p.AddWithValue(reviews.Select(r => Stamp(r.CreatedAt)).ToArray());
        p.AddWithValue(reviews.Select(r => Stamp(r.ResolvedAt)).ToArray());
        return command;
    }

    private static DateTime Stamp(DateTimeOffset value) => PostgresMemoryStore.ToMicroseconds(value);

    private static DateTime? Stamp(DateTimeOffset? value) => value is { } v ? PostgresMemoryStore.ToMicroseconds(v) : null;
}
