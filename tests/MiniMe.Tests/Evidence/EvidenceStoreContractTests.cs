using MiniMe.Configuration;
using MiniMe.Evidence;
using MiniMe.Memory;
using MiniMe.Memory.Facts;
using MiniMe.Tests.Support;

namespace MiniMe.Tests.Evidence;

/// <summary>
/// The evidence graph over a real memory database, the same suite for SQLite and PostgreSQL: facts record where
/// they came from and what they supersede, chunks are derived from their documents, trees walk both ways to a depth,
/// deletions take their edges with them, and a migration between stores carries every edge.
/// </summary>
public abstract class EvidenceStoreContractTests : IAsyncLifetime
{
    protected IMemoryStore Memory { get; private set; } = null!;
    protected IFactStore Facts { get; private set; } = null!;
    protected IEvidenceStore Store { get; private set; } = null!;

    protected EvidenceGraph Graph => new(Store, "nima");

    /// <summary>The memory, fact and evidence stores of one fresh database.</summary>
    protected abstract Task<(IMemoryStore Memory, IFactStore Facts, IEvidenceStore Evidence)> CreateAsync();

    public virtual async Task InitializeAsync()
    {
        (Memory, Facts, Store) = await CreateAsync();
        await Memory.InitializeAsync(CancellationToken.None);
        await Facts.InitializeAsync(CancellationToken.None);
        await Store.InitializeAsync(CancellationToken.None);
    }

