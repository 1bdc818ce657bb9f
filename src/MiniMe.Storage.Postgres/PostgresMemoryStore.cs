using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using MiniMe.Configuration;
using MiniMe.Memory;
using Npgsql;

namespace MiniMe.Storage.Postgres;

/// <summary>
/// The server memory store: the same contract as the SQLite store on PostgreSQL. Lexical search is
/// PostgreSQL full-text search (a weighted tsvector per chunk under a GIN index) ranked by the same
/// BM25 as the SQLite store's FTS5 (<see cref="Bm25Search"/>); vectors are float4[] keyed by content hash, searched with pgvector's
/// HNSW index when the server has the extension and by an exact cosine scan in SQL otherwise.
/// </summary>
public sealed partial class PostgresMemoryStore : IMemoryStore, IMemoryExport, IMemoryImport
{
    private readonly PostgresConnector _connector;
    private readonly PostgresVectorSearch _vectorSearch;
    private readonly VectorOptions _vectors;
    private readonly HashSet<int> _indexedDims = [];
    private readonly Lock _indexLock = new();
    private readonly ConcurrentDictionary<(string Model, int Dims), long> _vectorCounts = new();
    private VectorSearchPath? _vectorPath;

    /// <param name="schema">Keeps this store's tables in their own schema (a server user's memory), created on first use.</param>
    /// <param name="vectors">vectors.*: HNSW m and ef_construction for the pgvector index, ef_search per search, and the size below which searches are exact.</param>
    public PostgresMemoryStore(string connectionString, PostgresVectorSearch vectorSearch = PostgresVectorSearch.Auto, string? schema = null, VectorOptions? vectors = null)
    {
        _connector = new PostgresConnector(connectionString, schema);
        _vectorSearch = vectorSearch;
        _vectors = vectors ?? new VectorOptions();
    }

    /// <summary>Where the store connects ("host=... port=... database=... user=..."), without the password.</summary>
    public string Endpoint => _connector.Endpoint;

    /// <summary>The dense-search path chosen by <see cref="InitializeAsync"/>.</summary>
    public VectorSearchPath VectorPath => _vectorPath ?? throw new InvalidOperationException("The store is not initialized.");

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _connector.OpenAsync(cancellationToken).ConfigureAwait(false);
        await _connector.MigrateAsync(connection, cancellationToken).ConfigureAwait(false);
        var path = await VectorSearchPath.DetectAsync(connection, _vectorSearch, _vectors, _connector.Schema is not null, cancellationToken).ConfigureAwait(false);
        _vectorPath = path;
        if (path.UsesPgvector)
        {
            // Vectors stay float4[]; pgvector only indexes them, so the client never sees its types.
            var dims = new List<int>();
            await using (var command = new NpgsqlCommand("SELECT DISTINCT dims FROM embeddings", connection))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) dims.Add(reader.GetInt32(0));
            // Also rebuilds an index built with other vectors.m / vectors.efConstruction.
            foreach (var d in dims) await EnsureHnswIndexAsync(connection, d, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<IReadOnlyDictionary<string, string>> GetDocumentHashesAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _connector.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT source, content_hash FROM documents", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            result[reader.GetString(0)] = reader.GetString(1);
        return result;
    }

    public async Task<IReadOnlyList<WriteResult>> WriteDocumentsAsync(IReadOnlyList<DocumentWrite> documents, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var now = DateTimeOffset.UtcNow;
        var exported = documents.Select(w => new ExportedDocument(
            w.Document,
            now,
            w.Chunks.Select(c => new ExportedChunk(c.Ordinal, c.StartOffset, c.EndOffset, c.Text, c.ContentHash, c.Heading, c.Title, c.Symbols, now, 0)).ToList()))
            .ToList();
        _vectorCounts.Clear();
        return await DocumentWriter.WriteAsync(_connector, exported, cancellationToken).ConfigureAwait(false);
    }

