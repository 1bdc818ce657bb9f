using System.Collections.Concurrent;
using System.Globalization;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Data.Sqlite;
using MiniMe.Configuration;
using MiniMe.Memory;
using MiniMe.Memory.Vectors;
using MiniMe.Storage.Sqlite.Lexical;

namespace MiniMe.Storage.Sqlite;

/// <summary>
/// The embedded memory store: one SQLite file in WAL mode, FTS5 (porter stemming) for BM25,
/// vectors as float32 blobs keyed by content hash so unchanged text is never re-embedded.
/// Dense search scans exactly below <see cref="VectorOptions.AnnThreshold"/> vectors and uses an
/// HNSW index file per embedding model above it. Lexical search asks the Lucene.Net index in the folder memory.db.lexical
/// (<see cref="SqliteLexicalIndex"/>, a cache of memory.db kept exact by a generation counter) and FTS5 whenever that
/// index cannot answer exactly (being rebuilt, behind and locked by another process, or an expression it does not translate).
/// </summary>
public sealed partial class SqliteMemoryStore : IMemoryStore, IVectorIndexMaintenance, IMemoryExport
{
    private readonly SqliteDatabase _database;
    private readonly VectorOptions _vectorOptions;
    private readonly ConcurrentDictionary<string, SqliteVectorIndex> _vectorIndexes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SqliteExactScanCache> _exactScans = new(StringComparer.Ordinal);
    private readonly SqliteLexicalIndex? _lexical;

