using MiniMe.Memory;
using MiniMe.Storage.Postgres;
using MiniMe.Tests.Support;
using Npgsql;

namespace MiniMe.Tests.Memory;

/// <summary>The store contract on a real PostgreSQL server, dense search on the exact float4[] path.</summary>
[Trait("Category", "Integration")]
[Collection(PostgresCollection.Name)]
[RequiresPostgres]
public class PostgresMemoryStoreTests(PostgresServerFixture server) : MemoryStoreContractTests
{
    protected PostgresServerFixture Server { get; } = server;

    protected string ConnectionString { get; private set; } = "";

    protected virtual PostgresVectorSearch VectorSearch => PostgresVectorSearch.Exact;

    protected PostgresMemoryStore PostgresStore => (PostgresMemoryStore)Store;

    protected override async Task<IMemoryStore> CreateStoreAsync()
    {
        ConnectionString = await Server.CreateDatabaseAsync();
        return new PostgresMemoryStore(ConnectionString, VectorSearch);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Server.DropDatabaseAsync(ConnectionString);
    }

    [StoreFact]
    public void The_configured_vector_path_is_the_one_in_use()
    {
        var path = PostgresStore.VectorPath;
        Assert.Equal(VectorSearch == PostgresVectorSearch.Pgvector, path.UsesPgvector);
        Assert.StartsWith(path.UsesPgvector ? "pgvector " : "exact cosine in SQL over float4[]", path.Description, StringComparison.Ordinal);
    }

    [StoreFact]
    public async Task Schema_version_is_recorded_and_initializing_again_keeps_the_data()
    {
        await Store.WriteDocumentsAsync([Doc("/a.md", "general", "kept")], CancellationToken.None);
        await using var again = new PostgresMemoryStore(ConnectionString, VectorSearch);
        await again.InitializeAsync(CancellationToken.None);
        Assert.Equal(1, (await again.GetStatsAsync(CancellationToken.None)).Chunks);
        Assert.Equal((long)PostgresSchema.CurrentVersion, await ScalarAsync("SELECT count(*) FROM schema_version"));
        Assert.Equal(PostgresSchema.CurrentVersion, await ScalarAsync("SELECT max(version) FROM schema_version"));
    }

    [StoreFact]
    public async Task A_newer_schema_is_refused_with_a_clear_message()
    {
        await ScalarAsync("INSERT INTO schema_version (version) VALUES (99)");
        await using var again = new PostgresMemoryStore(ConnectionString, VectorSearch);
        var e = await Assert.ThrowsAsync<PostgresUnavailableException>(() => again.InitializeAsync(CancellationToken.None));
        Assert.Contains("schema version 99", e.Message, StringComparison.Ordinal);
    }

    [StoreFact]
    public async Task Text_with_a_nul_character_is_refused_and_nothing_is_written()
    {
        var e = await Assert.ThrowsAsync<InvalidInputException>(() =>
            Store.WriteDocumentsAsync([Doc("/ok.md", "general", "fine"), Doc("/bad.md", "general", "bad\0text")], CancellationToken.None));
        Assert.Contains("/bad.md", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, (await Store.GetStatsAsync(CancellationToken.None)).Documents);
    }

    [StoreFact]
    public async Task Title_body_and_symbol_fields_carry_their_configured_weights()
    {
        var write = Doc("/x/plain.md", "general", "nothing relevant here");
        var title = new DocumentWrite(
            new DocumentRecord("/x/t.md", "h1", 1, DateTimeOffset.UtcNow, "general", []),
            [new ChunkRecord(0, 0, 5, "other words", "c1", null, "gateway", "")]);
        var symbols = new DocumentWrite(
            new DocumentRecord("/x/s.md", "h2", 1, DateTimeOffset.UtcNow, "general", []),
            [new ChunkRecord(0, 0, 5, "more words", "c2", null, "unrelated", "gateway")]);
        await Store.WriteDocumentsAsync([write, title, symbols], CancellationToken.None);
        var titleFirst = await Store.SearchLexicalAsync("\"gateway\"", 10, SearchFilter.None, new Bm25Weights(2, 1, 0.5), CancellationToken.None);
        Assert.Equal(["/x/t.md", "/x/s.md"], titleFirst.Select(c => c.Chunk.Source));
        var symbolsFirst = await Store.SearchLexicalAsync("\"gateway\"", 10, SearchFilter.None, new Bm25Weights(0.5, 1, 2), CancellationToken.None);
        Assert.Equal(["/x/s.md", "/x/t.md"], symbolsFirst.Select(c => c.Chunk.Source));
    }

