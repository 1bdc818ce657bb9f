using MiniMe.Configuration;
using MiniMe.Memory;
using MiniMe.Storage.Postgres;
using MiniMe.Storage.Sqlite;

namespace MiniMe.Cli.Hosting;

/// <summary>Builds the memory store that config.yaml's memory.store names (validated at load).</summary>
public static class MemoryStoreFactory
{
    public static IMemoryStore Create(Workspace workspace, MemoryOptions memory)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(memory);
        return memory.Store.Trim().ToLowerInvariant() switch
        {
            "postgres" => CreatePostgres(memory.ConnectionString ?? "", memory),
            _ => CreateSqlite(workspace, memory),
        };
    }

    public static SqliteMemoryStore CreateSqlite(Workspace workspace, MemoryOptions memory) =>
        new(workspace.ResolvePath(memory.Path));

    public static PostgresMemoryStore CreatePostgres(string connectionString, MemoryOptions memory) =>
        new(connectionString, memory.VectorSearch.Trim().ToLowerInvariant() switch
        {
            "exact" => PostgresVectorSearch.Exact,
            "pgvector" => PostgresVectorSearch.Pgvector,
            _ => PostgresVectorSearch.Auto,
        });
}
