using MiniMe.Memory;
using Npgsql;

namespace MiniMe.Storage.Postgres;

/// <summary>
/// Writes documents with their chunks in one transaction, each replacing the previous version of its
/// source, and deletes documents. Writers of the same source are serialized by a transaction-scoped
/// advisory lock.
/// </summary>
internal static class DocumentWriter
{
    private const string DeleteChunks = "DELETE FROM chunks WHERE document_id = (SELECT id FROM documents WHERE source = $1)";

    private const string LockSources =
        "SELECT pg_advisory_xact_lock(k) FROM (SELECT DISTINCT hashtextextended(s, 0) AS k FROM unnest($1::text[]) AS s ORDER BY 1) x";

    private static readonly string UpsertWithChunks =
        $"""
        WITH doc AS (
            INSERT INTO documents (source, content_hash, size_bytes, modified_at, domain, tags, imported_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (source) DO UPDATE SET content_hash = excluded.content_hash, size_bytes = excluded.size_bytes,
                modified_at = excluded.modified_at, domain = excluded.domain, tags = excluded.tags, imported_at = excluded.imported_at
            RETURNING id, domain, tags
        )
        INSERT INTO chunks (document_id, ordinal, start_offset, end_offset, heading, text, content_hash, domain, tags,
                            imported_at, reuse_count, title, symbols, search, search_length, search_title_end, search_body_end)
        SELECT doc.id, t.ordinal, t.start_offset, t.end_offset, t.heading, t.text, t.content_hash, doc.domain, doc.tags,
               t.imported_at, t.reuse_count, t.title, t.symbols,
               {LexicalIndex.Vector("t.title_words", "t.body_words", "t.symbol_words")}, t.search_length, t.title_end, t.body_end
        FROM doc, unnest($8::integer[], $9::integer[], $10::integer[], $11::text[], $12::text[], $13::text[],
                         $14::timestamptz[], $15::integer[], $16::text[], $17::text[], $18::text[], $19::text[], $20::text[],
                         $21::integer[], $22::integer[], $23::integer[])
            AS t(ordinal, start_offset, end_offset, heading, text, content_hash, imported_at, reuse_count, title, symbols,
                 title_words, body_words, symbol_words, search_length, title_end, body_end)
        """;

    public static async Task<IReadOnlyList<WriteResult>> WriteAsync(PostgresConnector connector, IReadOnlyList<ExportedDocument> documents, CancellationToken cancellationToken)
    {
        foreach (var document in documents) RejectUnstorableText(document);
        cancellationToken.ThrowIfCancellationRequested();
        if (documents.Count == 0) return [];

        await using var connection = await connector.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var sources = documents.Select(d => d.Document.Source).ToArray();
        var (oldChunks, oldTokens) = await LockAndMeasureAsync(connection, transaction, sources, cancellationToken).ConfigureAwait(false);
        await using var batch = new NpgsqlBatch(connection, transaction);
        var deletes = new List<NpgsqlBatchCommand>(documents.Count);
        var written = new Dictionary<string, (long Chunks, long Tokens)>(StringComparer.Ordinal);
        foreach (var document in documents)
        {
            var delete = new NpgsqlBatchCommand(DeleteChunks);
            delete.Parameters.AddWithValue(document.Document.Source);
            batch.BatchCommands.Add(delete);
            deletes.Add(delete);
            batch.BatchCommands.Add(Upsert(document, out var tokens));
            // A source written twice in one batch keeps only its last version.
            written[document.Document.Source] = (document.Chunks.Count, tokens);
        }
        // Last, so the one-row totals stay locked only for the commit.
        batch.BatchCommands.Add(LexicalIndex.ChangeTotals(
            written.Values.Sum(w => w.Chunks) - oldChunks, written.Values.Sum(w => w.Tokens) - oldTokens));
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        // Commit is the only point of no return: cancellation before it rolls the whole batch back.
        cancellationToken.ThrowIfCancellationRequested();
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return documents.Select((d, i) => new WriteResult(d.Chunks.Count, checked((int)deletes[i].RecordsAffected))).ToList();
    }

