using MiniMe.Memory;
using MiniMe.Tests.Support;

namespace MiniMe.Tests.Memory;

/// <summary>
/// The contract every <see cref="IMemoryStore"/> must satisfy. Each store's test class derives from
/// this and supplies a fresh, empty store. Tests are [StoreFact]s so a store whose server is not
/// installed reports them as skipped (see <see cref="RequiresPostgresAttribute"/>).
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

    public virtual async Task DisposeAsync() => await Store.DisposeAsync();

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

    [StoreFact]
    public async Task Written_documents_are_searchable_with_stemming()
    {
        await Store.WriteDocumentsAsync([Doc("/notes/retry.md", "backend", "Retries use exponential backoff with jitter.")], CancellationToken.None);
        var hits = await Lexical("\"retrying\"");
        var hit = Assert.Single(hits);
        Assert.Equal("/notes/retry.md", hit.Chunk.Source);
        Assert.Equal("backend", hit.Chunk.Domain);
        Assert.True(hit.RawScore > 0);
    }

    [StoreFact]
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

    [StoreFact]
    public async Task Document_hashes_are_returned_by_source()
    {
        var doc = Doc("/x.md", "general", "text");
        await Store.WriteDocumentsAsync([doc], CancellationToken.None);
        var hashes = await Store.GetDocumentHashesAsync(CancellationToken.None);
        Assert.Equal(doc.Document.ContentHash, hashes["/x.md"]);
    }

    [StoreFact]
    public async Task Deleted_documents_leave_no_chunk_posting_or_orphaned_vector()
    {
        await Store.WriteDocumentsAsync(
        [
            Doc("/secret.md", "general", "wJalrXUtnFEMI credential text", "shared paragraph"),
            Doc("/keep.md", "general", "shared paragraph", "kept words"),
        ], CancellationToken.None);
        var pending = await Store.GetPendingEmbeddingsAsync("m", null, 100, CancellationToken.None);
        await Store.PutEmbeddingsAsync("m", pending.Select((p, i) => (p.ContentHash, (ReadOnlyMemory<float>)Unit(i % 2))).ToList(), CancellationToken.None);

        var removed = await Store.DeleteDocumentsAsync(["/secret.md", "/never-imported.md"], CancellationToken.None);

        Assert.Equal(2, removed);
        Assert.Empty(await Lexical("\"wJalrXUtnFEMI\""));
        Assert.Single(await Lexical("\"kept\""));
        Assert.Equal(["/keep.md"], (await Store.GetDocumentHashesAsync(CancellationToken.None)).Keys);
        var stats = await Store.GetStatsAsync(CancellationToken.None);
        Assert.Equal((1, 2, 2), (stats.Documents, stats.Chunks, stats.Embeddings));   // the shared text keeps its vector
        var dense = await Store.SearchDenseAsync("m", Unit(0), 10, SearchFilter.None, CancellationToken.None);
        Assert.All(dense, hit => Assert.Equal("/keep.md", hit.Chunk.Source));
        Assert.Equal(0, await Store.DeleteDocumentsAsync(["/secret.md"], CancellationToken.None));
    }

    [StoreFact]
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

    [StoreFact]
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

    [StoreFact]
    public async Task Pending_embeddings_are_distinct_texts_without_a_vector_and_vectors_are_reused_by_hash()
    {
        await Store.WriteDocumentsAsync([Doc("/a.md", "general", "same text", "other text"), Doc("/b.md", "general", "same text")], CancellationToken.None);
        var pending = await Store.GetPendingEmbeddingsAsync("m", null, 100, CancellationToken.None);
        Assert.Equal(2, pending.Count);
        await Store.PutEmbeddingsAsync("m", pending.Select(p => (p.ContentHash, (ReadOnlyMemory<float>)Unit(p.Text == "same text" ? 0 : 1))).ToList(), CancellationToken.None);
        Assert.Empty(await Store.GetPendingEmbeddingsAsync("m", null, 100, CancellationToken.None));
        Assert.Equal(2, (await Store.GetPendingEmbeddingsAsync("other-model", null, 100, CancellationToken.None)).Count);

        // A new document whose text was already embedded needs no new vector.
        await Store.WriteDocumentsAsync([Doc("/c.md", "general", "other text")], CancellationToken.None);
        Assert.Empty(await Store.GetPendingEmbeddingsAsync("m", null, 100, CancellationToken.None));
    }

    [StoreFact]
    public async Task Dense_search_ranks_by_cosine_and_honours_filters()
    {
        await Store.WriteDocumentsAsync([Doc("/a.md", "backend", "first"), Doc("/b.md", "frontend", "second")], CancellationToken.None);
        var pending = await Store.GetPendingEmbeddingsAsync("m", null, 100, CancellationToken.None);
        await Store.PutEmbeddingsAsync("m", pending.Select(p => (p.ContentHash, (ReadOnlyMemory<float>)Unit(p.Text == "first" ? 0 : 1))).ToList(), CancellationToken.None);

        var hits = await Store.SearchDenseAsync("m", Unit(1), 10, SearchFilter.None, CancellationToken.None);
        Assert.Equal("/b.md", hits[0].Chunk.Source);
        Assert.Equal(1.0, hits[0].RawScore, 3);
        var filtered = await Store.SearchDenseAsync("m", Unit(1), 10, new SearchFilter(Domain: "backend"), CancellationToken.None);
        Assert.Equal("/a.md", Assert.Single(filtered).Chunk.Source);
    }

    [StoreFact]
    public async Task Reuse_counts_accumulate()
    {
        await Store.WriteDocumentsAsync([Doc("/a.md", "general", "reusable chunk")], CancellationToken.None);
        var id = (await Lexical("\"reusable\""))[0].Chunk.Id;
        await Store.IncrementReuseAsync([id], CancellationToken.None);
        await Store.IncrementReuseAsync([id], CancellationToken.None);
        Assert.Equal(2, (await Lexical("\"reusable\""))[0].Chunk.ReuseCount);
    }

    [StoreFact]
    public async Task A_cancelled_batch_writes_nothing()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.WriteDocumentsAsync([Doc("/a.md", "general", "never stored")], cts.Token));
        Assert.Equal(0, (await Store.GetStatsAsync(CancellationToken.None)).Chunks);
    }

    [StoreFact]
    public async Task Stats_count_chunks_by_domain()
    {
        await Store.WriteDocumentsAsync([Doc("/a.md", "backend", "one", "two"), Doc("/b.md", "frontend", "three")], CancellationToken.None);
        var stats = await Store.GetStatsAsync(CancellationToken.None);
        Assert.Equal(2, stats.ChunksByDomain["backend"]);
        Assert.Equal(1, stats.ChunksByDomain["frontend"]);
    }

    [StoreFact]
    public async Task Queries_built_from_hostile_text_are_safe()
    {
        await Store.WriteDocumentsAsync([Doc("/a.md", "general", "select drop table quote backslash")], CancellationToken.None);
        string[] hostile =
        [
            "'; DROP TABLE chunks; --", "\"unbalanced", "a & b | !c <-> d:* (e", "NEAR(x y) AND NOT z OR", "\\' \\\\ ''",
            "\u0000nul\u0000", "emoji 🚀 ünïcödé 漢字", new string('x', 5000), string.Join(' ', Enumerable.Repeat("word", 500)),
        ];
        foreach (var text in hostile)
        {
            if (MiniMe.Memory.Lexical.FtsQueryBuilder.Build(text) is not { } match) continue;
            await Lexical(match);
        }
        Assert.Equal("/a.md", Assert.Single(await Lexical("\"drop\" OR \"table\"")).Chunk.Source);
    }

    [StoreFact]
    public async Task Export_lists_documents_by_source_with_chunks_timestamps_and_vectors()
    {
        var export = Assert.IsAssignableFrom<IMemoryExport>(Store);
        await Store.WriteDocumentsAsync([Doc("/b.md", "backend", ["x"], "two one", "two two"), Doc("/a.md", "general", "one")], CancellationToken.None);
        var id = (await Lexical("\"one\"", new SearchFilter(Domain: "general")))[0].Chunk.Id;
        await Store.IncrementReuseAsync([id], CancellationToken.None);
        var pending = await Store.GetPendingEmbeddingsAsync("m", null, 100, CancellationToken.None);
        await Store.PutEmbeddingsAsync("m", pending.Select((p, i) => (p.ContentHash, (ReadOnlyMemory<float>)Unit(i))).ToList(), CancellationToken.None);

        var documents = new List<ExportedDocument>();
        await foreach (var d in export.ExportDocumentsAsync(CancellationToken.None)) documents.Add(d);
        Assert.Equal(["/a.md", "/b.md"], documents.Select(d => d.Document.Source));
        Assert.Equal(1, documents[0].Chunks[0].ReuseCount);
        Assert.Equal(["two one", "two two"], documents[1].Chunks.Select(c => c.Text));
        Assert.Equal(["x"], documents[1].Document.Tags);
        Assert.Equal("Heading", documents[1].Chunks[0].Heading);
        Assert.True(documents[1].ImportedAt > DateTimeOffset.UtcNow.AddMinutes(-5));

        var vectors = new List<ExportedEmbedding>();
        await foreach (var v in export.ExportEmbeddingsAsync(CancellationToken.None)) vectors.Add(v);
        Assert.Equal(3, vectors.Count);
        Assert.Equal(vectors.Select(v => v.ContentHash).Order(StringComparer.Ordinal), vectors.Select(v => v.ContentHash));
        Assert.All(vectors, v => Assert.Equal(8, v.Vector.Length));
    }

    [StoreFact]
    public async Task Documents_are_listed_by_source_prefix_with_chunks_size_domain_tags_and_import_time()
    {
        var before = DateTimeOffset.UtcNow.AddSeconds(-5);
        await Store.WriteDocumentsAsync(
        [
            Doc("/notes/b.md", "backend", ["team", "notes"], "one", "two"),
            Doc("/notes/a.md", "general", "only"),
            Doc("/notesx/c.md", "general", "other"),
            Doc("/src/d.cs", "code", "class D { }"),
        ], CancellationToken.None);

        var all = await Store.ListDocumentsAsync(null, CancellationToken.None);
        Assert.Equal(["/notes/a.md", "/notes/b.md", "/notesx/c.md", "/src/d.cs"], all.Select(d => d.Source));
        var b = all[1];
        Assert.Equal(2, b.Chunks);
        Assert.Equal(6, b.SizeBytes);
        Assert.Equal("backend", b.Domain);
        Assert.Equal(["team", "notes"], b.Tags);
        Assert.InRange(b.ImportedAt, before, DateTimeOffset.UtcNow.AddSeconds(5));

        // A plain string prefix: "/notes" also matches "/notesx/..."; callers add the separator for a folder.
        Assert.Equal(["/notes/a.md", "/notes/b.md", "/notesx/c.md"], (await Store.ListDocumentsAsync("/notes", CancellationToken.None)).Select(d => d.Source));
        Assert.Equal(["/notes/a.md", "/notes/b.md"], (await Store.ListDocumentsAsync("/notes/", CancellationToken.None)).Select(d => d.Source));
        Assert.Empty(await Store.ListDocumentsAsync("/nothing/", CancellationToken.None));

        await Store.DeleteDocumentsAsync(["/notes/b.md"], CancellationToken.None);
        Assert.Equal(["/notes/a.md"], (await Store.ListDocumentsAsync("/notes/", CancellationToken.None)).Select(d => d.Source));
    }

    [StoreFact]
    public async Task Pending_embeddings_page_through_ten_thousand_texts_with_the_cursor_without_duplicates_or_gaps()
    {
        const int documents = 100, perDocument = 100;
        var writes = Enumerable.Range(0, documents)
            .Select(d => Doc($"/bulk/{d:D3}.md", "general", [], [.. Enumerable.Range(0, perDocument).Select(c => $"text {d}-{c}")]))
            .ToList();
        // The same text in a second document is one pending text.
        writes.Add(Doc("/bulk/copy.md", "general", "text 0-0", "text 99-99"));
        await Store.WriteDocumentsAsync(writes, CancellationToken.None);
        var expected = writes.SelectMany(w => w.Chunks).Select(c => c.ContentHash).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(documents * perDocument, expected.Count);

        // Some texts already have a vector: they are never pending.
        var embedded = expected.Order(StringComparer.Ordinal).Where((_, i) => i % 7 == 3).ToList();
        await Store.PutEmbeddingsAsync("m", embedded.Select(h => (h, (ReadOnlyMemory<float>)Unit(0))).ToList(), CancellationToken.None);
        expected.ExceptWith(embedded);
        Assert.Equal(expected.Count, await Store.CountPendingEmbeddingsAsync("m", CancellationToken.None));
        Assert.Equal(documents * perDocument, await Store.CountPendingEmbeddingsAsync("other", CancellationToken.None));

        // Read every page without embedding: nothing is repeated, nothing is missed, pages come in hash order.
        var seen = new List<string>();
        string? after = null;
        var pages = 0;
        while (true)
        {
            var page = await Store.GetPendingEmbeddingsAsync("m", after, 333, CancellationToken.None);
            if (page.Count == 0) break;
            pages++;
            Assert.True(page.Count <= 333);
            Assert.All(page, p => Assert.StartsWith("text ", p.Text, StringComparison.Ordinal));
            seen.AddRange(page.Select(p => p.ContentHash));
            after = page[^1].ContentHash;
        }
        Assert.Equal((expected.Count + 332) / 333, pages);
        Assert.Equal(seen.Count, seen.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(expected.Order(StringComparer.Ordinal), seen);

        // Embedding page by page, as the importer does, ends with nothing pending.
        after = null;
        while ((await Store.GetPendingEmbeddingsAsync("m", after, 1000, CancellationToken.None)) is { Count: > 0 } batch)
        {
            await Store.PutEmbeddingsAsync("m", batch.Select(p => (p.ContentHash, (ReadOnlyMemory<float>)Unit(1))).ToList(), CancellationToken.None);
            after = batch[^1].ContentHash;
        }
        Assert.Equal(0, await Store.CountPendingEmbeddingsAsync("m", CancellationToken.None));
        Assert.Empty(await Store.GetPendingEmbeddingsAsync("m", null, 10, CancellationToken.None));
    }

    private static float[] Unit(int axis)
    {
        var v = new float[8];
        v[axis] = 1;
        return v;
    }
}
