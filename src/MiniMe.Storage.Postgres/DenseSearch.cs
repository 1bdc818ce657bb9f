using System.Globalization;
using MiniMe.Configuration;
using MiniMe.Memory;
using Npgsql;

namespace MiniMe.Storage.Postgres;

/// <summary>The two dense-search paths. Both score by cosine similarity (query and vectors are unit length).</summary>
internal static class DenseSearch
{
    /// <summary>pgvector's ef_search ceiling.</summary>
    internal const int MaxEfSearch = 1000;

    /// <summary>vectors.efSearch within pgvector's range (1..1000).</summary>
    internal static int EfSearch(VectorOptions options) => Math.Clamp(options.EfSearch, 1, MaxEfSearch);

    /// <summary>
    /// Exact: the similarity of every vector of the model with the query, computed in SQL (pgvector's
    /// distance when the server has it, else a dot product over the float4[] elements).
    /// </summary>
    public static Task<IReadOnlyList<Candidate>> ExactAsync(
        NpgsqlConnection connection, VectorSearchPath path, string model, float[] query, int limit, SearchFilter filter, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand { Connection = connection };
        var sql = new SqlText(command);
        var q = sql.Param(query);
        var score = path.UsesPgvector && query.Length <= VectorSearchPath.MaxVectorDimensions
            ? FullSimilarity(path, q, query.Length)
            : $"(SELECT sum(a::float8 * b::float8) FROM unnest(e.vector, {q}::real[]) AS t(a, b))";
        sql.Append(
            $"""
            SELECT {PostgresMemoryStore.ChunkColumns}, s.score
            FROM (
                SELECT e.content_hash, {score} AS score
                FROM embeddings e
                WHERE e.model = {sql.Param(model)} AND e.dims = {sql.Param(query.Length)}
            ) s
            JOIN chunks c ON c.content_hash = s.content_hash
            JOIN documents d ON d.id = c.document_id
            WHERE TRUE
            """);
        PostgresMemoryStore.AppendFilter(sql, filter);
        sql.Append($" ORDER BY s.score DESC, c.id LIMIT {sql.Param(limit)}");
        return RunAsync(command, cancellationToken);
    }

    /// <summary>Approximate: nearest vectors from the HNSW index for this vector size, then chunk filters.</summary>
    public static async Task<IReadOnlyList<Candidate>> ApproximateAsync(
        NpgsqlConnection connection, VectorSearchPath path, string model, float[] query, int limit, int efSearch, SearchFilter filter, CancellationToken cancellationToken)
    {
        await using var transaction = await BeginHnswTransactionAsync(connection, efSearch, cancellationToken).ConfigureAwait(false);
        var command = ApproximateCommand(connection, path, model, query, limit, filter);
        command.Transaction = transaction;
        var result = await RunAsync(command, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>
    /// A transaction whose searches use ef_search (vectors.efSearch, SET LOCAL so a pooled connection
    /// keeps no trace of it) and continue past it when the filters below the index drop rows
    /// (iterative scan, in relaxed order: the candidates are sorted again by score anyway).
    /// </summary>
    internal static async Task<NpgsqlTransaction> BeginHnswTransactionAsync(NpgsqlConnection connection, int efSearch, CancellationToken cancellationToken)
    {
        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var setting = new NpgsqlCommand(
                "SELECT set_config('hnsw.ef_search', $1, true), set_config('hnsw.iterative_scan', 'relaxed_order', true)", connection, transaction);
            setting.Parameters.AddWithValue(Math.Clamp(efSearch, 1, MaxEfSearch).ToString(CultureInfo.InvariantCulture));
            await setting.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return transaction;
        }
        catch
        {
            await transaction.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The approximate search's query: the index scan for the candidates, then the chunks they belong to.</summary>
    internal static NpgsqlCommand ApproximateCommand(NpgsqlConnection connection, VectorSearchPath path, string model, float[] query, int limit, SearchFilter filter)
    {
        var candidates = Math.Min(MaxEfSearch, Math.Max(limit * 4, 100));
        var command = new NpgsqlCommand { Connection = connection };
        var sql = new SqlText(command);
        var dims = query.Length.ToString(CultureInfo.InvariantCulture);
        var q = sql.Param(query);
        var distance = $"{path.IndexedExpression("e", query.Length)} {path.CosineDistance} {q}::real[]::{path.IndexType(query.Length)}";
        // The literal dims matches the partial index predicate; everything from outside is a parameter.
        // A halfvec index orders the candidates; their scores are full precision, as the exact scan's.
        sql.Append(
            $"""
            SELECT {PostgresMemoryStore.ChunkColumns}, s.score
            FROM (
                SELECT e.content_hash, {FullSimilarity(path, q, query.Length)} AS score
                FROM embeddings e
                WHERE e.dims = {dims} AND e.model = {sql.Param(model)}
                ORDER BY {distance}
                LIMIT {sql.Param(candidates)}
            ) s
            JOIN chunks c ON c.content_hash = s.content_hash
            JOIN documents d ON d.id = c.document_id
            WHERE TRUE
            """);
        PostgresMemoryStore.AppendFilter(sql, filter);
        sql.Append($" ORDER BY s.score DESC, c.id LIMIT {sql.Param(limit)}");
        return command;
    }

    /// <summary>1 - full-precision cosine distance; a zero vector (distance NaN) scores 0, as in the dot-product scan.</summary>
    private static string FullSimilarity(VectorSearchPath path, string query, int dims)
    {
        var type = path.VectorType(dims);
        return $"coalesce(1 - nullif(((e.vector::{type}) {path.CosineDistance} {query}::real[]::{type})::float8, 'NaN'), 0)";
    }

    private static async Task<IReadOnlyList<Candidate>> RunAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using (command)
            return await PostgresMemoryStore.ReadCandidatesAsync(command, cancellationToken).ConfigureAwait(false);
    }
}
