using MiniMe.Memory;

namespace MiniMe.Tests.Memory;

/// <summary>
/// The contract every <see cref="IMemoryStore"/> must satisfy. Each store's test class derives from
/// this and supplies a fresh, empty store.
/// </summary>
public abstract class MemoryStoreContractTests : IAsyncLifetime
{
    private static readonly Bm25Weights Weights = new(2.5, 1.0, 0.7);

    protected IMemoryStore Store { get; private set; } = null!;

    protected abstract Task<IMemoryStore> CreateStoreAsync();

    public async Task InitializeAsync()
    {
        Store = await CreateStoreAsync();
        await Store.InitializeAsync(CancellationToken.None);
    }

    public async Task DisposeAsync() => await Store.DisposeAsync();

    protected static DocumentWrite Doc(string source, string domain, params string[] chunkTexts) => Doc(source, domain, [], chunkTexts);

    protected static DocumentWrite Doc(string source, string domain, string[] tags, params string[] chunkTexts)
    {
        var offset = 0;
        var chunks = chunkTexts.Select((text, i) =>
        {
            var chunk = new ChunkRecord(i, offset, offset + text.Length, text, Hash(text), i == 0 ? "Heading" : null, Path.GetFileName(source), "");
            offset += text.Length;
            return chunk;
        }).ToList();
        return new DocumentWrite(
            new DocumentRecord(source, Hash(source + string.Concat(chunkTexts)), offset, DateTimeOffset.UtcNow, domain, tags),
            chunks);
    }

