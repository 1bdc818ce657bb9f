using Microsoft.Data.Sqlite;
using MiniMe.Server.Goals;
using MiniMe.Server.Schedules;
using MiniMe.Server.Storage;
using MiniMe.Server.Tests.Support;
using MiniMe.Tests.Support;
using Npgsql;

namespace MiniMe.Server.Tests.Storage;

/// <summary>server.db version 4 (goals, before schedules) is migrated to version 5 in place, keeping what it held.</summary>
public sealed class SqliteScheduleSchemaTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "minime-server-tests", "schedules-db-" + Guid.NewGuid().ToString("N"));

    private string DatabasePath => Path.Combine(_folder, SqliteServerDatabase.FileName);

    [Fact]
    public async Task A_version_4_server_db_gains_the_schedules_table_and_keeps_its_goals()
    {
        Directory.CreateDirectory(_folder);
        string goal;
        await using (var old = new SqliteServerDatabase(DatabasePath))
            goal = new GoalStore(old, new GoalNotifier(), TimeProvider.System).Create("ann", "Before schedules existed").Id;
        // Back to what MiniMe before schedules left on disk: version 4, no schedules table.
        using (var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False"))
        {
            connection.Open();
            using var downgrade = connection.CreateCommand();
            downgrade.CommandText = "DROP TABLE schedules; PRAGMA user_version = 4;";
            downgrade.ExecuteNonQuery();
        }
        SqliteConnection.ClearAllPools();

        await using var database = new SqliteServerDatabase(DatabasePath);
        var schedules = new ScheduleStore(database, TimeProvider.System);
        var next = new DateTimeOffset(2027, 1, 4, 9, 0, 0, TimeSpan.Zero);
        var schedule = schedules.Create("ann", "Morning plan", "0 9 * * 1-5", ScheduleKinds.Chat, "Plan my day", next);

        Assert.Equal(schedule, Assert.Single(schedules.List("ann")));
        Assert.Empty(schedules.List("bob"));
        Assert.Equal("Before schedules existed", new GoalStore(database, new GoalNotifier(), TimeProvider.System).Require("ann", goal).Title);
        using var check = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        check.Open();
        using var version = check.CreateCommand();
        version.CommandText = "PRAGMA user_version";
        Assert.Equal(5L, (long)version.ExecuteScalar()!);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }
}

/// <summary>The server schema in PostgreSQL at version 2 (goals, before schedules) is migrated to version 3; `minime migrate` copies schedules.</summary>
[Trait("Category", "Integration")]
[Collection(PostgresCollection.Name)]
[RequiresPostgres]
public sealed class PostgresScheduleSchemaTests(PostgresServerFixture postgres) : IAsyncLifetime
{
    private string _connectionString = "";

    public async Task InitializeAsync() => _connectionString = await postgres.CreateDatabaseAsync();

    public Task DisposeAsync() => postgres.DropDatabaseAsync(_connectionString);

    [ContractFact]
    public async Task A_version_2_server_schema_gains_the_schedules_table_and_keeps_its_goals()
    {
        string goal;
        await using (var old = new PostgresServerDatabase(_connectionString))
            goal = new GoalStore(old, new GoalNotifier(), TimeProvider.System).Create("ann", "Before schedules existed").Id;
        await using (var connection = new NpgsqlConnection(_connectionString))
        {
            await connection.OpenAsync();
            await using var downgrade = new NpgsqlCommand("DROP TABLE minime_server.schedules; DELETE FROM minime_server.schema_version WHERE version = 3;", connection);
            await downgrade.ExecuteNonQueryAsync();
        }

        await using var database = new PostgresServerDatabase(_connectionString);
        var schedules = new ScheduleStore(database, TimeProvider.System);
        var next = new DateTimeOffset(2027, 1, 4, 9, 0, 0, TimeSpan.Zero);
        var schedule = schedules.Create("ann", "Morning plan", "0 9 * * 1-5", ScheduleKinds.Ask, "Plan my day", next);

        Assert.Equal(schedule, Assert.Single(schedules.List("ann")));
        Assert.Equal("Before schedules existed", new GoalStore(database, new GoalNotifier(), TimeProvider.System).Require("ann", goal).Title);
        await using var check = new NpgsqlConnection(_connectionString);
        await check.OpenAsync();
        await using var version = new NpgsqlCommand("SELECT max(version) FROM minime_server.schema_version", check);
        Assert.Equal(3, Convert.ToInt32(await version.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
    }

    [ContractFact]
    public async Task Minime_migrate_copies_schedules_with_their_last_run_to_postgresql()
    {
        var root = Path.Combine(Path.GetTempPath(), "minime-server-tests", "schedule-migrate-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        try
        {
            Schedule before;
            await using (var sqlite = new SqliteServerDatabase(Path.Combine(root, SqliteServerDatabase.FileName)))
            {
                var schedules = new ScheduleStore(sqlite, TimeProvider.System);
                var next = new DateTimeOffset(2027, 1, 4, 9, 0, 0, TimeSpan.Zero);
                var schedule = schedules.Create("ann", "Morning plan", "0 9 * * 1-5", ScheduleKinds.Chat, "Plan my day", next);
                Assert.True(schedules.TryClaim("ann", schedule.Id, next, next.AddDays(1), next.AddSeconds(3)));
                schedules.Finish("ann", schedule.Id, "20270104-090003-abcdef", ScheduleStatuses.Completed, "Start with the notes.", "c_123");
                schedules.Create("bob", "Bob's", "0 12 * * *", ScheduleKinds.Ask, "Bob's task", next);
                before = schedules.Require("ann", schedule.Id);
            }

            var report = await ServerStateMigrator.MigrateAsync(new MiniMe.Configuration.Workspace(root), _connectionString, CancellationToken.None);

            Assert.True(report!.Verified, string.Join("; ", report.Tables));
            Assert.Equal(2L, report.Tables.Single(t => t.Table == "schedules").TargetRows);
            await using var pg = new PostgresServerDatabase(_connectionString);
            Assert.Equal(before, new ScheduleStore(pg, TimeProvider.System).Require("ann", before.Id));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }
}
