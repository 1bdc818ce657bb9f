using Microsoft.Data.Sqlite;
using MiniMe.Memory;
using MiniMe.Memory.Facts;
using MiniMe.Storage.Sqlite;
using MiniMe.Tests.Support;

namespace MiniMe.Tests.Memory.Facts;

public sealed class SqliteFactStoreTests : FactStoreContractTests, IDisposable
{
    private readonly TempDirectory _dir = new();

    private string DatabasePath => _dir.Combine("memory.db");

    protected override Task<IFactStore> CreateStoreAsync() => Task.FromResult<IFactStore>(new SqliteFactStore(DatabasePath));

    protected override IFactStore CreateSecondWriter() => new SqliteFactStore(DatabasePath);

    public void Dispose() => _dir.Dispose();

    private SqliteConnection Connect()
    {
        var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        connection.Open();
        return connection;
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    [Fact]
    public async Task The_fts_index_stays_in_step_through_edits_forgets_and_purges()
    {
        var a = await Facts.RememberAsync(new RememberRequest("uses Rider"), CancellationToken.None);
        var b = await Facts.RememberAsync(new RememberRequest("prefers tea"), CancellationToken.None);
        await Facts.EditAsync(a.Fact.Id, "uses VS Code", CancellationToken.None);
        await Facts.ForgetAsync(b.Fact.Id, CancellationToken.None);
        await Facts.PurgeAsync(b.Fact.Id, CancellationToken.None);

        using var connection = Connect();
        // Throws (SQLITE_CORRUPT_VTAB) when the index and the facts table disagree.
        Scalar(connection, "INSERT INTO facts_fts(facts_fts) VALUES('integrity-check')");
        Assert.Equal(1L, Scalar(connection, "SELECT COUNT(*) FROM facts_fts WHERE facts_fts MATCH 'code'"));
        Assert.Equal(0L, Scalar(connection, "SELECT COUNT(*) FROM facts_fts WHERE facts_fts MATCH 'rider OR tea'"));
        Assert.Equal("ok", Scalar(connection, "PRAGMA integrity_check"));
    }

    [Fact]
    public async Task Migrating_a_version_1_database_adds_facts_and_keeps_the_documents()
    {
        // Build a v1 database: the memory store's schema without the v2 tables.
        var v1 = _dir.Combine("v1", "memory.db");
        await using (var memory = new SqliteMemoryStore(v1))
        {
            await memory.InitializeAsync(CancellationToken.None);
            var chunk = new ChunkRecord(0, 0, 4, "kept", "h", null, "a", "");
            await memory.WriteDocumentsAsync([new DocumentWrite(new DocumentRecord("/a.md", "d", 4, DateTimeOffset.UtcNow, "general", []), [chunk])], CancellationToken.None);
        }
        using (var connection = new SqliteConnection($"Data Source={v1};Pooling=False"))
        {
            connection.Open();
            foreach (var sql in new[] { "DROP TABLE facts_fts", "DROP TABLE fact_reviews", "DROP TABLE fact_history", "DROP TABLE facts", "PRAGMA user_version = 1" })
            {
                using var command = connection.CreateCommand();
                command.CommandText = sql;
                command.ExecuteNonQuery();
            }
        }

        var store = new SqliteFactStore(v1);
        await store.InitializeAsync(CancellationToken.None);
        var added = await new FactService(store, new MiniMe.Configuration.FactOptions()).RememberAsync(new RememberRequest("prefers tea"), CancellationToken.None);

        Assert.Equal(RememberOutcome.Added, added.Outcome);
        await using var reopened = new SqliteMemoryStore(v1);
        await reopened.InitializeAsync(CancellationToken.None);
        Assert.Equal(1, (await reopened.GetStatsAsync(CancellationToken.None)).Chunks);
        await store.DisposeAsync();
    }

    [Fact]
    public async Task Memory_store_and_fact_store_share_one_database()
    {
        await using var memory = new SqliteMemoryStore(DatabasePath);
        await memory.InitializeAsync(CancellationToken.None);
        await Facts.RememberAsync(new RememberRequest("prefers tea"), CancellationToken.None);

        using var connection = Connect();
        Assert.Equal((long)MiniMe.Storage.Sqlite.SqliteSchema.CurrentVersion, Scalar(connection, "PRAGMA user_version"));
        Assert.Equal(1L, Scalar(connection, "SELECT COUNT(*) FROM facts"));
        Assert.Equal(0L, Scalar(connection, "SELECT COUNT(*) FROM documents"));
    }

    [Fact]
    public async Task A_version_4_database_gains_the_origin_columns_and_keeps_its_facts()
    {
        var old = _dir.Combine("v4.db");
        var store = new SqliteFactStore(old);
        await store.InitializeAsync(CancellationToken.None);
        var service = new FactService(store, new MiniMe.Configuration.FactOptions());
        var kept = await service.RememberAsync(new RememberRequest("prefers tea"), CancellationToken.None);
        await store.DisposeAsync();
        using (var connection = new SqliteConnection($"Data Source={old};Pooling=False"))
        {
            connection.Open();
            foreach (var column in new[] { "origin_kind", "origin_id", "origin_message_id", "origin_run_id" })
                Scalar(connection, $"ALTER TABLE facts DROP COLUMN {column}");
            Scalar(connection, "PRAGMA user_version = 4");
        }

        var reopened = new SqliteFactStore(old);
        await reopened.InitializeAsync(CancellationToken.None);
        var captured = await new FactService(reopened, new MiniMe.Configuration.FactOptions())
            .RememberAsync(new RememberRequest("plays the cello", Origin: FactOrigin.ForRun("r-9")), CancellationToken.None);

        Assert.Null((await reopened.GetAsync(kept.Fact.Id, CancellationToken.None))!.Origin);
        Assert.Equal(FactOrigin.ForRun("r-9"), (await reopened.GetAsync(captured.Fact.Id, CancellationToken.None))!.Origin);
        await reopened.DisposeAsync();
        using var check = new SqliteConnection($"Data Source={old};Pooling=False");
        check.Open();
        Assert.Equal((long)MiniMe.Storage.Sqlite.SqliteSchema.CurrentVersion, Scalar(check, "PRAGMA user_version"));
    }
}
