using System.Globalization;
using MiniMe.Memory;
using Npgsql;

namespace MiniMe.Storage.Postgres;

/// <summary>The two dense-search paths. Both score by cosine similarity (query and vectors are unit length).</summary>
internal static class DenseSearch
{
    /// <summary>pgvector's ef_search ceiling.</summary>
    private const int MaxCandidates = 1000;

    /// <summary>Exact: the dot product of every vector of the model with the query, computed in SQL.</summary>
    public static Task<IReadOnlyList<Candidate>> ExactAsync(
        NpgsqlConnection connection, string model, float[] query, int limit, SearchFilter filter, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand { Connection = connection };
        var sql = new SqlText(command);
        var q = sql.Param(query);
        sql.Append(
            $"""
            SELECT {PostgresMemoryStore.ChunkColumns}, s.score
            FROM (
                SELECT e.content_hash, (SELECT sum(a::float8 * b::float8) FROM unnest(e.vector, {q}::real[]) AS t(a, b)) AS score
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
        NpgsqlConnection connection, string model, float[] query, int limit, SearchFilter filter, CancellationToken cancellationToken)
    {
        var candidates = Math.Min(MaxCandidates, Math.Max(limit * 4, 100));
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var setting = new NpgsqlCommand("SELECT set_config('hnsw.ef_search', $1, true)", connection, transaction))
        {
            setting.Parameters.AddWithValue(candidates.ToString(CultureInfo.InvariantCulture));
            await setting.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        var command = new NpgsqlCommand { Connection = connection, Transaction = transaction };
        var sql = new SqlText(command);
        var dims = query.Length.ToString(CultureInfo.InvariantCulture);
        var indexed = VectorSearchPath.IndexedExpression("e", query.Length);
        var q = sql.Param(query);
        // The literal dims matches the partial index predicate; everything from outside is a parameter.
        sql.Append(
            $"""
            SELECT {PostgresMemoryStore.ChunkColumns}, s.score
            FROM (
                SELECT e.content_hash, 1 - ({indexed} <=> {q}::real[]::vector({dims}))::float8 AS score
                FROM embeddings e
                WHERE e.dims = {dims} AND e.model = {sql.Param(model)}
                ORDER BY {indexed} <=> {q}::real[]::vector({dims})
                LIMIT {sql.Param(candidates)}
            ) s
            JOIN chunks c ON c.content_hash = s.content_hash
            JOIN documents d ON d.id = c.document_id
            WHERE TRUE
            """);
        PostgresMemoryStore.AppendFilter(sql, filter);
        sql.Append($" ORDER BY s.score DESC, c.id LIMIT {sql.Param(limit)}");
        var result = await RunAsync(command, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return result;
    }

    private static async Task<IReadOnlyList<Candidate>> RunAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using (command)
            return await PostgresMemoryStore.ReadCandidatesAsync(command, cancellationToken).ConfigureAwait(false);
    }
}
