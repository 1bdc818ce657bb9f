using Microsoft.Data.Sqlite;
using MiniMe.Server.Conversations;
using MiniMe.Server.Goals;
using MiniMe.Server.Storage;
using MiniMe.Server.Tests.Support;
using MiniMe.Tests.Support;
using Npgsql;

namespace MiniMe.Server.Tests.Storage;

/// <summary>server.db version 3 (before goals) is migrated to the current version in place, keeping what it held.</summary>
public sealed class SqliteGoalSchemaTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "minime-server-tests", "goals-" + Guid.NewGuid().ToString("N"));

    private string DatabasePath => Path.Combine(_folder, SqliteServerDatabase.FileName);

    [Fact]
    public async Task A_version_3_server_db_gains_the_goal_tables_and_keeps_its_conversations()
    {
        Directory.CreateDirectory(_folder);
        string conversation;
        await using (var old = new SqliteServerDatabase(DatabasePath))
            conversation = new ConversationStore(old).Create("ann", "Before goals existed").Id;
        // Back to what MiniMe before goals left on disk: version 3, no goal tables.
        using (var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False"))
        {
            connection.Open();
            using var downgrade = connection.CreateCommand();
            downgrade.CommandText = "DROP TABLE schedules; DROP TABLE goal_links; DROP TABLE goal_milestones; DROP TABLE goals; PRAGMA user_version = 3;";
            downgrade.ExecuteNonQuery();
        }
        SqliteConnection.ClearAllPools();

        await using var database = new SqliteServerDatabase(DatabasePath);
        var goals = new GoalStore(database, new GoalNotifier(), TimeProvider.System);
        var goal = goals.Create("ann", "After the upgrade", deadline: new DateOnly(2027, 1, 31));
        goals.AddMilestone("ann", goal.Id, "First step");

        Assert.Equal("After the upgrade", Assert.Single(goals.List("ann")).Title);
        Assert.Equal("Before goals existed", new ConversationStore(database).Require("ann", conversation).Title);
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

/// <summary>The server schema in PostgreSQL at version 1 (before goals) is migrated to the current version.</summary>
[Trait("Category", "Integration")]
[Collection(PostgresCollection.Name)]
[RequiresPostgres]
public sealed class PostgresGoalSchemaTests(PostgresServerFixture postgres) : IAsyncLifetime
{
    private string _connectionString = "";

    public async Task InitializeAsync() => _connectionString = await postgres.CreateDatabaseAsync();

    public Task DisposeAsync() => postgres.DropDatabaseAsync(_connectionString);

    [ContractFact]
    public async Task A_version_1_server_schema_gains_the_goal_tables_and_keeps_its_conversations()
    {
        string conversation;
        await using (var old = new PostgresServerDatabase(_connectionString))
            conversation = new ConversationStore(old).Create("ann", "Before goals existed").Id;
        await using (var connection = new NpgsqlConnection(_connectionString))
        {
            await connection.OpenAsync();
            await using var downgrade = new NpgsqlCommand(
                "DROP TABLE minime_server.schedules; DROP TABLE minime_server.goal_links; DROP TABLE minime_server.goal_milestones; DROP TABLE minime_server.goals; " +
                "DELETE FROM minime_server.schema_version WHERE version >= 2;", connection);
            await downgrade.ExecuteNonQueryAsync();
        }

        await using var database = new PostgresServerDatabase(_connectionString);
        var goals = new GoalStore(database, new GoalNotifier(), TimeProvider.System);
        var goal = goals.Create("ann", "After the upgrade", deadline: new DateOnly(2027, 1, 31), progress: 10);
        goals.AddMilestone("ann", goal.Id, "First step", new DateOnly(2027, 1, 10));
        goals.Update("ann", goal.Id, new GoalChanges(Progress: 55));

        var stored = Assert.Single(goals.List("ann"));
        Assert.Equal((55, new DateOnly(2027, 1, 31)), (stored.Progress, stored.Deadline!.Value));
        Assert.Equal(new DateOnly(2027, 1, 10), Assert.Single(stored.Milestones).Due);
        Assert.Empty(goals.List("bob"));
        Assert.Equal("Before goals existed", new ConversationStore(database).Require("ann", conversation).Title);
        await using var check = new NpgsqlConnection(_connectionString);
        await check.OpenAsync();
        await using var version = new NpgsqlCommand("SELECT max(version) FROM minime_server.schema_version", check);
        Assert.Equal(3, Convert.ToInt32(await version.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
    }

    [ContractFact]
    public async Task Minime_migrate_copies_goals_with_their_milestones_and_links_to_postgresql()
    {
        var root = Path.Combine(Path.GetTempPath(), "minime-server-tests", "goal-migrate-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        try
        {
            Goal before;
            await using (var sqlite = new SqliteServerDatabase(Path.Combine(root, SqliteServerDatabase.FileName)))
            {
                var goals = new GoalStore(sqlite, new GoalNotifier(), TimeProvider.System);
                var conversation = new ConversationStore(sqlite).Create("ann", "About the release").Id;
                var goal = goals.Create("ann", "Ship v2", "The next release", new DateOnly(2027, 3, 1), 25);
                goals.AddMilestone("ann", goal.Id, "Freeze features", new DateOnly(2027, 2, 1));
                goals.AddMilestone("ann", goal.Id, "Write notes");
                goals.AddLink("ann", goal.Id, GoalLinkKinds.Conversation, conversation);
                goals.Create("bob", "Bob's goal");
                before = goals.Require("ann", goal.Id);
            }

            var report = await ServerStateMigrator.MigrateAsync(new MiniMe.Configuration.Workspace(root), _connectionString, CancellationToken.None);

            Assert.True(report!.Verified, string.Join("; ", report.Tables));
            Assert.Equal([2L, 2L, 1L], report.Tables.Where(t => t.Table.StartsWith("goal", StringComparison.Ordinal)).Select(t => t.TargetRows));
            await using var pg = new PostgresServerDatabase(_connectionString);
            var after = new GoalStore(pg, new GoalNotifier(), TimeProvider.System).Require("ann", before.Id);
            Assert.Equal(Shape(before), Shape(after));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    private static string Shape(Goal goal) =>
        $"{goal.Id}|{goal.Title}|{goal.Description}|{goal.Status}|{goal.Deadline}|{goal.Progress}|{ServerDatabase.Microseconds(goal.CreatedAt):O}|" +
        string.Join(",", goal.Milestones.Select(m => $"{m.Id}:{m.Title}:{m.Status}:{m.Due}:{m.Order}")) + "|" +
        string.Join(",", goal.Links.Select(l => $"{l.Kind}:{l.Id}"));
}
