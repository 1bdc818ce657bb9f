using MiniMe.Configuration;
using MiniMe.Memory;
using MiniMe.Storage.Postgres;
using MiniMe.Storage.Sqlite;

namespace MiniMe.Cli.Hosting;

/// <summary>Builds the memory store that config.yaml's memory.store names (validated at load).</summary>
public static class MemoryStoreFactory
{
    /// <param name="allowEmptyFile">SQLite: start an empty memory in a 0-byte file (--force) instead of refusing it.</param>
    public static IMemoryStore Create(Workspace workspace, MemoryOptions memory, VectorOptions? vectors = null, bool allowEmptyFile = false)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(memory);
        return memory.Store switch
        {
            MemoryStoreKind.Postgres => CreatePostgres(memory.ConnectionString ?? "", memory),
            _ => CreateSqlite(workspace, memory, vectors, allowEmptyFile),
        };
    }

    public static SqliteMemoryStore CreateSqlite(Workspace workspace, MemoryOptions memory, VectorOptions? vectors = null, bool allowEmptyFile = false) =>
        new(workspace.ResolvePath(memory.Path), vectors, allowEmptyFile);

    public static PostgresMemoryStore CreatePostgres(string connectionString, MemoryOptions memory) =>
        new(connectionString, memory.VectorSearch switch
        {
            VectorSearchMode.Exact => PostgresVectorSearch.Exact,
            VectorSearchMode.Pgvector => PostgresVectorSearch.Pgvector,
            _ => PostgresVectorSearch.Auto,
        });
}
