using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using MiniMe.Actions;
using MiniMe.Configuration;
using MiniMe.Server.Ask;
using MiniMe.Server.Auth;
using MiniMe.Server.Conversations;
using MiniMe.Server.Storage;
using MiniMe.Server.Tests.Support;
using MiniMe.Tests.Support;

namespace MiniMe.Server.Tests.Storage;

/// <summary>`minime migrate --to postgres` for the server's state: server.db copied row for row into PostgreSQL, verified.</summary>
[Trait("Category", "Integration")]
[Collection(PostgresCollection.Name)]
[RequiresPostgres]
public sealed class ServerStateMigratorTests(PostgresServerFixture postgres) : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "minime-server-tests", "migrate-" + Guid.NewGuid().ToString("N"));
    private string _connectionString = "";

    private Workspace Workspace => new(_root);

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_root);
        _connectionString = await postgres.CreateDatabaseAsync();
    }

    public async Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
        await postgres.DropDatabaseAsync(_connectionString);
    }

    [ContractFact]
    public async Task Every_key_conversation_message_and_proposal_arrives_with_its_ids_and_times_and_a_rerun_changes_nothing()
    {
        await using var sqlite = new SqliteServerDatabase(Path.Combine(_root, SqliteServerDatabase.FileName));
        var secret = Fill(sqlite);

        var report = await ServerStateMigrator.MigrateAsync(Workspace, _connectionString, CancellationToken.None);

        Assert.NotNull(report);
        Assert.True(report.Verified, string.Join("; ", report.Tables));
        Assert.Equal([("api_keys", 2L), ("conversations", 2L), ("messages", 4L), ("proposals", 3L), ("goals", 0L), ("goal_milestones", 0L), ("goal_links", 0L), ("schedules", 0L)],
            report.Tables.Select(t => (t.Table, t.TargetRows)));
        await using var pg = new PostgresServerDatabase(_connectionString);
        Assert.Equal(new ApiKeyStore(sqlite).List(includeRevoked: true), new ApiKeyStore(pg).List(includeRevoked: true));
        Assert.Equal("laptop", new ApiKeyStore(pg).Authenticate(secret)?.Name);
        foreach (var user in (string[])["ann", "bob"])
        {
            var (from, to) = (new ConversationStore(sqlite), new ConversationStore(pg));
            Assert.Equal(from.List(user, 10), to.List(user, 10));
            foreach (var conversation in from.List(user, 10))
            {
                Assert.Equal(from.Messages(user, conversation.Id).Select(m => m with { CreatedAt = ServerDatabase.Microseconds(m.CreatedAt) }), to.Messages(user, conversation.Id));
                Assert.Equal(from.Summary(user, conversation.Id), to.Summary(user, conversation.Id));
            }
        }
        var (sourceProposals, targetProposals) = (new ProposalStore(sqlite).List("ann", null, 10), new ProposalStore(pg).List("ann", null, 10));
        Assert.Equal(sourceProposals.Select(ServerStoreContractTests.Shape), targetProposals.Select(ServerStoreContractTests.Shape));

        var again = await ServerStateMigrator.MigrateAsync(Workspace, _connectionString, CancellationToken.None);
        Assert.True(again!.Verified);
        Assert.Equal(report.Tables, again.Tables);

        // The copied message ids are taken: a new message on PostgreSQL continues after them.
        var conversations = new ConversationStore(pg);
        var busiest = conversations.List("ann", 10).Single(c => c.MessageCount == 3);
        var last = conversations.Messages("ann", busiest.Id)[^1].Id;
        Assert.True(conversations.Append("ann", busiest.Id, new ConversationMessage(0, ChatRoles.User, "after the move", default)).Id > last);
    }

    [ContractFact]
    public async Task A_rerun_after_more_use_brings_postgres_up_to_date_and_rows_only_postgres_has_fail_verification()
    {
        await using var sqlite = new SqliteServerDatabase(Path.Combine(_root, SqliteServerDatabase.FileName));
        Fill(sqlite);
        Assert.True((await ServerStateMigrator.MigrateAsync(Workspace, _connectionString, CancellationToken.None))!.Verified);

        var proposals = new ProposalStore(sqlite);
        var pending = proposals.List("ann", ProposalStatuses.Pending, 10)[0];
        proposals.Claim("ann", pending.Id);
        proposals.Finish("ann", pending.Id, ProposalStatuses.Rejected, "not now");
        var rerun = await ServerStateMigrator.MigrateAsync(Workspace, _connectionString, CancellationToken.None);
        Assert.True(rerun!.Verified);
        await using var pg = new PostgresServerDatabase(_connectionString);
        Assert.Equal("not now", new ProposalStore(pg).Require("ann", pending.Id).Note);

        new ApiKeyStore(pg).Create("only-in-postgres", "ann");
        var diverged = await ServerStateMigrator.MigrateAsync(Workspace, _connectionString, CancellationToken.None);
        Assert.False(diverged!.Verified);
        var keys = diverged.Tables.Single(t => !t.Same);
        Assert.Equal(("api_keys", 2L, 3L), (keys.Table, keys.SourceRows, keys.TargetRows));
    }

    [ContractFact]
    public async Task A_workspace_whose_server_never_ran_has_nothing_to_migrate_and_gets_no_server_db()
    {
        Assert.Null(await ServerStateMigrator.MigrateAsync(Workspace, _connectionString, CancellationToken.None));
        Assert.False(File.Exists(Path.Combine(_root, SqliteServerDatabase.FileName)));
    }

    /// <summary>Keys (one revoked), two users' conversations with a summary, proposals pending, decided and being decided; returns the live key.</summary>
    private static string Fill(SqliteServerDatabase database)
    {
        var keys = new ApiKeyStore(database);
        var secret = keys.Create("laptop", "ann").Secret;
        keys.Create("old", "bob");
        keys.Revoke("old");

        var conversations = new ConversationStore(database);
        var talk = conversations.Create("ann", "How do we deploy?");
        conversations.Append("ann", talk.Id, new ConversationMessage(0, ChatRoles.User, "How do we deploy?", default));
        var answer = conversations.Append("ann", talk.Id, new ConversationMessage(0, ChatRoles.Assistant, "With helm — ünïcode too.", default, "run-1", 40, 7));
        conversations.Append("ann", talk.Id, new ConversationMessage(0, ChatRoles.User, "Thanks", default));
        conversations.SetSummary("ann", talk.Id, "Ann deploys with helm.", answer.Id);
        var other = conversations.Create("bob", "Hello");
        conversations.Append("bob", other.Id, new ConversationMessage(0, ChatRoles.User, "Hello", default));
        // A row written before times were kept to the microsecond: it arrives truncated, and still verifies.
        using (var connection = database.Open())
        using (var command = connection.Command("UPDATE messages SET created_at = '2026-03-01T08:00:00.1234567Z' WHERE conversation_id = @id").With("@id", other.Id))
            command.ExecuteNonQuery();

        var proposals = new ProposalStore(database);
        ActionProposal Proposal(string command) => new("a", "run_command", new JsonObject { ["command"] = command }, "because");
        proposals.Add("ann", "run-2", Proposal("echo pending"));
        var decided = proposals.Add("ann", "run-2", Proposal("echo decided"));
        proposals.Claim("ann", decided.Id);
        proposals.Finish("ann", decided.Id, ProposalStatuses.Approved, "executed: ok");
        var deciding = proposals.Add("ann", "run-2", Proposal("echo deciding"));
        proposals.Claim("ann", deciding.Id);
        return secret;
    }
}
