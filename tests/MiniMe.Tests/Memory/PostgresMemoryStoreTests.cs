using MiniMe.Configuration;
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

    protected virtual VectorOptions Vectors => new();

    protected PostgresMemoryStore PostgresStore => (PostgresMemoryStore)Store;

    protected override async Task<IMemoryStore> CreateStoreAsync()
    {
        ConnectionString = await Server.CreateDatabaseAsync();
        return new PostgresMemoryStore(ConnectionString, VectorSearch, vectors: Vectors);
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

/// <summary>
/// The same contract with dense search forced onto pgvector's HNSW index (vectors.annThreshold 0, so
/// even the contract's few vectors go through the index), plus the index's own behaviour: vectors.*
/// parameters, rebuilds, ef_search and recall against the exact scan. Skipped where pgvector is not installed.
/// </summary>
[Trait("Category", "Integration")]
[Collection(PostgresCollection.Name)]
[RequiresPostgres(Pgvector = true)]
public sealed class PgvectorMemoryStoreTests(PostgresServerFixture server) : PostgresMemoryStoreTests(server)
{
    private const int Dims = 32;
    private const string Model = "m";

    protected override PostgresVectorSearch VectorSearch => PostgresVectorSearch.Pgvector;

    protected override VectorOptions Vectors => new() { AnnThreshold = 0, M = 8, EfConstruction = 40, EfSearch = 64 };

    [StoreFact]
    public Task Hnsw_search_over_halfvec_agrees_with_the_exact_scan_on_random_vectors() => AssertRecallAsync(PostgresStore);

    [StoreFact]
    public async Task Hnsw_search_over_full_precision_vectors_agrees_with_the_exact_scan_on_random_vectors()
    {
        await using var store = new PostgresMemoryStore(ConnectionString, VectorSearch, vectors: new VectorOptions { AnnThreshold = 0, M = 8, EfConstruction = 40, EfSearch = 64, HalfPrecision = false });
        await store.InitializeAsync(CancellationToken.None);
        Assert.False(store.VectorPath.HalfPrecision);
        await AssertRecallAsync(store);
    }

    private async Task AssertRecallAsync(PostgresMemoryStore store)
    {
        Assert.True(store.VectorPath.UsesPgvector);
        var random = new Random(7);
        await WriteRandomVectorsAsync(store, random, 400);
        await using var exactStore = new PostgresMemoryStore(ConnectionString, PostgresVectorSearch.Exact);
        await exactStore.InitializeAsync(CancellationToken.None);

        var found = 0;
        const int queries = 20;
        for (var i = 0; i < queries; i++)
        {
            var query = RandomUnit(random, Dims);
            var approximate = await store.SearchDenseAsync(Model, query, 10, SearchFilter.None, CancellationToken.None);
            var exact = await exactStore.SearchDenseAsync(Model, query, 10, SearchFilter.None, CancellationToken.None);
            Assert.Equal(10, approximate.Count);
            found += approximate.Select(c => c.Chunk.Id).Intersect(exact.Select(c => c.Chunk.Id)).Count();
            // Scores are full precision whatever the index holds.
            if (approximate[0].Chunk.Id == exact[0].Chunk.Id) Assert.Equal(exact[0].RawScore, approximate[0].RawScore, 5);
        }
        var recall = found / (10.0 * queries);
        Assert.True(recall >= 0.9, $"mean recall@10 of HNSW against the exact scan was {recall:0.000}");
    }

    [StoreFact]
    public async Task The_approximate_query_is_answered_from_the_hnsw_index()
    {
        await WriteRandomVectorsAsync(PostgresStore, new Random(3), 200);
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var transaction = await DenseSearch.BeginHnswTransactionAsync(connection, 64, CancellationToken.None);
        // At a few hundred rows a sequential scan is cheaper; forbidding it shows the query can use the index at all.
        await using (var off = new NpgsqlCommand("SET LOCAL enable_seqscan = off", connection, transaction)) await off.ExecuteNonQueryAsync();
        await using var command = DenseSearch.ApproximateCommand(connection, PostgresStore.VectorPath, Model, RandomUnit(new Random(4), Dims), 10, SearchFilter.None);
        command.Transaction = transaction;
        command.CommandText = "EXPLAIN " + command.CommandText;
        var plan = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync()) plan.Add(reader.GetString(0));
        Assert.Contains(plan, line => line.Contains($"Index Scan using {VectorSearchPath.IndexName(Dims)}", StringComparison.Ordinal));
    }

    [StoreFact]
    public async Task The_hnsw_index_is_built_with_the_configured_m_and_ef_construction()
    {
        await WriteRandomVectorsAsync(PostgresStore, new Random(5), 50);
        Assert.Equal(["ef_construction=40", "m=8"], await IndexOptionsAsync());
        var definition = (string)(await ScalarAsync($"SELECT indexdef FROM pg_indexes WHERE indexname = '{VectorSearchPath.IndexName(Dims)}'"))!;
        Assert.Contains("USING hnsw", definition, StringComparison.Ordinal);
        Assert.Contains("halfvec_cosine_ops", definition, StringComparison.Ordinal);
        Assert.Contains($"WHERE (dims = {Dims})", definition, StringComparison.Ordinal);
    }

    [StoreFact]
    public async Task Changing_m_or_ef_construction_rebuilds_the_index_and_the_same_values_keep_it()
    {
        await WriteRandomVectorsAsync(PostgresStore, new Random(6), 50);
        var before = await IndexOidAsync();

        await using (var same = new PostgresMemoryStore(ConnectionString, VectorSearch, vectors: Vectors))
            await same.InitializeAsync(CancellationToken.None);
        Assert.Equal(before, await IndexOidAsync());

        var changed = new VectorOptions { AnnThreshold = 0, M = 12, EfConstruction = 48, EfSearch = 64 };
        await using (var rebuilt = new PostgresMemoryStore(ConnectionString, VectorSearch, vectors: changed))
        {
            await rebuilt.InitializeAsync(CancellationToken.None);
            Assert.NotEqual(before, await IndexOidAsync());
            Assert.Equal(["ef_construction=48", "m=12"], await IndexOptionsAsync());
            Assert.Equal(10, (await rebuilt.SearchDenseAsync(Model, RandomUnit(new Random(1), Dims), 10, SearchFilter.None, CancellationToken.None)).Count);
        }
    }

    [StoreFact]
    public async Task Turning_half_precision_off_rebuilds_the_index_over_full_precision_vectors()
    {
        await WriteRandomVectorsAsync(PostgresStore, new Random(10), 50);
        var before = await IndexOidAsync();
        await using var full = new PostgresMemoryStore(ConnectionString, VectorSearch, vectors: new VectorOptions { AnnThreshold = 0, M = 8, EfConstruction = 40, HalfPrecision = false });
        await full.InitializeAsync(CancellationToken.None);
        Assert.NotEqual(before, await IndexOidAsync());
        var definition = (string)(await ScalarAsync($"SELECT indexdef FROM pg_indexes WHERE indexname = '{VectorSearchPath.IndexName(Dims)}'"))!;
        Assert.Contains("vector_cosine_ops", definition, StringComparison.Ordinal);
        Assert.DoesNotContain("halfvec", definition, StringComparison.Ordinal);
        Assert.Equal(10, (await full.SearchDenseAsync(Model, RandomUnit(new Random(11), Dims), 10, SearchFilter.None, CancellationToken.None)).Count);
    }

    [StoreFact]
    public async Task Settings_beyond_pgvector_limits_are_clamped_so_the_index_still_builds()
    {
        await using var store = new PostgresMemoryStore(ConnectionString, VectorSearch, vectors: new VectorOptions { AnnThreshold = 0, M = 128, EfConstruction = 4096, EfSearch = 4096 });
        await store.InitializeAsync(CancellationToken.None);
        await WriteRandomVectorsAsync(store, new Random(8), 30);
        Assert.Equal(["ef_construction=1000", "m=100"], await IndexOptionsAsync());
        Assert.Equal(10, (await store.SearchDenseAsync(Model, RandomUnit(new Random(9), Dims), 10, SearchFilter.None, CancellationToken.None)).Count);
    }

    [StoreFact]
    public async Task Searches_set_the_configured_ef_search_only_inside_their_transaction()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        // Loads pgvector into this backend, so its settings have their defaults outside the transaction.
        await using (var load = new NpgsqlCommand("SELECT '[1,2]'::vector::text", connection)) await load.ExecuteScalarAsync();
        await using (var transaction = await DenseSearch.BeginHnswTransactionAsync(connection, 77, CancellationToken.None))
        {
            Assert.Equal("77", await ShowAsync(connection, transaction, "hnsw.ef_search"));
            Assert.Equal("relaxed_order", await ShowAsync(connection, transaction, "hnsw.iterative_scan"));
            await transaction.CommitAsync();
        }
        Assert.Equal("40", await ShowAsync(connection, null, "hnsw.ef_search"));
    }

    [StoreFact]
    public async Task A_user_schema_store_puts_pgvector_in_public_and_a_second_user_schema_finds_it()
    {
        var connectionString = await Server.CreateDatabaseAsync();
        try
        {
            foreach (var schema in (string[])["minime_user_a", "minime_user_b"])
            {
                await using var store = new PostgresMemoryStore(connectionString, PostgresVectorSearch.Pgvector, schema, Vectors);
                await store.InitializeAsync(CancellationToken.None);
                Assert.Equal("public", store.VectorPath.ExtensionSchema);
                await WriteRandomVectorsAsync(store, new Random(schema.Length), 30);
                Assert.Equal(10, (await store.SearchDenseAsync(Model, RandomUnit(new Random(2), Dims), 10, SearchFilter.None, CancellationToken.None)).Count);
            }
        }
        finally
        {
            await Server.DropDatabaseAsync(connectionString);
        }
    }

    private static async Task WriteRandomVectorsAsync(PostgresMemoryStore store, Random random, int count)
    {
        var texts = Enumerable.Range(0, count).Select(i => $"chunk number {i}").ToArray();
        await store.WriteDocumentsAsync([Doc("/many.md", "general", texts)], CancellationToken.None);
        var pending = await store.GetPendingEmbeddingsAsync(Model, null, count, CancellationToken.None);
        await store.PutEmbeddingsAsync(Model, pending.Select(p => (p.ContentHash, (ReadOnlyMemory<float>)RandomUnit(random, Dims))).ToList(), CancellationToken.None);
    }

    private async Task<string[]> IndexOptionsAsync() =>
        ((string[])(await ScalarAsync($"SELECT reloptions FROM pg_class WHERE relname = '{VectorSearchPath.IndexName(Dims)}'"))!).Order().ToArray();

    private async Task<uint> IndexOidAsync() =>
        (uint)(await ScalarAsync($"SELECT oid FROM pg_class WHERE relname = '{VectorSearchPath.IndexName(Dims)}'"))!;

    private static async Task<string?> ShowAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string setting)
    {
        await using var command = new NpgsqlCommand($"SELECT current_setting('{setting}', true)", connection, transaction);
        return await command.ExecuteScalarAsync() as string;
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