    public virtual async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        await Memory.DisposeAsync();
        if (Facts is IAsyncDisposable facts) await facts.DisposeAsync();
    }

    protected static DocumentWrite Doc(string source, params string[] chunkTexts)
    {
        var offset = 0;
        var chunks = chunkTexts.Select((text, i) =>
        {
            var chunk = new ChunkRecord(i, offset, offset + text.Length, text, Hash(text), i == 0 ? "Heading" : null, Path.GetFileName(source), "");
            offset += text.Length;
            return chunk;
        }).ToList();
        return new DocumentWrite(new DocumentRecord(source, Hash(source + string.Concat(chunkTexts)), offset, DateTimeOffset.UtcNow, "general", []), chunks);
    }

    private static string Hash(string text) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));

    protected async Task<(EvidenceNode Document, List<EvidenceNode> Chunks)> ImportAsync(IMemoryStore memory, IEvidenceStore store, string source, params string[] texts)
    {
        await memory.WriteDocumentsAsync([Doc(source, texts)], CancellationToken.None);
        var document = Assert.Single(await store.DocumentsAsync([source], CancellationToken.None));
        var chunks = (await store.EdgesOfAsync([document], CancellationToken.None))
            .Where(e => e.Relation == EvidenceRelations.DerivedFrom && e.To == document).Select(e => e.From).ToList();
        return (document, chunks);
    }

    private FactService Service() => new(Facts, new FactOptions(), evidence: Graph);

    [StoreFact]
    public async Task A_chunk_is_derived_from_its_document_and_used_in_a_run_and_the_tree_walks_both_ways()
    {
        var (document, chunks) = await ImportAsync(Memory, Store, "/notes/retry.md", "Retries use exponential backoff.", "Jitter spreads the retries.");
        Assert.Equal(2, chunks.Count);
        var run = EvidenceNode.Run("20261203-101500-abc123");
        await Graph.RecordAsync(chunks[0], EvidenceRelations.UsedIn, run, CancellationToken.None);
        var proposal = new EvidenceNode(EvidenceKinds.Proposal, "p_0011223344556677");
        await Graph.RecordAsync(proposal, EvidenceRelations.ProposedBy, run, CancellationToken.None, "write_file");

        var tree = await Graph.WhyAsync(chunks[0], 3, CancellationToken.None);
        Assert.Equal("retry.md #0: Heading", tree.Label);
        var origin = Assert.Single(tree.Origins);
        Assert.Equal((document, "derived from", "/notes/retry.md"), (origin.Node, origin.Phrase, origin.Label));
        var use = Assert.Single(tree.Uses);
        Assert.Equal((run, "used in"), (use.Node, use.Phrase));
        var proposed = Assert.Single(use.Children);
        Assert.Equal((proposal, "proposed", "write_file"), (proposed.Node, proposed.Phrase, proposed.Detail));

        // From the run: the chunk it used, and the chunk's document one hop further; depth 1 stops at the chunk.
        var fromRun = await Graph.WhyAsync(run, 2, CancellationToken.None);
        var used = Assert.Single(fromRun.Origins);
        Assert.Equal((chunks[0], "used"), (used.Node, used.Phrase));
        Assert.Equal(document, Assert.Single(used.Children).Node);
        Assert.Empty(Assert.Single((await Graph.WhyAsync(run, 1, CancellationToken.None)).Origins).Children);
    }

    [StoreFact]
    public async Task Remembering_records_the_origin_and_a_contradiction_supersedes_and_contradicts()
    {
        var service = Service();
        var message = EvidenceNode.Message("42");
        var vim = await service.RememberAsync(new RememberRequest("My favorite editor is vim", "preference") { Evidence = message }, CancellationToken.None);
        var emacs = await service.RememberAsync(new RememberRequest("My favorite editor is emacs", "preference"), CancellationToken.None);
        Assert.Equal(RememberOutcome.Superseded, emacs.Outcome);

        var tree = await Graph.WhyAsync(EvidenceNode.Fact(emacs.Fact.Id), 2, CancellationToken.None);
        Assert.Equal("My favorite editor is emacs", tree.Label);
        var origins = tree.Origins.Select(o => (o.Node.ToString(), o.Relation)).ToList();
        Assert.Equal([($"fact:{vim.Fact.Id}", "supersedes"), ($"fact:{vim.Fact.Id}", "contradicts"), ("user:nima", "derived_from")], origins);
        Assert.Equal(origins[0].Item1, tree.Origins[0].Node.ToString());
        Assert.Equal(message, Assert.Single(tree.Origins[0].Children).Node);
        Assert.Empty(tree.Origins[1].Children);

        // From the old fact: where it came from, and what replaced it, by both links.
        var old = await Graph.WhyAsync(EvidenceNode.Fact(vim.Fact.Id), 1, CancellationToken.None);
        Assert.Equal("My favorite editor is vim (superseded)", old.Label);
        Assert.Equal(message, Assert.Single(old.Origins).Node);
        Assert.Equal([("superseded by", $"fact:{emacs.Fact.Id}"), ("contradicted by", $"fact:{emacs.Fact.Id}")],
            old.Uses.Select(u => (u.Phrase, u.Node.ToString())));
        var edges = await Store.EdgesOfAsync([EvidenceNode.Fact(vim.Fact.Id)], CancellationToken.None);
        Assert.Equal(["contradicts", "derived_from", "supersedes"], edges.Select(e => e.Relation).Order(StringComparer.Ordinal));
    }

    [StoreFact]
    public async Task An_edge_recorded_twice_is_stored_once_and_impact_counts_what_used_a_document()
    {
        var (document, chunks) = await ImportAsync(Memory, Store, "/notes/deploy.md", "Deploys go out on Tuesdays.");
        var fact = await Service().RememberAsync(new RememberRequest("Deploys go out on Tuesdays"), CancellationToken.None);
        var runs = new[] { EvidenceNode.Run("20261203-101500-aaaaaa"), EvidenceNode.Run("20261203-101501-bbbbbb") };
        foreach (var run in runs)
        {
            await Graph.RecordAsync(chunks[0], EvidenceRelations.UsedIn, run, CancellationToken.None);
            await Graph.RecordAsync(chunks[0], EvidenceRelations.UsedIn, run, CancellationToken.None);
        }
        await Graph.RecordAsync(EvidenceNode.Fact(fact.Fact.Id), EvidenceRelations.DerivedFrom, chunks[0], CancellationToken.None);
        Assert.Equal(3, (await Store.EdgesOfAsync([chunks[0]], CancellationToken.None)).Count(e => e.Relation != EvidenceRelations.DerivedFrom || e.To != document));

        var impact = await Graph.ImpactAsync([document], CancellationToken.None);
        Assert.Equal("1 fact and 2 runs", impact.Describe());
    }

    [StoreFact]
    public async Task Deleting_a_document_deletes_the_edges_of_its_chunks_and_purging_a_fact_its_edges()
    {
        var (document, chunks) = await ImportAsync(Memory, Store, "/notes/gone.md", "Soon removed.");
        var run = EvidenceNode.Run("20261203-101500-cccccc");
        await Graph.RecordAsync(chunks[0], EvidenceRelations.UsedIn, run, CancellationToken.None);
        var fact = await Service().RememberAsync(new RememberRequest("I keep notes in markdown"), CancellationToken.None);
        await Graph.RecordAsync(EvidenceNode.Fact(fact.Fact.Id), EvidenceRelations.UsedIn, run, CancellationToken.None);
        Assert.Equal(2, (await Store.EdgesOfAsync([run], CancellationToken.None)).Count);

        Assert.Equal(1, await Memory.DeleteDocumentsAsync(["/notes/gone.md"], CancellationToken.None));
        var left = Assert.Single(await Store.EdgesOfAsync([run], CancellationToken.None));
        Assert.Equal(EvidenceNode.Fact(fact.Fact.Id), left.From);
        await Assert.ThrowsAsync<NotFoundException>(() => Graph.WhyAsync(document, 2, CancellationToken.None));

        // Retracting keeps the edges (the fact stays as history); purging deletes them with the row.
        await Service().ForgetAsync(fact.Fact.Id, CancellationToken.None);
        Assert.Single(await Store.EdgesOfAsync([run], CancellationToken.None));
        await Service().PurgeAsync(fact.Fact.Id, CancellationToken.None);
        Assert.Empty(await Store.EdgesOfAsync([run], CancellationToken.None));
    }

    [StoreFact]
    public async Task Malformed_edges_are_refused_by_the_store_and_dropped_by_the_graph()
    {
        var bad = new EvidenceEdge(new EvidenceNode("fact", "x1"), EvidenceRelations.UsedIn, EvidenceNode.Run("20261203-101500-dddddd"), DateTimeOffset.UtcNow);
        await Assert.ThrowsAsync<ArgumentException>(() => Store.AddEdgesAsync([bad], CancellationToken.None));
        var unknown = new EvidenceEdge(EvidenceNode.Fact(1), "caused", EvidenceNode.Fact(2), DateTimeOffset.UtcNow);
        await Graph.RecordAsync([bad, unknown], CancellationToken.None);
        Assert.Empty(await Store.ExportEdgesAsync(CancellationToken.None));
        await Assert.ThrowsAsync<InvalidInputException>(() => Graph.WhyAsync(EvidenceNode.Fact(1), 0, CancellationToken.None));
        await Assert.ThrowsAsync<InvalidInputException>(() => Graph.WhyAsync(EvidenceNode.Fact(1), EvidenceGraph.MaxDepth + 1, CancellationToken.None));
        var missing = await Assert.ThrowsAsync<NotFoundException>(() => Graph.WhyAsync(EvidenceNode.Fact(999), 3, CancellationToken.None));
        Assert.Equal("no fact #999 and no evidence recorded for it; `minime facts list --all` lists them", missing.Message);
    }

    /// <summary>A second, empty database of the same kind, for migrations between two stores.</summary>
    protected abstract Task<(IMemoryStore Memory, IFactStore Facts, IEvidenceStore Evidence)> CreateOtherAsync();

    [StoreFact]
    public async Task Migrating_carries_every_edge_with_chunks_found_again_by_source_and_ordinal()
    {
        // The target already has another document first, so its chunk ids differ from the source's.
        var (otherMemory, otherFacts, otherStore) = await CreateOtherAsync();
        try
        {
            await otherMemory.InitializeAsync(CancellationToken.None);
            await otherFacts.InitializeAsync(CancellationToken.None);
            await otherStore.InitializeAsync(CancellationToken.None);
            await otherMemory.WriteDocumentsAsync([Doc("/other.md", "one", "two", "three")], CancellationToken.None);

            var (_, chunks) = await ImportAsync(Memory, Store, "/notes/a#b.md", "First part.", "Second part.");
            await otherMemory.WriteDocumentsAsync([Doc("/notes/a#b.md", "First part.", "Second part.")], CancellationToken.None);
            var fact = await Service().RememberAsync(new RememberRequest("I deploy on Tuesdays"), CancellationToken.None);
            var run = EvidenceNode.Run("20261203-101500-eeeeee");
            await Graph.RecordAsync(chunks[1], EvidenceRelations.UsedIn, run, CancellationToken.None);
            await Graph.RecordAsync(EvidenceNode.Fact(fact.Fact.Id), EvidenceRelations.DerivedFrom, chunks[1], CancellationToken.None, "captured");

            var report = await EvidenceMigrator.MigrateAsync(Store, otherStore, CancellationToken.None);
            Assert.True(report.Verified, $"{report.Source} != {report.Target}, unplaced {report.Unplaced}");
            Assert.Equal(3, report.Target.Edges);

            var copied = new EvidenceGraph(otherStore, "nima");
            var used = Assert.Single((await copied.WhyAsync(run, 1, CancellationToken.None)).Origins);
            Assert.NotEqual(chunks[1], used.Node);
            Assert.Equal("a#b.md #1: Second part.", used.Label);

            var again = await EvidenceMigrator.MigrateAsync(Store, otherStore, CancellationToken.None);
            Assert.True(again.Verified);
            Assert.Equal(3, again.Target.Edges);

            // An edge whose document the target lacks is counted as unplaced, and the migration does not verify.
            var (_, lone) = await ImportAsync(Memory, Store, "/notes/only-here.md", "Only in the source.");
            await Graph.RecordAsync(lone[0], EvidenceRelations.UsedIn, run, CancellationToken.None);
            var partial = await EvidenceMigrator.MigrateAsync(Store, otherStore, CancellationToken.None);
            Assert.Equal(1, partial.Unplaced);
            Assert.False(partial.Verified);
        }
        finally
        {
            await otherStore.DisposeAsync();
            await otherMemory.DisposeAsync();
            if (otherFacts is IAsyncDisposable facts) await facts.DisposeAsync();
        }
    }
}
