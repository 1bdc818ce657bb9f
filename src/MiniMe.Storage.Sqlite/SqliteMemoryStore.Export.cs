using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MiniMe.Memory;
using MiniMe.Memory.Lexical;

namespace MiniMe.Storage.Sqlite;

public sealed partial class SqliteMemoryStore
{
    public async IAsyncEnumerable<ExportedDocument> ExportDocumentsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        // BINARY collation compares UTF-8 bytes: the same order as PostgreSQL's COLLATE "C".
        command.CommandText =
            """
            SELECT d.source, d.content_hash, d.size_bytes, d.modified_at, d.domain, d.tags, d.imported_at,
                   c.ordinal, c.start_offset, c.end_offset, c.text, c.content_hash, c.heading, c.imported_at, c.reuse_count
            FROM documents d LEFT JOIN chunks c ON c.document_id = d.id
            ORDER BY d.source, c.ordinal
            """;
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
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
                    new DocumentRecord(source, reader.GetString(1), reader.GetInt64(2), ParseTime(reader.GetString(3)), reader.GetString(4), TagCodec.Decode(reader.GetString(5))),
                    ParseTime(reader.GetString(6)),
                    chunks);
            }
            if (reader.IsDBNull(7)) continue;
            var text = reader.GetString(10);
            var heading = reader.IsDBNull(12) ? null : reader.GetString(12);
            // The FTS index is contentless, so title and symbols are derived again exactly as the importer derives them.
            chunks.Add(new ExportedChunk(
                Ordinal: reader.GetInt32(7),
                StartOffset: reader.GetInt32(8),
                EndOffset: reader.GetInt32(9),
                Text: text,
                ContentHash: reader.GetString(11),
                Heading: heading,
                Title: SymbolExtractor.ChunkTitle(source, heading),
                Symbols: SymbolExtractor.Extract(text),
                ImportedAt: ParseTime(reader.GetString(13)),
                ReuseCount: reader.GetInt32(14)));
        }
        if (current is not null) yield return current;
    }

    public async IAsyncEnumerable<ExportedEmbedding> ExportEmbeddingsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT content_hash, model, vector FROM embeddings ORDER BY model, content_hash";
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var blob = (byte[])reader.GetValue(2);
            yield return new ExportedEmbedding(reader.GetString(0), reader.GetString(1), MemoryMarshal.Cast<byte, float>(blob).ToArray());
        }
    }

    private static DateTimeOffset ParseTime(string value) => DateTimeOffset.Parse(value, CultureInfo.InvariantCulture);
}
