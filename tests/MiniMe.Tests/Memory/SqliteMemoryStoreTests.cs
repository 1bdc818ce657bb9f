using Microsoft.Data.Sqlite;
using MiniMe.Memory;
using MiniMe.Storage.Sqlite;
using MiniMe.Tests.Support;

namespace MiniMe.Tests.Memory;

public sealed class SqliteMemoryStoreTests : MemoryStoreContractTests, IDisposable
{
    private readonly TempDirectory _dir = new();

    protected override Task<IMemoryStore> CreateStoreAsync() =>
        Task.FromResult<IMemoryStore>(new SqliteMemoryStore(_dir.Combine("memory.db")));

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task The_database_uses_wal_and_passes_an_integrity_check()
    {
        await Store.WriteDocumentsAsync([Doc("/a.md", "general", "text")], CancellationToken.None);
        using var connection = new SqliteConnection($"Data Source={_dir.Combine("memory.db")}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", command.ExecuteScalar() as string);
        command.CommandText = "PRAGMA integrity_check";
        Assert.Equal("ok", command.ExecuteScalar() as string);
    }

    [Fact]
    public async Task Initializing_twice_keeps_the_data()
    {
        await Store.WriteDocumentsAsync([Doc("/a.md", "general", "kept")], CancellationToken.None);
        await using var again = new SqliteMemoryStore(_dir.Combine("memory.db"));
        await again.InitializeAsync(CancellationToken.None);
        Assert.Equal(1, (await again.GetStatsAsync(CancellationToken.None)).Chunks);
    }
}
