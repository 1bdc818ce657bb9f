using System.Diagnostics;
using System.Globalization;
using Lucene.Net.Analysis.En;
using Lucene.Net.Documents;
using Lucene.Net.Index;
using Lucene.Net.Search.Similarities;
using Lucene.Net.Util;
using Microsoft.Data.Sqlite;
using MiniMe.Memory;
using MiniMe.Memory.Lexical;
using MiniMe.Storage.Sqlite;

namespace MiniMe.Bench.Memory;

/// <summary>
/// The import's floor: the rows an import stored, written again the simplest way — one transaction of prepared
/// inserts with plain ADO.NET into a fresh memory.db (documents, chunks, FTS5 postings), and the same chunks as
/// Lucene.Net documents with one IndexWriter and one commit. Reading, chunking and classifying are not in it.
/// </summary>
internal static class ImportFloor
{
    public static List<DocumentWrite> ReadRows(string databasePath)
    {
        var documents = new Dictionary<long, (DocumentRecord Record, List<ChunkRecord> Chunks)>();
        using var connection = new SqliteConnection($"Data Source={databasePath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT id, source, content_hash, size_bytes, modified_at, domain FROM documents ORDER BY id";
            using var reader = command.ExecuteReader();
            while (reader.Read())
                documents[reader.GetInt64(0)] = (new DocumentRecord(reader.GetString(1), reader.GetString(2), reader.GetInt64(3),
                    DateTimeOffset.Parse(reader.GetString(4), CultureInfo.InvariantCulture), reader.GetString(5), []), []);
        }
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT document_id, ordinal, start_offset, end_offset, text, content_hash, heading FROM chunks ORDER BY id";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var document = documents[reader.GetInt64(0)];
                var heading = reader.IsDBNull(6) ? null : reader.GetString(6);
                var text = reader.GetString(4);
                document.Chunks.Add(new ChunkRecord(reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3), text, reader.GetString(5), heading,
                    SymbolExtractor.ChunkTitle(document.Record.Source, heading), SymbolExtractor.Extract(text)));
            }
        }
        return [.. documents.Values.Select(d => new DocumentWrite(d.Record, d.Chunks))];
    }

    public static async Task<TimeSpan> WriteSqliteAsync(string path, IReadOnlyList<DocumentWrite> rows, CancellationToken cancellationToken)
    {
        await using (var schema = new SqliteMemoryStore(path)) await schema.InitializeAsync(cancellationToken);
        SqliteConnection.ClearAllPools();
        var clock = Stopwatch.StartNew();
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using (var pragma = connection.CreateCommand())
        {
            pragma.CommandText = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL";
            pragma.ExecuteNonQuery();
        }
        using var transaction = connection.BeginTransaction();
        var now = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        using var document = Prepare(connection, transaction,
            "INSERT INTO documents (source, content_hash, size_bytes, modified_at, domain, tags, imported_at) VALUES ($source, $hash, $size, $modified, $domain, '', $now) RETURNING id",
            "$source", "$hash", "$size", "$modified", "$domain", "$now");
        using var chunk = Prepare(connection, transaction,
            "INSERT INTO chunks (document_id, ordinal, start_offset, end_offset, heading, text, content_hash, domain, tags, imported_at, title, symbols) VALUES ($doc, $ordinal, $start, $end, $heading, $text, $hash, $domain, '', $now, $title, $symbols) RETURNING id",
            "$doc", "$ordinal", "$start", "$end", "$heading", "$text", "$hash", "$domain", "$now", "$title", "$symbols");
        using var fts = Prepare(connection, transaction, "INSERT INTO chunks_fts (rowid, title, body, symbols) VALUES ($id, $title, $body, $symbols)",
            "$id", "$title", "$body", "$symbols");
        foreach (var write in rows)
        {
            var d = write.Document;
            Set(document, d.Source, d.ContentHash, d.SizeBytes, d.ModifiedAt.ToString("O", CultureInfo.InvariantCulture), d.Domain, now);
            var id = (long)document.ExecuteScalar()!;
            foreach (var c in write.Chunks)
            {
                Set(chunk, id, c.Ordinal, c.StartOffset, c.EndOffset, (object?)c.Heading ?? DBNull.Value, c.Text, c.ContentHash, d.Domain, now, c.Title, c.Symbols);
                var chunkId = (long)chunk.ExecuteScalar()!;
                Set(fts, chunkId, c.Title, c.Text, c.Symbols);
                fts.ExecuteNonQuery();
            }
        }
        transaction.Commit();
        return clock.Elapsed;
    }

    public static TimeSpan WriteLucene(string path, IReadOnlyList<DocumentWrite> rows)
    {
        var clock = Stopwatch.StartNew();
        using var directory = Lucene.Net.Store.FSDirectory.Open(path);
        using var analyzer = new EnglishAnalyzer(LuceneVersion.LUCENE_48);
        using var writer = new IndexWriter(directory, new IndexWriterConfig(LuceneVersion.LUCENE_48, analyzer) { OpenMode = OpenMode.CREATE, Similarity = new BM25Similarity() });
        var id = 0L;
        foreach (var write in rows)
            foreach (var c in write.Chunks)
                writer.AddDocument(
                [
                    new StringField("id", (++id).ToString(CultureInfo.InvariantCulture), Field.Store.NO),
                    new TextField("title", c.Title, Field.Store.NO),
                    new TextField("body", c.Text, Field.Store.NO),
                    new TextField("symbols", c.Symbols, Field.Store.NO),
                ]);
        writer.Commit();
        return clock.Elapsed;
    }

    private static SqliteCommand Prepare(SqliteConnection connection, SqliteTransaction transaction, string sql, params string[] names)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var name in names) command.Parameters.Add(new SqliteParameter(name, null));
        command.Prepare();
        return command;
    }

    private static void Set(SqliteCommand command, params object[] values)
    {
        for (var i = 0; i < values.Length; i++) command.Parameters[i].Value = values[i];
    }
}