    /// <param name="allowEmptyFile">Start an empty memory in a 0-byte memory.db (--force) instead of refusing it.</param>
    /// <param name="lexicalEngine">Fts5 ranks with FTS5's bm25() only (no Lucene folder): what the PostgreSQL store reproduces.</param>
    public SqliteMemoryStore(string databasePath, VectorOptions? vectorOptions = null, bool allowEmptyFile = false, SqliteLexicalEngine lexicalEngine = SqliteLexicalEngine.Lucene)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        _vectorOptions = vectorOptions ?? new VectorOptions();
        _database = new SqliteDatabase(databasePath, allowEmptyFile);
        if (lexicalEngine == SqliteLexicalEngine.Lucene) _lexical = new SqliteLexicalIndex(_database.Path, _database.Open);
    }

    /// <summary>The Lucene index beside memory.db, or null when the store ranks with FTS5 only.</summary>
    internal SqliteLexicalIndex? LexicalIndex => _lexical;

    public string DatabasePath => _database.Path;

    public Task InitializeAsync(CancellationToken cancellationToken)
    {
        _database.Initialize(cancellationToken);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyDictionary<string, string>> GetDocumentHashesAsync(CancellationToken cancellationToken)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT source, content_hash FROM documents";
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            cancellationToken.ThrowIfCancellationRequested();
            result[reader.GetString(0)] = reader.GetString(1);
        }
        return Task.FromResult<IReadOnlyDictionary<string, string>>(result);
    }

    public Task<IReadOnlyList<WriteResult>> WriteDocumentsAsync(IReadOnlyList<DocumentWrite> documents, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(documents);
        cancellationToken.ThrowIfCancellationRequested();
        var results = new List<WriteResult>(documents.Count);
        using var connection = OpenForWrite();
        using var transaction = connection.BeginTransaction();
        using var statements = new WriteStatements(connection, transaction);
        var generation = BeginGeneration(connection, transaction);
        var now = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        var written = new List<(long, long?, IReadOnlyList<(long, ChunkRecord)>, DocumentRecord)>(documents.Count);
        foreach (var write in documents)
        {
            var (result, documentId, replaced, chunkIds) = statements.Write(write, now, generation);
            results.Add(result);
            written.Add((documentId, replaced, chunkIds, write.Document));
        }
        // Commit is the only point of no return: cancellation before it rolls the whole batch back.
        cancellationToken.ThrowIfCancellationRequested();
        transaction.Commit();
        // After the commit: the Lucene folder is a cache of memory.db and catches up from lexical_log if this is interrupted.
        _lexical?.OnWritten(generation, written);
        return Task.FromResult<IReadOnlyList<WriteResult>>(results);
    }

    public Task<int> DeleteDocumentsAsync(IReadOnlyCollection<string> sources, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sources);
        if (sources.Count == 0) return Task.FromResult(0);
        var removed = 0;
        var hashes = new HashSet<string>(StringComparer.Ordinal);
        var orphaned = new List<(string Model, string Hash)>();
        using (var connection = Open())
        using (var transaction = connection.BeginTransaction())
        {
            SqliteCommand Make(string sql)
            {
                var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = sql;
                return command;
            }
            var generation = BeginGeneration(connection, transaction);
            var deletedDocuments = new List<long>();
            using var find = Make("SELECT id FROM documents WHERE source = $source");
            using var log = Make(LogChunksSql);
            log.Parameters.AddWithValue("$gen", generation);
            var logDocument = log.Parameters.Add("$doc", SqliteType.Integer);
            using var chunkHashes = Make("SELECT DISTINCT content_hash FROM chunks WHERE document_id = $doc");
            using var deleteFts = Make("DELETE FROM chunks_fts WHERE rowid IN (SELECT id FROM chunks WHERE document_id = $doc)");
            using var deleteChunks = Make("DELETE FROM chunks WHERE document_id = $doc");
            using var deleteDocument = Make("DELETE FROM documents WHERE id = $doc");
            foreach (var source in sources.Distinct(StringComparer.Ordinal))
            {
                cancellationToken.ThrowIfCancellationRequested();
                find.Parameters.Clear();
                find.Parameters.AddWithValue("$source", source);
                if (find.ExecuteScalar() is not long id) continue;
                deletedDocuments.Add(id);
                logDocument.Value = id;
                log.ExecuteNonQuery();
                chunkHashes.Parameters.Clear();
                chunkHashes.Parameters.AddWithValue("$doc", id);
                using (var reader = chunkHashes.ExecuteReader())
                    while (reader.Read()) hashes.Add(reader.GetString(0));
                foreach (var command in new[] { deleteFts, deleteChunks, deleteDocument })
                {
                    command.Parameters.Clear();
                    command.Parameters.AddWithValue("$doc", id);
                    var rows = command.ExecuteNonQuery();
                    if (ReferenceEquals(command, deleteChunks)) removed += rows;
                }
            }
            // Vectors are keyed by text, so a vector stays while another document still holds the same text.
            using var orphans = Make(
                "DELETE FROM embeddings WHERE content_hash = $hash AND NOT EXISTS (SELECT 1 FROM chunks WHERE content_hash = $hash) RETURNING model");
            foreach (var hash in hashes)
            {
                orphans.Parameters.Clear();
                orphans.Parameters.AddWithValue("$hash", hash);
                using var reader = orphans.ExecuteReader();
                while (reader.Read()) orphaned.Add((reader.GetString(0), hash));
            }
            cancellationToken.ThrowIfCancellationRequested();
            transaction.Commit();
            _lexical?.OnDeleted(generation, deletedDocuments);
        }
        // After the commit: the index files are caches of memory.db; a loaded one drops the vectors now.
        foreach (var group in orphaned.GroupBy(o => o.Model, StringComparer.Ordinal))
            if (_vectorIndexes.TryGetValue(group.Key, out var index)) index.OnDeleted([.. group.Select(o => o.Hash)]);
        return Task.FromResult(removed);
    }

    public Task<IReadOnlyList<Candidate>> SearchLexicalAsync(string matchExpression, int limit, SearchFilter filter, Bm25Weights weights, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(matchExpression);
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(weights);
        if (_lexical?.TrySearch(matchExpression, limit, filter, weights, cancellationToken) is { } hits) return Task.FromResult(hits);
        return Task.FromResult(SearchFts5(matchExpression, limit, filter, weights, cancellationToken));
    }

    /// <summary>FTS5's bm25() over chunks_fts: the engine when the Lucene folder cannot answer exactly, and the only one with <see cref="SqliteLexicalEngine.Fts5"/>.</summary>
    internal IReadOnlyList<Candidate> SearchFts5(string matchExpression, int limit, SearchFilter filter, Bm25Weights weights, CancellationToken cancellationToken)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        StringBuilder sql;
        if (filter.Domain is not { Length: > 0 } && filter.Tags is not { Count: > 0 })
        {
            // No filter: rank inside the FTS index first and join only the top rows, so a query whose
            // terms match most of the corpus does not read every matching chunk's text before sorting.
            sql = new StringBuilder(
                $"""
                SELECT {ChunkColumns}, top.rank
                FROM (SELECT rowid, bm25(chunks_fts, $tw, $bw, $sw) AS rank
                      FROM chunks_fts WHERE chunks_fts MATCH $match ORDER BY rank LIMIT $limit) AS top
                JOIN chunks c ON c.id = top.rowid
                JOIN documents d ON d.id = c.document_id
                ORDER BY top.rank
                """);
        }
        else
        {
            sql = new StringBuilder(
                $"""
                SELECT {ChunkColumns}, bm25(chunks_fts, $tw, $bw, $sw) AS rank
                FROM chunks_fts
                JOIN chunks c ON c.id = chunks_fts.rowid
                JOIN documents d ON d.id = c.document_id
                WHERE chunks_fts MATCH $match
                """);
            AppendFilter(sql, command, filter);
            sql.Append(" ORDER BY rank LIMIT $limit");
        }
        command.CommandText = sql.ToString();
        command.Parameters.AddWithValue("$match", matchExpression);
        command.Parameters.AddWithValue("$tw", weights.Title);
        command.Parameters.AddWithValue("$bw", weights.Body);
        command.Parameters.AddWithValue("$sw", weights.Symbols);
        command.Parameters.AddWithValue("$limit", limit);
        var result = new List<Candidate>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            cancellationToken.ThrowIfCancellationRequested();
            // FTS5's bm25() is negative, lower is better; flip it so higher is better everywhere.
            result.Add(new Candidate(ReadChunk(reader), -reader.GetDouble(ChunkColumnCount)));
        }
        return result;
    }

    /// <summary>Logs every chunk of a document under the transaction's generation (before its rows go, after new ones come).</summary>
    private const string LogChunksSql = "INSERT OR IGNORE INTO lexical_log (generation, chunk_id) SELECT $gen, id FROM chunks WHERE document_id = $doc";

    /// <summary>
    /// Bumps memory.db's lexical generation inside a write transaction, and prunes the log up to what this process last
    /// committed to the Lucene folder (an index behind pruned_through is rebuilt rather than caught up).
    /// </summary>
    private long BeginGeneration(SqliteConnection connection, SqliteTransaction transaction)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        if (_lexical is { CommittedGeneration: > 0 and var committed })
        {
            command.CommandText =
                "DELETE FROM lexical_log WHERE generation <= $through; UPDATE lexical_state SET pruned_through = max(pruned_through, $through) WHERE id = 1";
            command.Parameters.AddWithValue("$through", committed);
            command.ExecuteNonQuery();
            command.Parameters.Clear();
        }
        command.CommandText = "UPDATE lexical_state SET generation = generation + 1 WHERE id = 1 RETURNING generation";
        return (long)command.ExecuteScalar()!;
    }

    public Task<IReadOnlyList<Candidate>> SearchDenseAsync(string model, ReadOnlyMemory<float> query, int limit, SearchFilter filter, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        using var connection = Open();
        var index = VectorIndex(model).ForSearch(query.Length, cancellationToken);
        if (index is not null)
        {
            // Over-fetch, because several hashes may be filtered out (domain, tags) or orphaned
            // (text no longer in any chunk); widen once, then fall back to the exact scan.
            var filtered = filter.Domain is { Length: > 0 } || filter.Tags is { Count: > 0 };
            var fetch = filtered ? Math.Max(limit * 10, 100) : limit + 16;
            for (var round = 0; round < 2; round++)
            {
                var matches = index.Search(query.Span, fetch, Math.Max(_vectorOptions.EfSearch, fetch));
                var found = ResolveChunks(connection, matches.Select(m => (m.Key, m.Score)), limit, filter, cancellationToken);
                if (found.Count >= limit || matches.Count < fetch) return Task.FromResult(found);
                fetch = Math.Min(fetch * 8, 4096);
            }
        }
        // Unfiltered: the in-memory copy of the model's vectors (checked against memory.db's vector generation).
        var exact = filter.Domain is not { Length: > 0 } && filter.Tags is not { Count: > 0 }
            ? _exactScans.GetOrAdd(model, m => new SqliteExactScanCache(m)).Scan(connection, query.Span, cancellationToken)
            : ExactScan(connection, model, query.Span, filter, cancellationToken);
        return Task.FromResult(ResolveChunks(connection, exact, limit, filter, cancellationToken));
    }

    /// <summary>Every vector of the model (only those of chunks passing the filter, when there is one), best first.</summary>
    private static List<(string Hash, float Score)> ExactScan(SqliteConnection connection, string model, ReadOnlySpan<float> q, SearchFilter filter, CancellationToken cancellationToken)
    {
        var scored = new List<(string Hash, float Score)>();
        using var command = connection.CreateCommand();
        var sql = new StringBuilder("SELECT e.content_hash, e.vector FROM embeddings e WHERE e.model = $model");
        if (filter.Domain is { Length: > 0 } || filter.Tags is { Count: > 0 })
        {
            sql.Append(" AND e.content_hash IN (SELECT c.content_hash FROM chunks c WHERE 1 = 1");
            AppendFilter(sql, command, filter);
            sql.Append(')');
        }
        command.CommandText = sql.ToString();
        command.Parameters.AddWithValue("$model", model);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            cancellationToken.ThrowIfCancellationRequested();
            var blob = (byte[])reader.GetValue(1);
            var vector = MemoryMarshal.Cast<byte, float>(blob);
            if (vector.Length != q.Length) continue;
            scored.Add((reader.GetString(0), TensorPrimitives.Dot(q, vector)));
        }
        scored.Sort((a, b) => b.Score.CompareTo(a.Score));
        return scored;
    }

    /// <summary>The chunks holding each scored text, in score order, filtered, up to <paramref name="limit"/>.</summary>
    private static IReadOnlyList<Candidate> ResolveChunks(SqliteConnection connection, IEnumerable<(string Hash, float Score)> scored, int limit, SearchFilter filter, CancellationToken cancellationToken)
    {
        var result = new List<Candidate>();
        using var chunkCommand = connection.CreateCommand();
        var sql = new StringBuilder($"SELECT {ChunkColumns} FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.content_hash = $hash");
        AppendFilter(sql, chunkCommand, filter);
        chunkCommand.CommandText = sql.ToString();
        var hashParameter = chunkCommand.Parameters.Add("$hash", SqliteType.Text);
        foreach (var (hash, score) in scored)
        {
            if (result.Count >= limit) break;
            cancellationToken.ThrowIfCancellationRequested();
            hashParameter.Value = hash;
            using var reader = chunkCommand.ExecuteReader();
            while (reader.Read() && result.Count < limit)
                result.Add(new Candidate(ReadChunk(reader), score));
        }
        return result;
    }

    /// <summary>
    /// Walks ix_chunks_hash from the cursor in hash order, so GROUP BY needs no temporary B-tree and a
    /// page stops after <c>$limit</c> groups; the NOT EXISTS probes the embeddings primary key.
    /// </summary>
    internal const string PendingEmbeddingsSql =
        """
        SELECT c.content_hash, MIN(c.text) FROM chunks c
        WHERE c.content_hash > $after
          AND NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.content_hash = c.content_hash AND e.model = $model)
        GROUP BY c.content_hash ORDER BY c.content_hash LIMIT $limit
        """;

    public Task<IReadOnlyList<PendingEmbedding>> GetPendingEmbeddingsAsync(string model, string? afterContentHash, int limit, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = PendingEmbeddingsSql;
        command.Parameters.AddWithValue("$model", model);
        // Every hash is longer than "", so no cursor means from the first one (BINARY collation: ordinal).
        command.Parameters.AddWithValue("$after", afterContentHash ?? "");
        command.Parameters.AddWithValue("$limit", limit);
        var result = new List<PendingEmbedding>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            cancellationToken.ThrowIfCancellationRequested();
            result.Add(new PendingEmbedding(reader.GetString(0), reader.GetString(1)));
        }
        return Task.FromResult<IReadOnlyList<PendingEmbedding>>(result);
    }

    public Task<long> CountPendingEmbeddingsAsync(string model, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText =
            """
            SELECT COUNT(*) FROM (SELECT 1 FROM chunks c
                WHERE NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.content_hash = c.content_hash AND e.model = $model)
                GROUP BY c.content_hash)
            """;
        command.Parameters.AddWithValue("$model", model);
        return Task.FromResult((long)command.ExecuteScalar()!);
    }

    public Task<IReadOnlyList<DocumentSummary>> ListDocumentsAsync(string? sourcePrefix, CancellationToken cancellationToken)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        var sql = new StringBuilder(
            """
            SELECT d.source, (SELECT COUNT(*) FROM chunks c WHERE c.document_id = d.id), d.size_bytes, d.domain, d.tags, d.imported_at
            FROM documents d
            """);
        if (sourcePrefix is { Length: > 0 })
        {
            // substr, not LIKE: a path may hold % and _.
            sql.Append(" WHERE substr(d.source, 1, length($prefix)) = $prefix");
            command.Parameters.AddWithValue("$prefix", sourcePrefix);
        }
        sql.Append(" ORDER BY d.source");
        command.CommandText = sql.ToString();
        var result = new List<DocumentSummary>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            cancellationToken.ThrowIfCancellationRequested();
            result.Add(new DocumentSummary(
                reader.GetString(0),
                reader.GetInt32(1),
                reader.GetInt64(2),
                reader.GetString(3),
                TagCodec.Decode(reader.GetString(4)),
                DateTimeOffset.Parse(reader.GetString(5), CultureInfo.InvariantCulture)));
        }
        return Task.FromResult<IReadOnlyList<DocumentSummary>>(result);
    }

    public Task PutEmbeddingsAsync(string model, IReadOnlyList<(string ContentHash, ReadOnlyMemory<float> Vector)> vectors, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        ArgumentNullException.ThrowIfNull(vectors);
        var inserted = 0;
        using (var connection = OpenForWrite())
        using (var transaction = connection.BeginTransaction())
        {
            using var exists = connection.CreateCommand();
            exists.Transaction = transaction;
            exists.CommandText = "SELECT 1 FROM embeddings WHERE content_hash = $hash AND model = $model";
            var existsHash = exists.Parameters.Add("$hash", SqliteType.Text);
            exists.Parameters.AddWithValue("$model", model);
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "INSERT OR REPLACE INTO embeddings (content_hash, model, dims, vector) VALUES ($hash, $model, $dims, $vector)";
            var hash = command.Parameters.Add("$hash", SqliteType.Text);
            command.Parameters.AddWithValue("$model", model);
            var dims = command.Parameters.Add("$dims", SqliteType.Integer);
            var blob = command.Parameters.Add("$vector", SqliteType.Blob);
            foreach (var (contentHash, vector) in vectors)
            {
                existsHash.Value = contentHash;
                if (exists.ExecuteScalar() is null) inserted++;
                hash.Value = contentHash;
                dims.Value = vector.Length;
                blob.Value = MemoryMarshal.AsBytes(vector.Span).ToArray();
                command.ExecuteNonQuery();
            }
            cancellationToken.ThrowIfCancellationRequested();
            transaction.Commit();
        }
        // After the commit: the index file is a cache of memory.db and catches up on its next load if this is interrupted.
        VectorIndex(model).OnStored(vectors, inserted, cancellationToken);
        return Task.CompletedTask;
    }

    public Task IncrementReuseAsync(IReadOnlyCollection<long> chunkIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chunkIds);
        if (chunkIds.Count == 0) return Task.CompletedTask;
        using var connection = OpenForWrite();
        using var transaction = connection.BeginTransaction();
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "UPDATE chunks SET reuse_count = reuse_count + 1 WHERE id = $id";
        var id = command.Parameters.Add("$id", SqliteType.Integer);
        foreach (var chunkId in chunkIds)
        {
            id.Value = chunkId;
            command.ExecuteNonQuery();
        }
        transaction.Commit();
        return Task.CompletedTask;
    }

    public Task<MemoryStats> GetStatsAsync(CancellationToken cancellationToken)
    {
        using var connection = Open();
        var documents = (long)SqliteSchema.Scalar(connection, "SELECT COUNT(*) FROM documents")!;
        var chunks = (long)SqliteSchema.Scalar(connection, "SELECT COUNT(*) FROM chunks")!;
        var embeddings = (long)SqliteSchema.Scalar(connection, "SELECT COUNT(*) FROM embeddings")!;
        var byDomain = new Dictionary<string, long>(StringComparer.Ordinal);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT domain, COUNT(*) FROM chunks GROUP BY domain ORDER BY 2 DESC";
        using var reader = command.ExecuteReader();
        while (reader.Read()) byDomain[reader.GetString(0)] = reader.GetInt64(1);
        return Task.FromResult(new MemoryStats(documents, chunks, embeddings, byDomain));
    }

    public Task<IReadOnlyList<VectorIndexStatus>> GetVectorIndexStatusAsync(CancellationToken cancellationToken)
    {
        var models = new List<string>();
        using (var connection = Open())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT DISTINCT model FROM embeddings ORDER BY model";
            using var reader = command.ExecuteReader();
            while (reader.Read()) models.Add(reader.GetString(0));
        }
        var result = new List<VectorIndexStatus>(models.Count);
        foreach (var model in models)
        {
            cancellationToken.ThrowIfCancellationRequested();
            result.Add(VectorIndex(model).Status());
        }
        return Task.FromResult<IReadOnlyList<VectorIndexStatus>>(result);
    }

    public Task<VectorIndexStatus> RebuildVectorIndexAsync(string model, IProgress<VectorIndexProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        return Task.FromResult(VectorIndex(model).Rebuild(progress, cancellationToken));
    }

    /// <summary>The evidence graph's edges in this file, written through this store's database instance (docs/evidence.md).</summary>
    public SqliteEvidenceStore Evidence() => new(_database);

    public ValueTask DisposeAsync()
    {
        foreach (var index in _vectorIndexes.Values) index.Save();
        _lexical?.Dispose();
        // Pooled connections keep the WAL open; release them so the file can be copied or deleted.
        SqliteConnection.ClearAllPools();
        _database.RecordWrites();
        return ValueTask.CompletedTask;
    }

    private SqliteVectorIndex VectorIndex(string model) =>
        _vectorIndexes.GetOrAdd(model, m => new SqliteVectorIndex(DatabasePath, m, _vectorOptions, Open));

    private SqliteConnection Open() => _database.Open();

    /// <summary>For writes: the first one makes sure the file is not damaged (<see cref="SqliteDatabase.EnsureSound"/>).</summary>
    private SqliteConnection OpenForWrite() => _database.OpenForWrite();

    internal const string ChunkColumns =
        "c.id, d.source, c.start_offset, c.end_offset, c.domain, c.tags, c.text, c.heading, c.content_hash, c.imported_at, c.reuse_count";
    private const int ChunkColumnCount = 11;

    internal static StoredChunk ReadChunk(SqliteDataReader reader) => new(
        Id: reader.GetInt64(0),
        Source: reader.GetString(1),
        StartOffset: reader.GetInt32(2),
        EndOffset: reader.GetInt32(3),
        Domain: reader.GetString(4),
        Tags: TagCodec.Decode(reader.GetString(5)),
        Text: reader.GetString(6),
        Heading: reader.IsDBNull(7) ? null : reader.GetString(7),
        ContentHash: reader.GetString(8),
        ImportedAt: DateTimeOffset.Parse(reader.GetString(9), CultureInfo.InvariantCulture),
        ReuseCount: reader.GetInt32(10));

    private static void AppendFilter(StringBuilder sql, SqliteCommand command, SearchFilter filter)
    {
        if (filter.Domain is { Length: > 0 } domain)
        {
            sql.Append(" AND c.domain = $domain");
            command.Parameters.AddWithValue("$domain", domain);
        }
        if (filter.Tags is { Count: > 0 } tags)
        {
            for (var i = 0; i < tags.Count; i++)
            {
                // Tags are stored as ",a,b,"; instr avoids LIKE wildcards in user input.
                sql.Append(CultureInfo.InvariantCulture, $" AND instr(c.tags, $tag{i}) > 0");
                command.Parameters.AddWithValue($"$tag{i}", $",{tags[i]},");
            }
        }
    }

    /// <summary>Prepared statements for one write transaction.</summary>
    private sealed class WriteStatements : IDisposable
    {
        private readonly SqliteCommand _findDocument;
        private readonly SqliteCommand _deleteFts;
        private readonly SqliteCommand _deleteChunks;
        private readonly SqliteCommand _upsertDocument;
        private readonly SqliteCommand _insertChunk;
        private readonly SqliteCommand _insertFts;
        private readonly SqliteCommand _log;

        public WriteStatements(SqliteConnection connection, SqliteTransaction transaction)
        {
            // Parameters are added once and only their values change: no re-binding by name per row.
            SqliteCommand Make(string sql, params string[] names)
            {
                var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = sql;
                foreach (var name in names) command.Parameters.Add(new SqliteParameter(name, null));
                return command;
            }
            _findDocument = Make("SELECT id FROM documents WHERE source = $source", "$source");
            _deleteFts = Make("DELETE FROM chunks_fts WHERE rowid IN (SELECT id FROM chunks WHERE document_id = $doc)", "$doc");
            _deleteChunks = Make("DELETE FROM chunks WHERE document_id = $doc", "$doc");
            _upsertDocument = Make(
                """
                INSERT INTO documents (source, content_hash, size_bytes, modified_at, domain, tags, imported_at)
                VALUES ($source, $hash, $size, $modified, $domain, $tags, $now)
                ON CONFLICT(source) DO UPDATE SET content_hash = excluded.content_hash, size_bytes = excluded.size_bytes,
                    modified_at = excluded.modified_at, domain = excluded.domain, tags = excluded.tags, imported_at = excluded.imported_at
                RETURNING id
                """, "$source", "$hash", "$size", "$modified", "$domain", "$tags", "$now");
            _insertChunk = Make(
                """
                INSERT INTO chunks (document_id, ordinal, start_offset, end_offset, heading, text, content_hash, domain, tags, imported_at, title, symbols)
                VALUES ($doc, $ordinal, $start, $end, $heading, $text, $hash, $domain, $tags, $now, $title, $symbols)
                RETURNING id
                """, "$doc", "$ordinal", "$start", "$end", "$heading", "$text", "$hash", "$domain", "$tags", "$now", "$title", "$symbols");
            _insertFts = Make("INSERT INTO chunks_fts (rowid, title, body, symbols) VALUES ($id, $title, $body, $symbols)", "$id", "$title", "$body", "$symbols");
            _log = Make(LogChunksSql, "$gen", "$doc");
        }

        public (WriteResult Result, long DocumentId, long? Replaced, IReadOnlyList<(long, ChunkRecord)> Chunks) Write(DocumentWrite write, string now, long generation)
        {
            var document = write.Document;
            var tags = TagCodec.Encode(document.Tags);
            var removed = 0;
            long? replaced = null;
            if (Set(_findDocument, document.Source).ExecuteScalar() is long existing)
            {
                replaced = existing;
                Set(_log, generation, existing).ExecuteNonQuery();
                Set(_deleteFts, existing).ExecuteNonQuery();
                removed = Set(_deleteChunks, existing).ExecuteNonQuery();
            }
            var documentId = (long)Set(_upsertDocument, document.Source, document.ContentHash, document.SizeBytes,
                document.ModifiedAt.ToString("O", CultureInfo.InvariantCulture), document.Domain, tags, now).ExecuteScalar()!;

            var chunkIds = new List<(long, ChunkRecord)>(write.Chunks.Count);
            foreach (var chunk in write.Chunks)
            {
                var chunkId = (long)Set(_insertChunk, documentId, chunk.Ordinal, chunk.StartOffset, chunk.EndOffset, (object?)chunk.Heading ?? DBNull.Value,
                    chunk.Text, chunk.ContentHash, document.Domain, tags, now, chunk.Title, chunk.Symbols).ExecuteScalar()!;
                Set(_insertFts, chunkId, chunk.Title, chunk.Text, chunk.Symbols).ExecuteNonQuery();
                chunkIds.Add((chunkId, chunk));
            }
            Set(_log, generation, documentId).ExecuteNonQuery();
            return (new WriteResult(write.Chunks.Count, removed), documentId, replaced, chunkIds);
        }

        /// <summary>The command with its parameters' values, in the order they were added.</summary>
        private static SqliteCommand Set(SqliteCommand command, params object[] values)
        {
            for (var i = 0; i < values.Length; i++) command.Parameters[i].Value = values[i];
            return command;
        }

        public void Dispose()
        {
            _findDocument.Dispose();
            _deleteFts.Dispose();
            _deleteChunks.Dispose();
            _upsertDocument.Dispose();
            _insertChunk.Dispose();
            _insertFts.Dispose();
            _log.Dispose();
        }
    }
}
