using MiniMe.Configuration;
using MiniMe.Memory;
using MiniMe.Memory.Facts;
using MiniMe.Storage.Postgres;
using MiniMe.Tests.Support;
using Npgsql;

namespace MiniMe.Tests.Memory.Facts;

/// <summary>The fact store contract on a real PostgreSQL server, a fresh database per test.</summary>
[Trait("Category", "Integration")]
[Collection(PostgresCollection.Name)]
[RequiresPostgres]
public sealed class PostgresFactStoreTests(PostgresServerFixture server) : FactStoreContractTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    private string ConnectionString { get; set; } = "";

    protected override async Task<IFactStore> CreateStoreAsync()
    {
        ConnectionString = await server.CreateDatabaseAsync();
        return new PostgresFactStore(ConnectionString);
    }

    protected override IFactStore CreateSecondWriter() => new PostgresFactStore(ConnectionString);

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await server.DropDatabaseAsync(ConnectionString);
    }

    private async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    [StoreFact]
    public async Task Facts_live_in_the_users_schema_and_do_not_leak_into_another()
    {
        await using var ann = new PostgresFactStore(ConnectionString, "minime_user_ann");
        await using var bob = new PostgresFactStore(ConnectionString, "minime_user_bob");
        await ann.InitializeAsync(None);
        await bob.InitializeAsync(None);
        var annFacts = new FactService(ann, new FactOptions(), time: Clock);
        var bobFacts = new FactService(bob, new FactOptions(), time: Clock);

        var annTea = await annFacts.RememberAsync(new RememberRequest("prefers green tea"), None);
        var bobTea = await bobFacts.RememberAsync(new RememberRequest("prefers green tea"), None);

        // Bob's statement is his own new fact, not a sighting of Ann's.
        Assert.Equal(RememberOutcome.Added, bobTea.Outcome);
        Assert.Equal(1, (await ann.GetAsync(annTea.Fact.Id, None))!.SeenCount);
        await annFacts.RememberAsync(new RememberRequest("uses Rider"), None);
        Assert.Equal(["prefers green tea"], (await bob.ListAsync(new FactQuery(), None)).Select(f => f.Text));
        Assert.Empty(await bob.SearchLexicalAsync("\"rider\"", 10, None));
        Assert.Single(await ann.SearchLexicalAsync("\"rider\"", 10, None));
        Assert.Equal(2L, await ScalarAsync("SELECT count(*) FROM minime_user_ann.facts"));
        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM minime_user_bob.facts"));
        Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM public.facts"));
    }

    [StoreFact]
    public async Task Initializing_the_fact_store_alone_creates_the_memory_tables_of_the_same_schema()
    {
        await using var facts = new PostgresFactStore(ConnectionString, "minime_user_cy");
        await facts.InitializeAsync(None);
        Assert.Equal(PostgresSchema.CurrentVersion, await ScalarAsync("SELECT max(version) FROM minime_user_cy.schema_version"));

        await using var memory = new PostgresMemoryStore(ConnectionString, PostgresVectorSearch.Exact, "minime_user_cy");
        await memory.InitializeAsync(None);
        await memory.WriteDocumentsAsync([new DocumentWrite(new DocumentRecord("/a.md", "h", 4, DateTimeOffset.UtcNow, "general", []), [new ChunkRecord(0, 0, 4, "kept", "c", null, "a", "")])], None);
        await new FactService(facts, new FactOptions()).RememberAsync(new RememberRequest("prefers tea"), None);

        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM minime_user_cy.documents"));
        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM minime_user_cy.facts"));
        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM minime_user_cy.schema_version WHERE version = 1"));
    }

    [StoreFact]
    public async Task The_search_vector_follows_edits_and_purges()
    {
        var a = await Facts.RememberAsync(new RememberRequest("uses Rider"), None);
        var b = await Facts.RememberAsync(new RememberRequest("prefers tea"), None);
        await Facts.EditAsync(a.Fact.Id, "uses VS Code", None);
        await Facts.PurgeAsync(b.Fact.Id, None);

        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM facts WHERE search @@ to_tsquery('english', 'code')"));
        Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM facts WHERE search @@ to_tsquery('english', 'rider | tea')"));
        Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM fact_history WHERE fact_id = " + b.Fact.Id));
    }

    [StoreFact]
    public async Task A_statement_with_a_nul_character_is_refused_with_nothing_written()
    {
        var e = await Assert.ThrowsAsync<InvalidInputException>(() => Facts.RememberAsync(new RememberRequest("prefers\0tea"), None));

        Assert.Contains("NUL", e.Message, StringComparison.Ordinal);
        Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM facts"));
    }

    [StoreFact]
    public async Task Timestamps_keep_microseconds_and_come_back_in_utc()
    {
        var at = new DateTimeOffset(2025, 3, 1, 10, 0, 0, TimeSpan.FromHours(2)).AddTicks(1234567);

        var added = await Store.AddAsync(FactInsert.Active(new FactDraft("uses Rider", "uses rider", "tools", FactSource.Explicit, 0.9, 0.3), null), at, None);

        Assert.Equal(TimeSpan.Zero, added.Fact.CreatedAt.Offset);
        Assert.Equal(at.UtcTicks - 7, added.Fact.CreatedAt.UtcTicks);
        Assert.Equal(0.9, added.Fact.Confidence);
    }
}