    private static string Hash(string text) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));

    private Task<IReadOnlyList<Candidate>> Lexical(string match, SearchFilter? filter = null, int limit = 10) =>
        Store.SearchLexicalAsync(match, limit, filter ?? SearchFilter.None, Weights, CancellationToken.None);

    [Fact]
    public async Task Written_documents_are_searchable_with_stemming()
    {
        await Store.WriteDocumentsAsync([Doc("/notes/retry.md", "backend", "Retries use exponential backoff with jitter.")], CancellationToken.None);
        var hits = await Lexical("\"retrying\"");
        var hit = Assert.Single(hits);
        Assert.Equal("/notes/retry.md", hit.Chunk.Source);
        Assert.Equal("backend", hit.Chunk.Domain);
        Assert.True(hit.RawScore > 0);
    }

    [Fact]
    public async Task Rewriting_a_document_replaces_its_chunks()
    {
        var first = await Store.WriteDocumentsAsync([Doc("/a.md", "general", "alpha one", "alpha two")], CancellationToken.None);
        Assert.Equal(new WriteResult(2, 0), first[0]);
        var second = await Store.WriteDocumentsAsync([Doc("/a.md", "general", "beta only")], CancellationToken.None);
        Assert.Equal(new WriteResult(1, 2), second[0]);
        Assert.Empty(await Lexical("\"alpha\""));
        Assert.Single(await Lexical("\"beta\""));
        var stats = await Store.GetStatsAsync(CancellationToken.None);
        Assert.Equal(1, stats.Documents);
        Assert.Equal(1, stats.Chunks);
    }

    [Fact]
    public async Task Document_hashes_are_returned_by_source()
    {
        var doc = Doc("/x.md", "general", "text");
        await Store.WriteDocumentsAsync([doc], CancellationToken.None);
        var hashes = await Store.GetDocumentHashesAsync(CancellationToken.None);
        Assert.Equal(doc.Document.ContentHash, hashes["/x.md"]);
    }

    [Fact]
    public async Task Domain_and_tag_filters_restrict_candidates()
    {
        await Store.WriteDocumentsAsync(
        [
            Doc("/be.md", "backend", ["api", "v2"], "cache invalidation strategy"),
            Doc("/fe.md", "frontend", ["ui"], "cache busting for assets"),
        ], CancellationToken.None);
        Assert.Equal(2, (await Lexical("\"cache\"")).Count);
        Assert.Equal("/be.md", Assert.Single(await Lexical("\"cache\"", new SearchFilter(Domain: "backend"))).Chunk.Source);
        Assert.Equal("/fe.md", Assert.Single(await Lexical("\"cache\"", new SearchFilter(Tags: ["ui"]))).Chunk.Source);
        Assert.Empty(await Lexical("\"cache\"", new SearchFilter(Domain: "backend", Tags: ["ui"])));
    }

    [Fact]
    public async Task Title_matches_outrank_body_matches()
    {
        await Store.WriteDocumentsAsync(
        [
            Doc("/docs/other.md", "general", "a note that mentions deployment once among many other words about unrelated topics"),
            Doc("/docs/deployment.md", "general", "steps and checks for a release of the service to production servers"),
        ], CancellationToken.None);
        var hits = await Lexical("\"deployment\"");
        Assert.Equal("/docs/deployment.md", hits[0].Chunk.Source);
    }

    [Fact]
    public async Task Pending_embeddings_are_distinct_texts_without_a_vector_and_vectors_are_reused_by_hash()
    {
        await Store.WriteDocumentsAsync([Doc("/a.md", "general", "same text", "other text"), Doc("/b.md", "general", "same text")], CancellationToken.None);
        var pending = await Store.GetPendingEmbeddingsAsync("m", 100, CancellationToken.None);
        Assert.Equal(2, pending.Count);
        await Store.PutEmbeddingsAsync("m", pending.Select(p => (p.ContentHash, (ReadOnlyMemory<float>)Unit(p.Text == "same text" ? 0 : 1))).ToList(), CancellationToken.None);
        Assert.Empty(await Store.GetPendingEmbeddingsAsync("m", 100, CancellationToken.None));
        Assert.Equal(2, (await Store.GetPendingEmbeddingsAsync("other-model", 100, CancellationToken.None)).Count);

        // A new document whose text was already embedded needs no new vector.
        await Store.WriteDocumentsAsync([Doc("/c.md", "general", "other text")], CancellationToken.None);
        Assert.Empty(await Store.GetPendingEmbeddingsAsync("m", 100, CancellationToken.None));
    }

    [Fact]
    public async Task Dense_search_ranks_by_cosine_and_honours_filters()
    {
        await Store.WriteDocumentsAsync([Doc("/a.md", "backend", "first"), Doc("/b.md", "frontend", "second")], CancellationToken.None);
        var pending = await Store.GetPendingEmbeddingsAsync("m", 100, CancellationToken.None);
        await Store.PutEmbeddingsAsync("m", pending.Select(p => (p.ContentHash, (ReadOnlyMemory<float>)Unit(p.Text == "first" ? 0 : 1))).ToList(), CancellationToken.None);

        var hits = await Store.SearchDenseAsync("m", Unit(1), 10, SearchFilter.None, CancellationToken.None);
        Assert.Equal("/b.md", hits[0].Chunk.Source);
        Assert.Equal(1.0, hits[0].RawScore, 3);
        var filtered = await Store.SearchDenseAsync("m", Unit(1), 10, new SearchFilter(Domain: "backend"), CancellationToken.None);
        Assert.Equal("/a.md", Assert.Single(filtered).Chunk.Source);
    }

    [Fact]
    public async Task Reuse_counts_accumulate()
    {
        await Store.WriteDocumentsAsync([Doc("/a.md", "general", "reusable chunk")], CancellationToken.None);
        var id = (await Lexical("\"reusable\""))[0].Chunk.Id;
        await Store.IncrementReuseAsync([id], CancellationToken.None);
        await Store.IncrementReuseAsync([id], CancellationToken.None);
        Assert.Equal(2, (await Lexical("\"reusable\""))[0].Chunk.ReuseCount);
    }

    [Fact]
    public async Task A_cancelled_batch_writes_nothing()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.WriteDocumentsAsync([Doc("/a.md", "general", "never stored")], cts.Token));
        Assert.Equal(0, (await Store.GetStatsAsync(CancellationToken.None)).Chunks);
    }

    [Fact]
    public async Task Stats_count_chunks_by_domain()
    {
        await Store.WriteDocumentsAsync([Doc("/a.md", "backend", "one", "two"), Doc("/b.md", "frontend", "three")], CancellationToken.None);
        var stats = await Store.GetStatsAsync(CancellationToken.None);
        Assert.Equal(2, stats.ChunksByDomain["backend"]);
        Assert.Equal(1, stats.ChunksByDomain["frontend"]);
    }

    private static float[] Unit(int axis)
    {
        var v = new float[8];
        v[axis] = 1;
        return v;
    }
}
