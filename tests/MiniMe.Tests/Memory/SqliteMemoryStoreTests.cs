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

    [Fact]
    public async Task The_pending_embedding_page_walks_the_hash_index_from_the_cursor_without_sorting()
    {
        await Store.WriteDocumentsAsync([Doc("/a.md", "general", "one", "two")], CancellationToken.None);
        using var connection = new SqliteConnection($"Data Source={_dir.Combine("memory.db")}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + SqliteMemoryStore.PendingEmbeddingsSql;
        command.Parameters.AddWithValue("$model", "m");
        command.Parameters.AddWithValue("$after", "");
        command.Parameters.AddWithValue("$limit", 32);
        var plan = new List<string>();
        using (var reader = command.ExecuteReader())
            while (reader.Read()) plan.Add(reader.GetString(3));
        var text = string.Join(" | ", plan);
        Assert.Contains(plan, p => p.StartsWith("SEARCH c USING", StringComparison.Ordinal) && p.Contains("INDEX ix_chunks_hash (content_hash>?)", StringComparison.Ordinal));
        Assert.Contains(plan, p => p.Contains("SEARCH e USING PRIMARY KEY", StringComparison.Ordinal));
        Assert.DoesNotContain("TEMP B-TREE", text, StringComparison.Ordinal);
        Assert.DoesNotContain(plan, p => p.StartsWith("SCAN", StringComparison.Ordinal));
    }
}
