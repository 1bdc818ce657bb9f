using System.Runtime.CompilerServices;
using MiniMe.Memory;
using Npgsql;

namespace MiniMe.Storage.Postgres;

public sealed partial class PostgresMemoryStore
{
    public async IAsyncEnumerable<ExportedDocument> ExportDocumentsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await _connector.OpenAsync(cancellationToken).ConfigureAwait(false);
        // COLLATE "C" orders by UTF-8 bytes, as SQLite's BINARY collation does.
        await using var command = new NpgsqlCommand(
            """
            SELECT d.source, d.content_hash, d.size_bytes, d.modified_at, d.domain, d.tags, d.imported_at,
                   c.ordinal, c.start_offset, c.end_offset, c.text, c.content_hash, c.heading, c.title, c.symbols, c.imported_at, c.reuse_count
            FROM documents d LEFT JOIN chunks c ON c.document_id = d.id
            ORDER BY d.source COLLATE "C", c.ordinal
            """, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        ExportedDocument? current = null;
        List<ExportedChunk> chunks = [];
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var source = reader.GetString(0);
            if (current is null || !string.Equals(current.Document.Source, source, StringComparison.Ordinal))
            {
                if (current is not null) yield return current;
                chunks = [];
                current = new ExportedDocument(
                    new DocumentRecord(source, reader.GetString(1), reader.GetInt64(2), Utc(reader.GetFieldValue<DateTime>(3)), reader.GetString(4), reader.GetFieldValue<string[]>(5)),
                    Utc(reader.GetFieldValue<DateTime>(6)),
                    chunks);
            }
            if (reader.IsDBNull(7)) continue;
            chunks.Add(new ExportedChunk(
                Ordinal: reader.GetInt32(7),
                StartOffset: reader.GetInt32(8),
                EndOffset: reader.GetInt32(9),
                Text: reader.GetString(10),
                ContentHash: reader.GetString(11),
                Heading: reader.IsDBNull(12) ? null : reader.GetString(12),
                Title: reader.GetString(13),
                Symbols: reader.GetString(14),
                ImportedAt: Utc(reader.GetFieldValue<DateTime>(15)),
                ReuseCount: reader.GetInt32(16)));
        }
        if (current is not null) yield return current;
    }

    public async IAsyncEnumerable<ExportedEmbedding> ExportEmbeddingsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await _connector.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            """SELECT content_hash, model, vector FROM embeddings ORDER BY model COLLATE "C", content_hash COLLATE "C" """, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            yield return new ExportedEmbedding(reader.GetString(0), reader.GetString(1), reader.GetFieldValue<float[]>(2));
    }

    public async Task ImportDocumentsAsync(IReadOnlyList<ExportedDocument> documents, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(documents);
        await DocumentWriter.WriteAsync(_connector, documents, cancellationToken).ConfigureAwait(false);
    }

    public Task ImportEmbeddingsAsync(IReadOnlyList<ExportedEmbedding> embeddings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        return UpsertEmbeddingsAsync(embeddings, cancellationToken);
    }
}
