using MiniMe.Configuration;
using MiniMe.Hosting;
using MiniMe.Memory;
using Npgsql;

namespace MiniMe.Cli.Commands;

/// <summary>
/// An empty memory of the kind memory.store names, for one evaluation and gone afterwards: a SQLite file
/// in a temp folder, or a schema of its own in the configured PostgreSQL database (dropped at the end),
/// so both stores are measured by the same evaluation without touching the workspace's memory.
/// </summary>
internal sealed class ScratchStore : IAsyncDisposable
{
    private readonly Func<ValueTask> _cleanup;

    private ScratchStore(IMemoryStore store, Func<ValueTask> cleanup)
    {
        Store = store;
        _cleanup = cleanup;
    }

    public IMemoryStore Store { get; }

    public static async Task<ScratchStore> CreateAsync(MiniMeOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ScratchStore scratch;
        if (options.Memory.Store == MemoryStoreKind.Postgres)
        {
            var connectionString = options.Memory.ConnectionString ?? "";
            var schema = "minime_eval_" + Guid.NewGuid().ToString("N")[..12];
            var store = MemoryStoreFactory.Postgres(connectionString, options.Memory, options.Vectors, schema);
            scratch = new ScratchStore(store, async () =>
            {
                await store.DisposeAsync();
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(CancellationToken.None);
                await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE", connection);
                await drop.ExecuteNonQueryAsync(CancellationToken.None);
            });
        }
        else
        {
            var temp = Directory.CreateTempSubdirectory("minime-eval-");
            // An evaluation searches hundreds of times: memory.lexical auto means Lucene.Net here.
            var store = MemoryStoreFactory.Sqlite(Path.Combine(temp.FullName, "memory.db"), options.Vectors,
                lexical: MemoryStoreFactory.LexicalEngine(options.Memory.Lexical, longRunning: true));
            scratch = new ScratchStore(store, async () =>
            {
                await store.DisposeAsync();
                temp.Delete(recursive: true);
            });
        }
        try
        {
            await scratch.Store.InitializeAsync(cancellationToken);
        }
        catch
        {
            await scratch.DisposeAsync();
            throw;
        }
        return scratch;
    }

    public ValueTask DisposeAsync() => _cleanup();
}