    /// <summary>
    /// Removes documents, their chunks (and so their tsvectors) and the vectors of texts no other chunk
    /// holds, in one transaction under the same per-source locks as writes. Returns the chunks removed.
    /// </summary>
    public static async Task<int> DeleteAsync(PostgresConnector connector, IReadOnlyCollection<string> sources, CancellationToken cancellationToken)
    {
        var distinct = sources.Distinct(StringComparer.Ordinal).ToArray();
        if (distinct.Length == 0) return 0;
        await using var connection = await connector.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var locks = new NpgsqlCommand(LockSources, connection, transaction))
        {
            locks.Parameters.AddWithValue(distinct);
            await locks.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        var hashes = new List<string>();
        var tokens = 0L;
        await using (var chunks = new NpgsqlCommand(
            "DELETE FROM chunks WHERE document_id IN (SELECT id FROM documents WHERE source = ANY($1)) RETURNING content_hash, search_length", connection, transaction))
        {
            chunks.Parameters.AddWithValue(distinct);
            await using var reader = await chunks.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                hashes.Add(reader.GetString(0));
                tokens += reader.GetInt32(1);
            }
        }
        await using (var documents = new NpgsqlCommand("DELETE FROM documents WHERE source = ANY($1)", connection, transaction))
        {
            documents.Parameters.AddWithValue(distinct);
            await documents.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        // Vectors are keyed by text, so a vector stays while another document still holds the same text.
        await using (var orphans = new NpgsqlCommand(
            "DELETE FROM embeddings e WHERE e.content_hash = ANY($1) AND NOT EXISTS (SELECT 1 FROM chunks c WHERE c.content_hash = e.content_hash)", connection, transaction))
        {
            orphans.Parameters.AddWithValue(hashes.Distinct(StringComparer.Ordinal).ToArray());
            await orphans.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await using (var totals = new NpgsqlBatch(connection, transaction))
        {
            totals.BatchCommands.Add(LexicalIndex.ChangeTotals(-hashes.Count, -tokens));
            await totals.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        cancellationToken.ThrowIfCancellationRequested();
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return hashes.Count;
    }

    /// <summary>
    /// Takes the per-source locks (in key order, so two batches touching the same sources cannot
    /// deadlock) and measures the chunks and tokens those sources hold now, which the write replaces.
    /// </summary>
    private static async Task<(long Chunks, long Tokens)> LockAndMeasureAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string[] sources, CancellationToken cancellationToken)
    {
        await using (var locks = new NpgsqlCommand(LockSources, connection, transaction))
        {
            locks.Parameters.AddWithValue(sources);
            await locks.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await using var measure = new NpgsqlCommand(
            "SELECT count(*), coalesce(sum(search_length), 0)::bigint FROM chunks WHERE document_id IN (SELECT id FROM documents WHERE source = ANY($1))",
            connection, transaction);
        measure.Parameters.AddWithValue(sources);
        await using var reader = await measure.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    private static NpgsqlBatchCommand Upsert(ExportedDocument document, out long tokens)
    {
        var d = document.Document;
        var chunks = document.Chunks;
        var command = new NpgsqlBatchCommand(UpsertWithChunks);
        var p = command.Parameters;
        p.AddWithValue(d.Source);
        p.AddWithValue(d.ContentHash);
        p.AddWithValue(d.SizeBytes);
        p.AddWithValue(PostgresMemoryStore.ToMicroseconds(d.ModifiedAt));
        p.AddWithValue(d.Domain);
        p.AddWithValue(d.Tags.ToArray());
        p.AddWithValue(PostgresMemoryStore.ToMicroseconds(document.ImportedAt));
        p.AddWithValue(chunks.Select(c => c.Ordinal).ToArray());
        p.AddWithValue(chunks.Select(c => c.StartOffset).ToArray());
        p.AddWithValue(chunks.Select(c => c.EndOffset).ToArray());
        p.Add(new NpgsqlParameter { Value = chunks.Select(c => c.Heading).ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
        p.AddWithValue(chunks.Select(c => c.Text).ToArray());
        p.AddWithValue(chunks.Select(c => c.ContentHash).ToArray());
        p.AddWithValue(chunks.Select(c => PostgresMemoryStore.ToMicroseconds(c.ImportedAt)).ToArray());
        p.AddWithValue(chunks.Select(c => c.ReuseCount).ToArray());
        p.AddWithValue(chunks.Select(c => c.Title).ToArray());
        p.AddWithValue(chunks.Select(c => c.Symbols).ToArray());
        var titles = chunks.Select(c => SearchText.Normalize(c.Title)).ToArray();
        var bodies = chunks.Select(c => SearchText.Normalize(c.Text)).ToArray();
        var symbols = chunks.Select(c => SearchText.Normalize(c.Symbols)).ToArray();
        var counts = chunks.Select((_, i) => LexicalIndex.TokenCounts(titles[i], bodies[i], symbols[i])).ToArray();
        p.AddWithValue(titles);
        p.AddWithValue(bodies);
        p.AddWithValue(symbols);
        p.AddWithValue(counts.Select(c => c.Length).ToArray());
        p.AddWithValue(counts.Select(c => c.TitleEnd).ToArray());
        p.AddWithValue(counts.Select(c => c.BodyEnd).ToArray());
        tokens = counts.Sum(c => (long)c.Length);
        return command;
    }

    /// <summary>PostgreSQL text cannot hold NUL; refuse the whole batch before anything is written.</summary>
    private static void RejectUnstorableText(ExportedDocument document)
    {
        var d = document.Document;
        var fields = new[] { d.Source, d.ContentHash, d.Domain }
            .Concat(d.Tags)
            .Concat(document.Chunks.SelectMany(c => new[] { c.Text, c.ContentHash, c.Heading ?? "", c.Title, c.Symbols }));
        if (fields.Any(f => f.Contains('\0', StringComparison.Ordinal)))
            throw new InvalidInputException($"{d.Source}: contains a NUL character, which PostgreSQL cannot store; nothing was written");
    }
}
