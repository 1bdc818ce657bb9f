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

    /// <summary>pgvector's HNSW index over halfvec handles at most this many dimensions.</summary>
    private const int MaxHalfHnswDimensions = 4000;

    /// <summary>The index holds halfvec copies (vectors.halfPrecision, pgvector 0.7 or later).</summary>
    internal bool HalfPrecision { get; init; }

    /// <summary>The largest vector size the HNSW index takes.</summary>
    internal int HnswDimensionLimit => HalfPrecision ? MaxHalfHnswDimensions : MaxHnswDimensions;

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
        var half = options.HalfPrecision && SupportsHalfvec(found.Version);
        var hnsw = string.Join(", ", [half ? "halfvec" : "vector", .. IndexOptions(options), "ef_search=" + DenseSearch.EfSearch(options).ToString(CultureInfo.InvariantCulture)]);
        var threshold = options.AnnThreshold > 0
            ? string.Create(CultureInfo.InvariantCulture, $"from {options.AnnThreshold} vectors of a model; exact pgvector scan below that or when filters leave too few candidates")
            : "exact pgvector scan when filters leave too few candidates";
        return new VectorSearchPath(true, found.Version, $"pgvector {found.Version}: HNSW index (cosine, {hnsw}) per vector size {threshold}")
        {
            ExtensionSchema = found.Schema,
            HalfPrecision = half,
        };
    }

    /// <summary>halfvec arrived in pgvector 0.7.0.</summary>
    private static bool SupportsHalfvec(string version) =>
        Version.TryParse(version, out var v) && v >= new Version(0, 7, 0);

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
    /// with vectors.m and vectors.efConstruction over vector or halfvec (vectors.halfPrecision), and
    /// rebuilds it when it was built with other values.
    /// </summary>
    /// <returns>Whether the index was created or rebuilt.</returns>
    internal async Task<bool> EnsureIndexAsync(NpgsqlConnection connection, int dims, VectorOptions options, CancellationToken cancellationToken)
    {
        if (dims < 1 || dims > HnswDimensionLimit) return false;
        var name = IndexName(dims);
        var wanted = IndexOptions(options);
        var opclass = HalfPrecision ? "halfvec_cosine_ops" : "vector_cosine_ops";
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await PostgresSchema.ExecuteAsync(connection, transaction, $"SELECT pg_advisory_xact_lock({PostgresSchema.LockKey})", cancellationToken).ConfigureAwait(false);
        string[]? existing;
        string? existingOpclass;
        bool exists;
        await using (var command = new NpgsqlCommand(
            """
            SELECT c.reloptions, opc.opcname::text FROM pg_index i
            JOIN pg_class c ON c.oid = i.indexrelid
            JOIN pg_opclass opc ON opc.oid = i.indclass[0]
            WHERE i.indrelid = 'embeddings'::regclass AND c.relname = $1
            """, connection, transaction))
        {
            command.Parameters.AddWithValue(name);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            exists = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            existing = exists && !reader.IsDBNull(0) ? reader.GetFieldValue<string[]>(0) : null;
            existingOpclass = exists ? reader.GetString(1) : null;
        }
        if (exists && existing is not null && existingOpclass == opclass && wanted.Order().SequenceEqual(existing.Order(), StringComparer.Ordinal))
        {
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return false;
        }
        // dims and the options are integers we format ourselves: no user text reaches this DDL.
        if (exists)
            await PostgresSchema.ExecuteAsync(connection, transaction, $"DROP INDEX {name}", cancellationToken).ConfigureAwait(false);
        // Building over many stored vectors takes minutes (100k x 384: about one on 2 cores), longer than
        // any command timeout; the cancellation token still stops it.
        await using (var create = new NpgsqlCommand(
            $"CREATE INDEX {name} ON embeddings USING hnsw ({IndexedExpression(null, dims)} {Qualified(opclass)}) " +
            $"WITH ({string.Join(", ", wanted)}) WHERE dims = {dims.ToString(CultureInfo.InvariantCulture)}",
            connection, transaction) { CommandTimeout = 0 })
        {
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// The index's storage parameters as PostgreSQL lists them in pg_class.reloptions: vectors.m and
    /// vectors.efConstruction within pgvector's limits (m 2..100, ef_construction 4..1000 and at least 2m),
    /// which are narrower than the in-process index's.
    /// </summary>
    internal static string[] IndexOptions(VectorOptions options)
    {
        var m = Math.Clamp(options.M, 2, 100);
        var efConstruction = Math.Clamp(Math.Max(options.EfConstruction, 2 * m), 4, 1000);
        return
        [
            "m=" + m.ToString(CultureInfo.InvariantCulture),
            "ef_construction=" + efConstruction.ToString(CultureInfo.InvariantCulture),
        ];
    }

    /// <summary>Expression matching the index for <paramref name="dims"/>, so the planner can use it.</summary>
    internal string IndexedExpression(string? alias, int dims) => $"({(alias is null ? "" : alias + ".")}vector::{IndexType(dims)})";

    /// <summary>The type the index holds: halfvec or vector of <paramref name="dims"/> dimensions.</summary>
    internal string IndexType(int dims) => HalfPrecision ? Sized("halfvec", dims) : VectorType(dims);

    /// <summary>pgvector's full-precision vector type of <paramref name="dims"/> dimensions (exact scans).</summary>
    internal string VectorType(int dims) => Sized("vector", dims);

    private string Sized(string type, int dims) => $"{Qualified(type)}({dims.ToString(CultureInfo.InvariantCulture)})";

    /// <summary>pgvector's cosine distance operator.</summary>
    internal string CosineDistance => ExtensionSchema is null ? "<=>" : $"OPERATOR({Quote(ExtensionSchema)}.<=>)";

    private string Qualified(string name) => ExtensionSchema is null ? name : $"{Quote(ExtensionSchema)}.{name}";

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
