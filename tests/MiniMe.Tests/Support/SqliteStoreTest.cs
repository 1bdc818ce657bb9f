using MiniMe.Storage.Sqlite;

namespace MiniMe.Tests.Support;

/// <summary>A test class over a fresh SQLite memory file in its own temporary folder.</summary>
public abstract class SqliteStoreTest : IAsyncLifetime, IDisposable
{
    protected TempDirectory Dir { get; } = new();

    protected SqliteMemoryStore Store { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Store = new SqliteMemoryStore(Dir.Combine("memory.db"));
        await Store.InitializeAsync(CancellationToken.None);
    }

    public async Task DisposeAsync() => await Store.DisposeAsync();

    public void Dispose()
    {
        Dir.Dispose();
        GC.SuppressFinalize(this);
    }
}
