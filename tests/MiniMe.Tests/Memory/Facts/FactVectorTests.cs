using Microsoft.Extensions.AI;
using MiniMe.Configuration;
using MiniMe.Context;
using MiniMe.Embeddings;
using MiniMe.Memory.Facts;
using MiniMe.Storage.Postgres;
using MiniMe.Storage.Sqlite;
using MiniMe.Tests.Embeddings;
using MiniMe.Tests.Support;

namespace MiniMe.Tests.Memory.Facts;

/// <summary>
/// Facts with a real (tiny, hand-written) ONNX embedding model. Words outside its vocabulary all map
/// to [UNK], so "zorbix" and "quuxle" get the same vector while sharing no word: the vectors, not the
/// words, decide those pairs. Each store's test class derives from this and supplies a fresh, empty store.
/// </summary>
public abstract class FactVectorTests : IAsyncLifetime, IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly TempDirectory _dir = new();
    private OnnxEmbeddingGenerator _embeddings = null!;
    private IFactStore _store = null!;

    protected TempDirectory Folder => _dir;

    protected abstract Task<IFactStore> CreateStoreAsync();

    private string Model => _embeddings.GetService<EmbeddingGeneratorMetadata>()!.DefaultModelId!;

    public async Task InitializeAsync()
    {
        var vocab = _dir.Combine("vocab.txt");
        var model = _dir.Combine("tiny.onnx");
        TinyOnnxModelWriter.WriteVocab(vocab);
        TinyOnnxModelWriter.WriteModel(model, 16);
        _embeddings = new OnnxEmbeddingGenerator(new OnnxEmbeddingOptions { ModelPath = model, VocabPath = vocab });
        _store = await CreateStoreAsync();
        await _store.InitializeAsync(None);
    }

    public virtual async Task DisposeAsync()
    {
        _embeddings.Dispose();
        await _store.DisposeAsync();
    }

    public void Dispose()
    {
        _dir.Dispose();
        GC.SuppressFinalize(this);
    }

    private FactService WithVectors() => new(_store, new FactOptions(), _embeddings, Model);

    private FactService WordsOnly() => new(_store, new FactOptions());

    [StoreFact]
    public async Task Without_vectors_statements_sharing_no_words_are_unrelated()
    {
        await WordsOnly().RememberAsync(new RememberRequest("zorbix"), None);

        var second = await WordsOnly().RememberAsync(new RememberRequest("quuxle"), None);

        Assert.Equal(RememberOutcome.Added, second.Outcome);
    }

    [StoreFact]
    public async Task With_vectors_a_statement_with_the_same_vector_reinforces_the_known_one()
    {
        var first = await WithVectors().RememberAsync(new RememberRequest("zorbix"), None);

        var second = await WithVectors().RememberAsync(new RememberRequest("quuxle"), None);

        Assert.Equal(RememberOutcome.Reinforced, second.Outcome);
        Assert.Equal(first.Fact.Id, second.Fact.Id);
        Assert.Contains("cosine", second.Reason, StringComparison.Ordinal);
    }

    [StoreFact]
    public async Task Facts_stored_before_embeddings_were_configured_are_embedded_when_compared()
    {
        // Stored without a vector, so only the lexical search can find it (through "zorbix").
        var old = await WordsOnly().RememberAsync(new RememberRequest("zorbix wibble"), None);
        Assert.Empty(await _store.SearchDenseAsync(Model, new float[16], 10, None));

        var result = await WithVectors().RememberAsync(new RememberRequest("zorbix quuxle"), None);

        Assert.Equal(RememberOutcome.Reinforced, result.Outcome);
        Assert.Equal(old.Fact.Id, result.Fact.Id);
    }

    [StoreFact]
    public async Task Vectors_are_stored_with_the_fact_and_replaced_on_edit()
    {
        var service = WithVectors();
        var fact = await service.RememberAsync(new RememberRequest("zorbix"), None);
        var unknown = await _embeddings.GenerateVectorAsync("zorbix");
        var known = await _embeddings.GenerateVectorAsync("the red car");

        Assert.Equal(1.0, Assert.Single(await _store.SearchDenseAsync(Model, unknown, 5, None)).Score, 4);

        await service.EditAsync(fact.Fact.Id, "the red car", None);
        var hit = Assert.Single(await _store.SearchDenseAsync(Model, known, 5, None));
        Assert.Equal(fact.Fact.Id, hit.Fact.Id);
        Assert.Equal(1.0, hit.Score, 4);
    }

    [StoreFact]
    public async Task Retrieval_finds_facts_by_vector_when_no_word_matches()
    {
        var service = WithVectors();
        var fact = await service.RememberAsync(new RememberRequest("zorbix"), None);
        await service.RememberAsync(new RememberRequest("the red car", Importance: 1), None);

        var hits = await new FactRetriever(_store, _embeddings, Model).RetrieveAsync("quuxle", 1, None);

        Assert.Equal(fact.Fact.Id, Assert.Single(hits).Fact.Id);
        Assert.Null(hits[0].LexicalScore);
        Assert.Equal(1.0, hits[0].DenseScore!.Value, 4);
    }

    [StoreFact]
    public async Task Fact_hits_become_weighted_context_blocks()
    {
        var service = WordsOnly();
        var a = await service.RememberAsync(new RememberRequest("deploys with blue green releases", "ops", Importance: 1), None);
        var b = await service.RememberAsync(new RememberRequest("deploys through a canary pipeline", "ops", Importance: 0), None);

        var hits = await new FactRetriever(_store).RetrieveAsync("how do we deploy", 5, None);
        var blocks = FactContextBlocks.From(hits);

        // Equally relevant (same length, one matching word): importance orders them.
        Assert.Equal(RememberOutcome.Added, b.Outcome);
        Assert.Equal([a.Fact.Id, b.Fact.Id], hits.Select(h => h.Fact.Id));
        Assert.Equal($"fact:{a.Fact.Id}", blocks[0].Id);
        Assert.Equal(ContextBlockKind.Memory, blocks[0].Kind);
        Assert.Equal(1.0, blocks[0].Weight);
        Assert.True(blocks[1].Weight < 1.0);
        Assert.Contains("(ops): deploys with blue green releases", blocks[0].Text, StringComparison.Ordinal);
    }

    [StoreFact]
    public async Task Retrieval_returns_only_active_facts()
    {
        var service = WordsOnly();
        var old = await service.RememberAsync(new RememberRequest("prefers dark mode"), None);
        var current = await service.RememberAsync(new RememberRequest("prefers light mode"), None);
        var forgotten = await service.RememberAsync(new RememberRequest("uses a mode switcher"), None);
        await service.ForgetAsync(forgotten.Fact.Id, None);

        var hits = await new FactRetriever(_store).RetrieveAsync("which mode", 10, None);

        Assert.Equal(RememberOutcome.Superseded, current.Outcome);
        Assert.Equal([current.Fact.Id], hits.Select(h => h.Fact.Id));
        Assert.DoesNotContain(hits, h => h.Fact.Id == old.Fact.Id);
        Assert.Empty(await new FactRetriever(_store).RetrieveAsync("?!", 10, None));
    }
}

public sealed class SqliteFactVectorTests : FactVectorTests
{
    protected override Task<IFactStore> CreateStoreAsync() => Task.FromResult<IFactStore>(new SqliteFactStore(Folder.Combine("memory.db")));
}

/// <summary>The same, on a real PostgreSQL server (exact cosine in SQL), a fresh database per test.</summary>
[Trait("Category", "Integration")]
[Collection(PostgresCollection.Name)]
[RequiresPostgres]
public sealed class PostgresFactVectorTests(PostgresServerFixture server) : FactVectorTests
{
    private string _connectionString = "";

    protected override async Task<IFactStore> CreateStoreAsync()
    {
        _connectionString = await server.CreateDatabaseAsync();
        return new PostgresFactStore(_connectionString);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await server.DropDatabaseAsync(_connectionString);
    }
}
