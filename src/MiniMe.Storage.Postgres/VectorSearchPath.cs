using System.Globalization;
using Npgsql;

namespace MiniMe.Storage.Postgres;

/// <summary>How dense search runs: auto (pgvector when the server has it, else exact), or forced.</summary>
public enum PostgresVectorSearch { Auto, Exact, Pgvector }

/// <summary>The dense-search path a store chose at start-up, with the reason, for notes and diagnostics.</summary>
public sealed record VectorSearchPath(bool UsesPgvector, string? PgvectorVersion, string Description)
{
    /// <summary>pgvector's HNSW index handles at most this many dimensions; larger vectors are searched exactly.</summary>
    public const int MaxHnswDimensions = 2000;

    internal static async Task<VectorSearchPath> DetectAsync(NpgsqlConnection connection, PostgresVectorSearch mode, CancellationToken cancellationToken)
    {
        if (mode == PostgresVectorSearch.Exact)
            return Exact("pgvector not used: memory.vectorSearch is exact");
        var version = await InstalledVersionAsync(connection, cancellationToken).ConfigureAwait(false);
        string? reason = null;
        if (version is null)
        {
            (version, reason) = await TryCreateAsync(connection, cancellationToken).ConfigureAwait(false);
        }
        if (version is null)
        {
            if (mode == PostgresVectorSearch.Pgvector)
                throw new PostgresUnavailableException($"memory.vectorSearch is pgvector but {reason}; install pgvector on the server or use auto");
            return Exact(reason!);
        }
        return new VectorSearchPath(true, version, $"pgvector {version}: HNSW index (cosine) per vector size, exact SQL scan when filters leave too few candidates");
    }

    private static VectorSearchPath Exact(string reason) =>
        new(false, null, $"exact cosine in SQL over float4[] ({reason})");

    private static async Task<string?> InstalledVersionAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT extversion FROM pg_extension WHERE extname = 'vector'", connection);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
    }

    private static async Task<(string? Version, string? Reason)> TryCreateAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using (var available = new NpgsqlCommand("SELECT default_version FROM pg_available_extensions WHERE name = 'vector'", connection))
        {
            if (await available.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not string)
                return (null, "the pgvector extension is not installed on the server");
        }
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await PostgresSchema.ExecuteAsync(connection, transaction, "CREATE EXTENSION IF NOT EXISTS vector", cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException e)
        {
            await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
            return (null, $"CREATE EXTENSION vector failed: {e.MessageText}");
        }
        return (await InstalledVersionAsync(connection, cancellationToken).ConfigureAwait(false), null);
    }

    /// <summary>Creates the partial HNSW index for one vector size (an expression index over the float4[] column).</summary>
    internal static async Task EnsureIndexAsync(NpgsqlConnection connection, int dims, CancellationToken cancellationToken)
    {
        if (dims is < 1 or > MaxHnswDimensions) return;
        // dims is an integer we format ourselves: no user text reaches this DDL.
        var d = dims.ToString(CultureInfo.InvariantCulture);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await PostgresSchema.ExecuteAsync(connection, transaction, $"SELECT pg_advisory_xact_lock({PostgresSchema.LockKey})", cancellationToken).ConfigureAwait(false);
        await PostgresSchema.ExecuteAsync(connection, transaction,
            $"CREATE INDEX IF NOT EXISTS ix_embeddings_hnsw_{d} ON embeddings USING hnsw ((vector::vector({d})) vector_cosine_ops) WHERE dims = {d}",
            cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Expression matching the index for <paramref name="dims"/>, so the planner can use it.</summary>
    internal static string IndexedExpression(string alias, int dims) => $"({alias}.vector::vector({dims.ToString(CultureInfo.InvariantCulture)}))";
}