    [StoreFact]
    public async Task Phrases_match_words_in_order_and_identifier_parts()
    {
        await Store.WriteDocumentsAsync(
        [
            Doc("/a.md", "general", "the http client factory creates handlers"),
            Doc("/b.md", "general", "a factory for every client over http"),
        ], CancellationToken.None);
        var hits = await Store.SearchLexicalAsync("\"httpclientfactory\" OR \"http client factory\"", 10, SearchFilter.None, new Bm25Weights(2.5, 1, 0.7), CancellationToken.None);
        Assert.Equal("/a.md", Assert.Single(hits).Chunk.Source);
    }

    [StoreFact]
    public async Task Import_keeps_timestamps_reuse_counts_and_index_fields()
    {
        var importedAt = new DateTimeOffset(2021, 3, 4, 5, 6, 7, TimeSpan.Zero).AddTicks(1234567);
        var modified = new DateTimeOffset(1995, 1, 2, 3, 4, 5, TimeSpan.FromHours(2)).AddTicks(9);
        var document = new ExportedDocument(
            new DocumentRecord("/old/notes.md", "dochash", 42, modified, "data", ["a", "b"]),
            importedAt,
            [new ExportedChunk(0, 0, 20, "schema migration notes", "chunkhash", "Intro", "old notes Intro", "schema migration", importedAt, 7)]);
        await PostgresStore.ImportDocumentsAsync([document], CancellationToken.None);
        await PostgresStore.ImportDocumentsAsync([document], CancellationToken.None);

        var exported = new List<ExportedDocument>();
        await foreach (var d in PostgresStore.ExportDocumentsAsync(CancellationToken.None)) exported.Add(d);
        var back = Assert.Single(exported);
        Assert.Equal(modified.UtcTicks / 10, back.Document.ModifiedAt.UtcTicks / 10);
        Assert.Equal(importedAt.UtcTicks / 10, back.ImportedAt.UtcTicks / 10);
        var chunk = Assert.Single(back.Chunks);
        Assert.Equal(7, chunk.ReuseCount);
        Assert.Equal("old notes Intro", chunk.Title);
        Assert.Equal("schema migration", chunk.Symbols);
        Assert.Equal(["a", "b"], back.Document.Tags);
        var hit = Assert.Single(await Store.SearchLexicalAsync("\"intro\"", 10, SearchFilter.None, new Bm25Weights(2.5, 1, 0.7), CancellationToken.None));
        Assert.Equal(7, hit.Chunk.ReuseCount);
    }

    protected async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }
}

/// <summary>The same contract with dense search forced onto pgvector's HNSW index; skipped where pgvector is not installed.</summary>
[Trait("Category", "Integration")]
[Collection(PostgresCollection.Name)]
[RequiresPostgres(Pgvector = true)]
public sealed class PgvectorMemoryStoreTests(PostgresServerFixture server) : PostgresMemoryStoreTests(server)
{
    protected override PostgresVectorSearch VectorSearch => PostgresVectorSearch.Pgvector;

    [StoreFact]
    public async Task Hnsw_search_agrees_with_the_exact_scan_and_uses_the_index()
    {
        Assert.True(PostgresStore.VectorPath.UsesPgvector);
        const int dims = 32;
        var random = new Random(7);
        var texts = Enumerable.Range(0, 400).Select(i => $"chunk number {i}").ToArray();
        await Store.WriteDocumentsAsync([Doc("/many.md", "general", texts)], CancellationToken.None);
        var pending = await Store.GetPendingEmbeddingsAsync("m", null, 1000, CancellationToken.None);
        await Store.PutEmbeddingsAsync("m", pending.Select(p => (p.ContentHash, (ReadOnlyMemory<float>)RandomUnit(random, dims))).ToList(), CancellationToken.None);

        Assert.Equal(1L, await ScalarAsync($"SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_embeddings_hnsw_{dims}'"));
        var query = RandomUnit(random, dims);
        var approximate = await Store.SearchDenseAsync("m", query, 10, SearchFilter.None, CancellationToken.None);
        await using var exactStore = new PostgresMemoryStore(ConnectionString, PostgresVectorSearch.Exact);
        await exactStore.InitializeAsync(CancellationToken.None);
        var exact = await exactStore.SearchDenseAsync("m", query, 10, SearchFilter.None, CancellationToken.None);
        var overlap = approximate.Select(c => c.Chunk.Id).Intersect(exact.Select(c => c.Chunk.Id)).Count();
        Assert.True(overlap >= 9, $"recall@10 of HNSW against exact was {overlap}/10");
        Assert.Equal(exact[0].RawScore, approximate[0].RawScore, 4);
    }

    private static float[] RandomUnit(Random random, int dims)
    {
        var v = new float[dims];
        for (var i = 0; i < dims; i++) v[i] = (float)(random.NextDouble() * 2 - 1);
        var norm = MathF.Sqrt(v.Sum(x => x * x));
        for (var i = 0; i < dims; i++) v[i] /= norm;
        return v;
    }
}
