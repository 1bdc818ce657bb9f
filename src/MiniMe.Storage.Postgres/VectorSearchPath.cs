using System.Globalization;
using MiniMe.Configuration;
using Npgsql;

namespace MiniMe.Storage.Postgres;

/// <summary>How dense search runs: auto (pgvector when the server has it, else exact), or forced.</summary>
public enum PostgresVectorSearch { Auto, Exact, Pgvector }

/// <summary>The dense-search path a store chose at start-up, with the reason, for notes and diagnostics.</summary>
public sealed record VectorSearchPath(bool UsesPgvector, string? PgvectorVersion, string Description)
{
    /// <summary>pgvector's HNSW index handles at most this many dimensions; larger vectors are searched exactly.</summary>
    public const int MaxHnswDimensions = 2000;

    /// <summary>pgvector's vector type holds at most this many dimensions.</summary>
    internal const int MaxVectorDimensions = 16000;

    /// <summary>
    /// The schema pgvector's types and operators live in. Every reference is qualified with it, so the
    /// store works whatever the search path (a server user's schema does not list the extension's).
    /// </summary>
    internal string? ExtensionSchema { get; init; }

    /// <param name="ownSchema">The store keeps its tables in a schema of its own; the extension then goes in public, not in that schema.</param>
    internal static async Task<VectorSearchPath> DetectAsync(
        NpgsqlConnection connection, PostgresVectorSearch mode, VectorOptions options, bool ownSchema, CancellationToken cancellationToken)
    {
        if (mode == PostgresVectorSearch.Exact)
            return Exact("pgvector not used: memory.vectorSearch is exact");
        var installed = await InstalledAsync(connection, cancellationToken).ConfigureAwait(false);
        string? reason = null;
        if (installed is null)
        {
            (installed, reason) = await TryCreateAsync(connection, ownSchema, cancellationToken).ConfigureAwait(false);
        }
        if (installed is not { } found)
        {
            if (mode == PostgresVectorSearch.Pgvector)
                throw new PostgresUnavailableException($"memory.vectorSearch is pgvector but {reason}; install pgvector on the server or use auto");
            return Exact(reason!);
        }
        var hnsw = string.Create(CultureInfo.InvariantCulture,
            $"m={options.M}, ef_construction={options.EfConstruction}, ef_search={options.EfSearch}");
        var threshold = options.AnnThreshold > 0
            ? string.Create(CultureInfo.InvariantCulture, $"from {options.AnnThreshold} vectors of a model; exact pgvector scan below that or when filters leave too few candidates")
            : "exact pgvector scan when filters leave too few candidates";
        return new VectorSearchPath(true, found.Version, $"pgvector {found.Version}: HNSW index (cosine, {hnsw}) per vector size {threshold}")
        {
            ExtensionSchema = found.Schema,
        };
    }

    private static VectorSearchPath Exact(string reason) =>
        new(false, null, $"exact cosine in SQL over float4[] ({reason})");

    private static async Task<(string Version, string Schema)?> InstalledAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT e.extversion, n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'vector'", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? (reader.GetString(0), reader.GetString(1)) : null;
    }

    private static async Task<((string Version, string Schema)? Installed, string? Reason)> TryCreateAsync(
        NpgsqlConnection connection, bool ownSchema, CancellationToken cancellationToken)
    {
        await using (var available = new NpgsqlCommand("SELECT default_version FROM pg_available_extensions WHERE name = 'vector'", connection))
        {
            if (await available.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not string)
                return (null, "the pgvector extension is not installed on the server");
        }
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // The extension is database-wide: one user's schema (dropped with that user) is the wrong home for it.
            await PostgresSchema.ExecuteAsync(connection, transaction,
                ownSchema ? "CREATE EXTENSION IF NOT EXISTS vector SCHEMA public" : "CREATE EXTENSION IF NOT EXISTS vector", cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException e)
        {
            await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
            return (null, $"CREATE EXTENSION vector failed: {e.MessageText}");
        }
        return (await InstalledAsync(connection, cancellationToken).ConfigureAwait(false), null);
    }

    /// <summary>The HNSW index name for one vector size (operators may inspect or REINDEX it).</summary>
    public static string IndexName(int dims) => "ix_embeddings_hnsw_" + dims.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Creates the partial HNSW index for one vector size (an expression index over the float4[] column)
    /// with vectors.m and vectors.efConstruction, and rebuilds it when it was built with other values.
    /// </summary>
    /// <returns>Whether the index was created or rebuilt.</returns>
    internal async Task<bool> EnsureIndexAsync(NpgsqlConnection connection, int dims, VectorOptions options, CancellationToken cancellationToken)
    {
        if (dims is < 1 or > MaxHnswDimensions) return false;
        var name = IndexName(dims);
        var wanted = IndexOptions(options);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await PostgresSchema.ExecuteAsync(connection, transaction, $"SELECT pg_advisory_xact_lock({PostgresSchema.LockKey})", cancellationToken).ConfigureAwait(false);
        string[]? existing;
        bool exists;
        await using (var command = new NpgsqlCommand(
            """
            SELECT c.reloptions FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            WHERE i.indrelid = 'embeddings'::regclass AND c.relname = $1
            """, connection, transaction))
        {
            command.Parameters.AddWithValue(name);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            exists = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            existing = exists && !reader.IsDBNull(0) ? reader.GetFieldValue<string[]>(0) : null;
        }
        if (exists && existing is not null && wanted.Order().SequenceEqual(existing.Order(), StringComparer.Ordinal))
        {
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return false;
        }
        // dims and the options are integers we format ourselves: no user text reaches this DDL.
        if (exists)
            await PostgresSchema.ExecuteAsync(connection, transaction, $"DROP INDEX {name}", cancellationToken).ConfigureAwait(false);
        await PostgresSchema.ExecuteAsync(connection, transaction,
            $"CREATE INDEX {name} ON embeddings USING hnsw ({IndexedExpression(null, dims)} {Qualified("vector_cosine_ops")}) " +
            $"WITH ({string.Join(", ", wanted)}) WHERE dims = {dims.ToString(CultureInfo.InvariantCulture)}",
            cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>The index's storage parameters as PostgreSQL lists them in pg_class.reloptions.</summary>
    internal static string[] IndexOptions(VectorOptions options) =>
    [
        "m=" + options.M.ToString(CultureInfo.InvariantCulture),
        "ef_construction=" + options.EfConstruction.ToString(CultureInfo.InvariantCulture),
    ];

    /// <summary>Expression matching the index for <paramref name="dims"/>, so the planner can use it.</summary>
    internal string IndexedExpression(string? alias, int dims) => $"({(alias is null ? "" : alias + ".")}vector::{VectorType(dims)})";

    /// <summary>pgvector's vector type of <paramref name="dims"/> dimensions.</summary>
    internal string VectorType(int dims) => $"{Qualified("vector")}({dims.ToString(CultureInfo.InvariantCulture)})";

    /// <summary>pgvector's cosine distance operator.</summary>
    internal string CosineDistance => ExtensionSchema is null ? "<=>" : $"OPERATOR({Quote(ExtensionSchema)}.<=>)";

    private string Qualified(string name) => ExtensionSchema is null ? name : $"{Quote(ExtensionSchema)}.{name}";

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
