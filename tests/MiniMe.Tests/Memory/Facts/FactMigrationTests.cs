using MiniMe.Configuration;
using MiniMe.Memory.Facts;
using MiniMe.Memory.Migration;
using MiniMe.Storage.Postgres;
using MiniMe.Storage.Sqlite;
using MiniMe.Tests.Context;
using MiniMe.Tests.Support;

namespace MiniMe.Tests.Memory.Facts;

/// <summary>Facts from a real SQLite store into a real PostgreSQL server: every state, history, review and vector, verified.</summary>
[Trait("Category", "Integration")]
[Collection(PostgresCollection.Name)]
public sealed class FactMigrationTests(PostgresServerFixture server) : IAsyncLifetime, IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly DateTimeOffset Start = new(2025, 3, 1, 9, 0, 0, TimeSpan.Zero);

    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _clock = new(Start);
    private SqliteFactStore _sqlite = null!;
    private PostgresFactStore _postgres = null!;
    private string _connectionString = "";

    public async Task InitializeAsync()
    {
        _sqlite = new SqliteFactStore(_dir.Combine("memory.db"));
        await _sqlite.InitializeAsync(None);
        if (PostgresBinaries.SkipReason is not null) return;
        _connectionString = await server.CreateDatabaseAsync();
        _postgres = new PostgresFactStore(_connectionString);
        await _postgres.InitializeAsync(None);
    }

    public async Task DisposeAsync()
    {
        await _sqlite.DisposeAsync();
        if (_postgres is null) return;
        await _postgres.DisposeAsync();
        await server.DropDatabaseAsync(_connectionString);
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>Active, superseded, retracted, pending, rejected and accepted facts, history of every kind, reviews, vectors and an id gap.</summary>
    private async Task<FactService> FillSqliteAsync()
    {
        var facts = new FactService(_sqlite, new FactOptions(), time: _clock);
        async Task<RememberResult> Remember(string text, string? category = null)
        {
            _clock.Advance(TimeSpan.FromMinutes(1).Add(TimeSpan.FromTicks(1234560)));
            return await facts.RememberAsync(new RememberRequest(text, category, Confidence: 0.8, Importance: 0.3), None);
        }

        await Remember("lives in Oslo", "home");
        await Remember("lives in Bergen");                         // supersedes Oslo
        var rider = await Remember("uses Rider for C#", "tools");
        await Remember("Uses Rider for C#.");                      // reinforced
        await facts.EditAsync(rider.Fact.Id, "uses VS Code for C#", None);
        var tea = await Remember("prefers green tea");
        await facts.ForgetAsync(tea.Fact.Id, None);                // retracted
        await Remember("never deploys on Fridays");
        var pending = await Remember("deploys on Fridays after noon");   // queued, stays pending
        Assert.Equal(RememberOutcome.Queued, pending.Outcome);
        await Remember("prefers dark mode");
        var rejected = await Remember("prefers dark mode everywhere");
        await facts.ResolveAsync(rejected.Review!.Id, ReviewDecision.Reject, None);
        // Captured facts carry their origin; one waits for review with no existing fact (facts.capture: review).
        await facts.RememberAsync(new RememberRequest("plays the cello", "hobbies", FactSource.Conversation, 0.9, 0.755,
            FactOrigin.ForConversation("c-1", 4, "r-1")), None);
        var held = await facts.RememberAsync(new RememberRequest("keeps a sourdough starter", null, FactSource.Inferred, 0.6, 0.41,
            FactOrigin.ForRun("r-2"), HoldReason: "captured from run r-2 (facts.capture: review)"), None);
        Assert.Equal(FactReviewKind.Captured, held.Review!.Kind);
        var gone = await Remember("owns a boat");
        await facts.PurgeAsync(gone.Fact.Id, None);                // an id gap
        await _sqlite.AddAsync(FactInsert.Active(new FactDraft("x marks", "x marks", "general", FactSource.Inferred, 0.1, 0.9),
            new FactEmbedding("tiny", new[] { 0.25f, -1e-7f, float.Epsilon })), Start, None);
        await _sqlite.AddAsync(FactInsert.Active(new FactDraft("y marks", "y marks", "general", FactSource.Conversation, 1.0 / 3, 0.5),
            new FactEmbedding("other", new[] { 1f, 2f })), Start, None);
        return facts;
    }

    [PostgresFact]
    public async Task Every_fact_history_entry_review_and_vector_arrives_with_its_ids_and_times()
    {
        await FillSqliteAsync();

        var report = await FactMigrator.MigrateAsync(_sqlite, _postgres, None);

        Assert.True(report.Verified);
        var from = await _sqlite.ExportFactsAsync(None);
        var to = await _postgres.ExportFactsAsync(None);
        Assert.Equal(from.Facts, to.Facts);
        Assert.Equal(from.History, to.History);
        Assert.Equal(from.Reviews, to.Reviews);
        Assert.Equal(from.Vectors.Select(v => (v.FactId, v.Model, string.Join(',', v.Vector.ToArray()))),
            to.Vectors.Select(v => (v.FactId, v.Model, string.Join(',', v.Vector.ToArray()))));
        foreach (var status in Enum.GetValues<FactStatus>())
            Assert.Contains(to.Facts, f => f.Fact.Status == status);
        Assert.Contains(to.Reviews, r => r.Status == FactReviewStatus.Pending);
        Assert.Contains(to.Reviews, r => r.Status == FactReviewStatus.Rejected);
        Assert.Contains(to.Reviews, r => r.Kind == FactReviewKind.Captured && r.ExistingId is null);
        Assert.Contains(to.Facts, f => f.Fact.Origin == new FactOrigin("conversation", "c-1", "4", "r-1"));
        Assert.Contains(to.Facts, f => f.Fact.Origin == new FactOrigin("run", "r-2", null, "r-2") && f.Fact.Status == FactStatus.Pending);
        Assert.Equal(2, to.Vectors.Count);
        Assert.Equal(from.Facts.Count, report.Target.Facts);
    }

    [PostgresFact]
    public async Task Migrated_facts_are_searchable_and_new_ones_take_fresh_ids()
    {
        await FillSqliteAsync();
        await FactMigrator.MigrateAsync(_sqlite, _postgres, None);
        var maxId = (await _sqlite.ExportFactsAsync(None)).Facts.Max(f => f.Fact.Id);
        var facts = new FactService(_postgres, new FactOptions(), time: _clock);

        Assert.Equal(["uses VS Code for C#"], (await _postgres.SearchLexicalAsync("\"code\"", 10, None)).Select(m => m.Fact.Text));
        Assert.Equal("x marks", Assert.Single(await _postgres.SearchDenseAsync("tiny", new[] { 1f, 0f, 0f }, 5, None)).Fact.Text);
        var again = await facts.RememberAsync(new RememberRequest("uses VS code for c#"), None);
        Assert.Equal(RememberOutcome.Reinforced, again.Outcome);
        Assert.Equal(3, again.Fact.SeenCount);
        var fresh = await facts.RememberAsync(new RememberRequest("keeps bees"), None);
        Assert.Equal(RememberOutcome.Added, fresh.Outcome);
        Assert.True(fresh.Fact.Id > maxId, $"new fact #{fresh.Fact.Id} reuses an id at or below the migrated #{maxId}");
    }

    [PostgresFact]
    public async Task A_rerun_converges_on_a_changed_source_and_a_target_with_its_own_facts_is_refused()
    {
        var facts = await FillSqliteAsync();
        var first = await FactMigrator.MigrateAsync(_sqlite, _postgres, None);

        var same = await FactMigrator.MigrateAsync(_sqlite, _postgres, None);
        Assert.True(same.Verified);
        Assert.Equal(first.Target, same.Target);

        // Later changes in SQLite (a sighting, a resolved review, a new fact) replace their namesakes on the next run.
        await facts.RememberAsync(new RememberRequest("lives in Bergen"), None);
        var pending = Assert.Single(await facts.ReviewsAsync(pendingOnly: true, None), r => r.Review.Kind != FactReviewKind.Captured);
        await facts.ResolveAsync(pending.Review.Id, ReviewDecision.KeepBoth, None);
        await facts.RememberAsync(new RememberRequest("keeps bees"), None);
        var changed = await FactMigrator.MigrateAsync(_sqlite, _postgres, None);
        Assert.True(changed.Verified);
        Assert.NotEqual(first.Target, changed.Target);
        Assert.Equal(changed.Source, await FactDigest.ComputeAsync(_sqlite, None));

        await new FactService(_postgres, new FactOptions()).RememberAsync(new RememberRequest("written on PostgreSQL only"), None);
        var refused = await Assert.ThrowsAsync<MigrationException>(() => FactMigrator.MigrateAsync(_sqlite, _postgres, None));
        Assert.Contains("facts that are not in the source", refused.Message, StringComparison.Ordinal);
    }

    [PostgresFact]
    public async Task A_changed_row_in_postgres_changes_its_checksum_and_nothing_else()
    {
        await FillSqliteAsync();
        var report = await FactMigrator.MigrateAsync(_sqlite, _postgres, None);
        var fact = (await _postgres.ExportFactsAsync(None)).Facts.First(f => f.Fact.Status == FactStatus.Active).Fact;

        await _postgres.ReinforceAsync(fact.Id, fact.Text, 0, 0, Start, None);
        var after = await FactDigest.ComputeAsync(_postgres, None);

        Assert.Equal(report.Target.Facts, after.Facts);
        Assert.NotEqual(report.Target.FactsSha256, after.FactsSha256);
        Assert.Equal(report.Target.History + 1, after.History);
        Assert.Equal(report.Target.ReviewsSha256, after.ReviewsSha256);
        Assert.Equal(report.Target.VectorsSha256, after.VectorsSha256);
    }

    [PostgresFact]
    public async Task A_target_whose_facts_only_share_ids_with_the_source_is_refused_before_anything_is_written()
    {
        await FillSqliteAsync();
        // PostgreSQL used before migrating: its fact #1 is not SQLite's fact #1.
        await new FactService(_postgres, new FactOptions()).RememberAsync(new RememberRequest("written on PostgreSQL only"), None);
        var before = await FactDigest.ComputeAsync(_postgres, None);

        var refused = await Assert.ThrowsAsync<MigrationException>(() => FactMigrator.MigrateAsync(_sqlite, _postgres, None));

        Assert.Contains("facts that are not in the source (1, first #1)", refused.Message, StringComparison.Ordinal);
        Assert.Equal(before, await FactDigest.ComputeAsync(_postgres, None));
    }
}