    public Task<int> DeleteDocumentsAsync(IReadOnlyCollection<string> sources, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sources);
        _vectorCounts.Clear();
        return DocumentWriter.DeleteAsync(_connector, sources, cancellationToken);
    }

    public async Task<IReadOnlyList<Candidate>> SearchLexicalAsync(string matchExpression, int limit, SearchFilter filter, Bm25Weights weights, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(matchExpression);
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(weights);
        if (limit < 1) return [];
        await using var connection = await _connector.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await Bm25Search.SearchAsync(connection, matchExpression, limit, filter, weights, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<Candidate>> SearchDenseAsync(string model, ReadOnlyMemory<float> query, int limit, SearchFilter filter, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        ArgumentNullException.ThrowIfNull(filter);
        if (limit < 1 || query.IsEmpty) return [];
        var vector = query.ToArray();
        var path = VectorPath;
        await using var connection = await _connector.OpenAsync(cancellationToken).ConfigureAwait(false);
        if (path.UsesPgvector && vector.Length <= path.HnswDimensionLimit
            && await VectorCountAsync(connection, model, vector.Length, cancellationToken).ConfigureAwait(false) >= _vectors.AnnThreshold)
        {
            var approximate = await DenseSearch.ApproximateAsync(connection, path, model, vector, limit, DenseSearch.EfSearch(_vectors), filter, cancellationToken).ConfigureAwait(false);
            // Filters apply after the index; when they leave too few candidates, the exact scan is the answer.
            if (approximate.Count >= limit) return approximate;
        }
        return await DenseSearch.ExactAsync(connection, path, model, vector, limit, filter, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Vectors of one model and size, for vectors.annThreshold: counted once and kept until this store
    /// writes or deletes (another instance's writes can leave it stale, which only picks the other exact path).
    /// </summary>
    private async Task<long> VectorCountAsync(NpgsqlConnection connection, string model, int dims, CancellationToken cancellationToken)
    {
        if (_vectors.AnnThreshold <= 0) return 0;
        if (_vectorCounts.TryGetValue((model, dims), out var count)) return count;
        await using var command = new NpgsqlCommand("SELECT count(*) FROM embeddings WHERE model = $1 AND dims = $2", connection);
        command.Parameters.AddWithValue(model);
        command.Parameters.AddWithValue(dims);
        count = (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        _vectorCounts[(model, dims)] = count;
        return count;
    }

    public async Task<IReadOnlyList<PendingEmbedding>> GetPendingEmbeddingsAsync(string model, string? afterContentHash, int limit, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        await using var connection = await _connector.OpenAsync(cancellationToken).ConfigureAwait(false);
        // Keyset on content_hash (ix_chunks_hash, in the column's collation for both the cursor and the order,
        // so a page is exactly the hashes after the last one seen).
        await using var command = new NpgsqlCommand(
            """
            SELECT c.content_hash, min(c.text COLLATE "C") FROM chunks c
            WHERE ($2::text IS NULL OR c.content_hash > $2::text)
              AND NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.content_hash = c.content_hash AND e.model = $1)
            GROUP BY c.content_hash ORDER BY c.content_hash LIMIT $3
            """, connection);
        command.Parameters.AddWithValue(model);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)afterContentHash ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.AddWithValue(limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var result = new List<PendingEmbedding>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            result.Add(new PendingEmbedding(reader.GetString(0), reader.GetString(1)));
        return result;
    }

    public async Task<long> CountPendingEmbeddingsAsync(string model, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        await using var connection = await _connector.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            """
            SELECT count(DISTINCT c.content_hash) FROM chunks c
            WHERE NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.content_hash = c.content_hash AND e.model = $1)
            """, connection);
        command.Parameters.AddWithValue(model);
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    public async Task<IReadOnlyList<DocumentSummary>> ListDocumentsAsync(string? sourcePrefix, CancellationToken cancellationToken)
    {
        await using var connection = await _connector.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand { Connection = connection };
        var sql = new SqlText(command);
        sql.Append(
            """
            SELECT d.source, (SELECT count(*) FROM chunks c WHERE c.document_id = d.id)::int, d.size_bytes, d.domain, d.tags, d.imported_at
            FROM documents d
            """);
        if (sourcePrefix is { Length: > 0 })
            sql.Append($" WHERE starts_with(d.source, {sql.Param(sourcePrefix)})");
        // Ordinal, as the SQLite store orders (byte order of UTF-8 is code point order).
        sql.Append(" ORDER BY d.source COLLATE \"C\"");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var result = new List<DocumentSummary>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            result.Add(new DocumentSummary(
                reader.GetString(0),
                reader.GetInt32(1),
                reader.GetInt64(2),
                reader.GetString(3),
                reader.GetFieldValue<string[]>(4),
                Utc(reader.GetFieldValue<DateTime>(5))));
        return result;
    }

    public Task PutEmbeddingsAsync(string model, IReadOnlyList<(string ContentHash, ReadOnlyMemory<float> Vector)> vectors, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        ArgumentNullException.ThrowIfNull(vectors);
        return UpsertEmbeddingsAsync(vectors.Select(v => new ExportedEmbedding(v.ContentHash, model, v.Vector)).ToList(), cancellationToken);
    }

    public async Task IncrementReuseAsync(IReadOnlyCollection<long> chunkIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chunkIds);
        if (chunkIds.Count == 0) return;
        await using var connection = await _connector.OpenAsync(cancellationToken).ConfigureAwait(false);
        // An id listed twice counts twice, as in the SQLite store.
        await using var command = new NpgsqlCommand(
            """
            UPDATE chunks c SET reuse_count = c.reuse_count + x.n
            FROM (SELECT id, count(*)::int AS n FROM unnest($1::bigint[]) AS id GROUP BY id) x
            WHERE c.id = x.id
            """, connection);
        command.Parameters.AddWithValue(chunkIds.ToArray());
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<MemoryStats> GetStatsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _connector.OpenAsync(cancellationToken).ConfigureAwait(false);
        long documents, chunks, embeddings;
        await using (var command = new NpgsqlCommand(
            "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM chunks), (SELECT count(*) FROM embeddings)", connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            (documents, chunks, embeddings) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
        }
        var byDomain = new Dictionary<string, long>(StringComparer.Ordinal);
        await using (var command = new NpgsqlCommand("SELECT domain, count(*) FROM chunks GROUP BY domain ORDER BY 2 DESC", connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                byDomain[reader.GetString(0)] = reader.GetInt64(1);
        return new MemoryStats(documents, chunks, embeddings, byDomain);
    }

    public ValueTask DisposeAsync() => _connector.DisposeAsync();

    private async Task UpsertEmbeddingsAsync(IReadOnlyList<ExportedEmbedding> embeddings, CancellationToken cancellationToken)
    {
        if (embeddings.Count == 0) return;
        _vectorCounts.Clear();
        await using var connection = await _connector.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
        {
            await using var batch = new NpgsqlBatch(connection, transaction);
            foreach (var e in embeddings)
            {
                var command = new NpgsqlBatchCommand(
                    """
                    INSERT INTO embeddings (content_hash, model, dims, vector) VALUES ($1, $2, $3, $4)
                    ON CONFLICT (content_hash, model) DO UPDATE SET dims = excluded.dims, vector = excluded.vector
                    """);
                command.Parameters.AddWithValue(e.ContentHash);
                command.Parameters.AddWithValue(e.Model);
                command.Parameters.AddWithValue(e.Vector.Length);
                command.Parameters.AddWithValue(e.Vector.ToArray());
                batch.BatchCommands.Add(command);
            }
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        if (VectorPath.UsesPgvector)
            foreach (var dims in embeddings.Select(e => e.Vector.Length).Distinct())
                await EnsureHnswIndexAsync(connection, dims, cancellationToken).ConfigureAwait(false);
    }

    private async Task EnsureHnswIndexAsync(NpgsqlConnection connection, int dims, CancellationToken cancellationToken)
    {
        lock (_indexLock)
            if (_indexedDims.Contains(dims)) return;
        await VectorPath.EnsureIndexAsync(connection, dims, _vectors, cancellationToken).ConfigureAwait(false);
        lock (_indexLock) _indexedDims.Add(dims);
    }

    internal const string ChunkColumns =
        "c.id, d.source, c.start_offset, c.end_offset, c.domain, c.tags, c.text, c.heading, c.content_hash, c.imported_at, c.reuse_count";
    private const int ChunkColumnCount = 11;

    internal static StoredChunk ReadChunk(NpgsqlDataReader reader) => new(
        Id: reader.GetInt64(0),
        Source: reader.GetString(1),
        StartOffset: reader.GetInt32(2),
        EndOffset: reader.GetInt32(3),
        Domain: reader.GetString(4),
        Tags: reader.GetFieldValue<string[]>(5),
        Text: reader.GetString(6),
        Heading: reader.IsDBNull(7) ? null : reader.GetString(7),
        ContentHash: reader.GetString(8),
        ImportedAt: Utc(reader.GetFieldValue<DateTime>(9)),
        ReuseCount: reader.GetInt32(10));

    /// <summary>Reads rows of <see cref="ChunkColumns"/> followed by one float8 score.</summary>
    internal static async Task<IReadOnlyList<Candidate>> ReadCandidatesAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var result = new List<Candidate>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            result.Add(new Candidate(ReadChunk(reader), reader.GetDouble(ChunkColumnCount)));
        return result;
    }

    internal static void AppendFilter(SqlText sql, SearchFilter filter)
    {
        if (FilterCondition(sql, filter) is { } condition)
            sql.Append($" AND {condition}");
    }

    /// <summary>The filter as one condition on chunks c (its values as parameters of <paramref name="sql"/>), or null when it keeps everything.</summary>
    internal static string? FilterCondition(SqlText sql, SearchFilter filter)
    {
        var conditions = new List<string>(2);
        if (filter.Domain is { Length: > 0 } domain)
            conditions.Add($"c.domain = {sql.Param(domain)}");
        if (filter.Tags is { Count: > 0 } tags)
            conditions.Add($"c.tags @> {sql.Param(tags.ToArray())}::text[]");
        return conditions.Count == 0 ? null : "(" + string.Join(" AND ", conditions) + ")";
    }

    internal static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    /// <summary>PostgreSQL keeps microseconds; truncating here makes the stored value exact and predictable.</summary>
    internal static DateTime ToMicroseconds(DateTimeOffset value)
    {
        var ticks = value.UtcTicks;
        return new DateTime(ticks - (ticks % 10), DateTimeKind.Utc);
    }
}

/// <summary>SQL text with positional parameters ($1, $2, ...) added as values, never as text.</summary>
internal sealed class SqlText(NpgsqlCommand command)
{
    private readonly StringBuilder _sql = new();

    public string Param(object value)
    {
        command.Parameters.Add(new NpgsqlParameter { Value = value });
        return "$" + command.Parameters.Count.ToString(CultureInfo.InvariantCulture);
    }

    public void Append(string sql)
    {
        _sql.Append(sql);
        command.CommandText = _sql.ToString();
    }
}
