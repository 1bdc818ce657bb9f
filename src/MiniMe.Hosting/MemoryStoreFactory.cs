using System.Security.Cryptography;
using System.Text;
using MiniMe.Configuration;
using MiniMe.Memory;
using MiniMe.Memory.Facts;
using MiniMe.Storage.Postgres;
using MiniMe.Storage.Sqlite;
using MiniMe.Tracing;

namespace MiniMe.Hosting;

/// <summary>Where one user's memory lives: the workspace owner's is the workspace's own; every other user has a folder of their own.</summary>
/// <param name="UserId">The user (the owner is config user.name).</param>
/// <param name="DatabasePath">The user's SQLite memory file (documents and facts) when memory.store is sqlite.</param>
public sealed record MemoryLocation(string UserId, bool IsOwner, string DatabasePath);

/// <summary>Opens the memory store memory.store names, for any user of the engine.</summary>
public interface IMemoryStoreFactory
{
    IMemoryStore Create(MemoryLocation location);

    /// <summary>The user's facts, in the same store as their memory (the SQLite file, or their PostgreSQL schema).</summary>
    IFactStore CreateFacts(MemoryLocation location);

    /// <summary>
    /// The user's evidence graph edges, in the same store as their memory (docs/evidence.md). On SQLite, given the user's
    /// open memory or fact store, the edges are written through that store's database instance (one writer per file).
    /// </summary>
    MiniMe.Evidence.IEvidenceStore CreateEvidence(MemoryLocation location, object? openStore = null);

    /// <summary>Where the user's run traces go (memory.traces): <paramref name="directory"/>, or the user's PostgreSQL schema.</summary>
    ITraceLog CreateTraceLog(MemoryLocation location, string directory);
}

/// <summary>
/// memory.store: sqlite (a file per user) or postgres (one database; the owner in the connection's
/// schema, every other server user in a schema of their own), with vectors.* for the SQLite index
/// and for pgvector's HNSW index.
/// </summary>
internal sealed class MemoryStoreFactory(MiniMeOptions options, EngineSettings settings) : IMemoryStoreFactory
{
    public IMemoryStore Create(MemoryLocation location)
    {
        ArgumentNullException.ThrowIfNull(location);
        var memory = options.Memory;
        return memory.Store switch
        {
            MemoryStoreKind.Postgres => Postgres(memory.ConnectionString ?? "", memory, options.Vectors, location.IsOwner ? null : SchemaFor(location.UserId)),
            _ => Sqlite(location.DatabasePath, options.Vectors, settings.AllowEmptyMemory, LexicalEngine(memory.Lexical, settings.LongRunning)),
        };
    }

    public IFactStore CreateFacts(MemoryLocation location)
    {
        ArgumentNullException.ThrowIfNull(location);
        var memory = options.Memory;
        return memory.Store switch
        {
            MemoryStoreKind.Postgres => new PostgresFactStore(memory.ConnectionString ?? "", location.IsOwner ? null : SchemaFor(location.UserId)),
            _ => new SqliteFactStore(location.DatabasePath, settings.AllowEmptyMemory),
        };
    }

    public MiniMe.Evidence.IEvidenceStore CreateEvidence(MemoryLocation location, object? openStore = null)
    {
        ArgumentNullException.ThrowIfNull(location);
        var memory = options.Memory;
        return (memory.Store, openStore) switch
        {
            (MemoryStoreKind.Postgres, _) => new PostgresEvidenceStore(memory.ConnectionString ?? "", location.IsOwner ? null : SchemaFor(location.UserId)),
            (_, SqliteMemoryStore store) => store.Evidence(),
            (_, SqliteFactStore store) => store.Evidence(),
            _ => new SqliteEvidenceStore(location.DatabasePath, settings.AllowEmptyMemory),
        };
    }

    public ITraceLog CreateTraceLog(MemoryLocation location, string directory)
    {
        ArgumentNullException.ThrowIfNull(location);
        return options.Memory.Traces == TraceStoreKind.Postgres
            ? new PostgresTraceLog(options.Memory.ConnectionString ?? "", location.IsOwner ? null : SchemaFor(location.UserId))
            : new FileTraceLog(directory);
    }

    public static SqliteMemoryStore Sqlite(string databasePath, VectorOptions vectors, bool allowEmptyFile = false,
        SqliteLexicalEngine lexical = SqliteLexicalEngine.Lucene) =>
        new(databasePath, vectors, allowEmptyFile, lexical);

    /// <summary>memory.lexical for a process that searches often (<paramref name="longRunning"/>) or once.</summary>
    public static SqliteLexicalEngine LexicalEngine(LexicalEngineKind kind, bool longRunning) => kind switch
    {
        LexicalEngineKind.Lucene => SqliteLexicalEngine.Lucene,
        LexicalEngineKind.Fts5 => SqliteLexicalEngine.Fts5,
        _ => longRunning ? SqliteLexicalEngine.Lucene : SqliteLexicalEngine.Fts5,
    };

    public static PostgresMemoryStore Postgres(string connectionString, MemoryOptions memory, VectorOptions vectors, string? schema = null) =>
        new(connectionString, VectorSearch(memory), schema, vectors);

    private static PostgresVectorSearch VectorSearch(MemoryOptions memory) => memory.VectorSearch switch
    {
        VectorSearchMode.Exact => PostgresVectorSearch.Exact,
        VectorSearchMode.Pgvector => PostgresVectorSearch.Pgvector,
        _ => PostgresVectorSearch.Auto,
    };

    /// <summary>A plain schema name per user id: the id lower-cased to [a-z0-9_] plus a short hash, so "Ann" and "ann" stay apart.</summary>
    internal static string SchemaFor(string userId)
    {
        var plain = new string([.. userId.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_')]);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(userId)))[..8];
        return $"minime_user_{(plain.Length > 40 ? plain[..40] : plain)}_{hash}";
    }
}
