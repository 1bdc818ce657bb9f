using MiniMe.Configuration;
using MiniMe.Memory;
using MiniMe.Storage.Postgres;
using MiniMe.Storage.Sqlite;

namespace MiniMe.Cli.Hosting;

/// <summary>Builds the memory store that config.yaml's memory.store names (validated at load).</summary>
public static class MemoryStoreFactory
{
    public static IMemoryStore Create(Workspace workspace, MemoryOptions memory, VectorOptions? vectors = null)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(memory);
        return memory.Store.Trim().ToLowerInvariant() switch
        {
            "postgres" => CreatePostgres(memory.ConnectionString ?? "", memory),
            _ => CreateSqlite(workspace, memory, vectors),
        };
    }

    public static SqliteMemoryStore CreateSqlite(Workspace workspace, MemoryOptions memory, VectorOptions? vectors = null) =>
        new(workspace.ResolvePath(memory.Path), vectors);

    public static PostgresMemoryStore CreatePostgres(string connectionString, MemoryOptions memory) =>
        new(connectionString, memory.VectorSearch.Trim().ToLowerInvariant() switch
        {
            "exact" => PostgresVectorSearch.Exact,
            "pgvector" => PostgresVectorSearch.Pgvector,
            _ => PostgresVectorSearch.Auto,
        });
}
