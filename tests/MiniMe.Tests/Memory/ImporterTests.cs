using MiniMe.Configuration;
using MiniMe.Masks;
using MiniMe.Memory;
using MiniMe.Memory.Import;
using MiniMe.Storage.Sqlite;
using MiniMe.Tests.Support;

namespace MiniMe.Tests.Memory;

public sealed class ImporterTests : SqliteStoreTest
{

    private Importer NewImporter(long maxFileBytes = 4 * 1024 * 1024) =>
        new(Store, new ImportOptions { MaxFileBytes = maxFileBytes }, new KeywordTaskClassifier());

    private Task<ImportReport> Import(string path, string? domain = null, IReadOnlyList<string>? tags = null, long maxFileBytes = 4 * 1024 * 1024) =>
        NewImporter(maxFileBytes).ImportAsync(new ImportRequest(path, domain, tags), null, CancellationToken.None);

    private string Project()
    {
        Dir.Write("proj/README.md", "# Project\n\nA service that retries HTTP calls with backoff.\n\n## Usage\n\nRun it.");
        Dir.Write("proj/src/Retry.cs", "public sealed class RetryPolicy { public int MaxAttempts { get; } = 3; }");
        Dir.Write("proj/notes.txt", "Remember: idempotency keys on every POST.");
        Dir.WriteBytes("proj/logo.png", [0x89, 0x50, 0x4E, 0x47, 0, 0, 0]);
        Dir.WriteBytes("proj/blob.txt", [0x41, 0, 0x42]);
        Dir.Write("proj/.git/config", "[core]");
        Dir.Write("proj/bin/Debug/out.txt", "build output");
        Dir.Write("proj/obj/x.txt", "intermediate");
        Dir.Write("proj/node_modules/pkg/index.js", "module.exports = 1;");
        return Dir.Combine("proj");
    }

    [Fact]
    public async Task Imports_text_and_code_skipping_binaries_and_ignored_folders_with_counts()
    {
        var report = await Import(Project());
        Assert.Equal(3, report.FilesImported);
        Assert.Equal(2, report.SkippedBinary);
        Assert.True(report.Walk.IgnoredDirectories >= 4, $"ignored {report.Walk.IgnoredDirectories}");
        Assert.True(report.ChunksAdded >= 3);
        var hashes = await Store.GetDocumentHashesAsync(CancellationToken.None);
        Assert.DoesNotContain(hashes.Keys, k => k.Contains("node_modules", StringComparison.Ordinal) || k.Contains(".git", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Reimporting_unchanged_files_adds_nothing()
    {
        var root = Project();
        var first = await Import(root);
        var second = await Import(root);
        Assert.Equal(0, second.ChunksAdded);
        Assert.Equal(0, second.ChunksRemoved);
        Assert.Equal(first.FilesImported, second.FilesUnchanged);
        Assert.Equal((await Store.GetStatsAsync(CancellationToken.None)).Chunks, first.ChunksAdded);
    }

    [Fact]
    public async Task A_changed_file_replaces_its_chunks()
    {
        var root = Project();
        await Import(root);
        Dir.Write("proj/notes.txt", "Changed: circuit breakers open after five failures.");
        var report = await Import(root);
        Assert.Equal(1, report.FilesImported);
        Assert.Equal(1, report.ChunksRemoved);
        var retriever = await Store.SearchLexicalAsync("\"idempotency\"", 5, SearchFilter.None, new Bm25Weights(1, 1, 1), CancellationToken.None);
        Assert.Empty(retriever);
        Assert.Single(await Store.SearchLexicalAsync("\"breakers\"", 5, SearchFilter.None, new Bm25Weights(1, 1, 1), CancellationToken.None));
    }

    [Fact]
    public async Task Chunk_offsets_point_into_the_decoded_text()
    {
        var text = string.Join("\n\n", Enumerable.Range(0, 60).Select(i => $"Paragraph {i} talks about topic{i} in some detail."));
        var path = Dir.Write("long.md", text);
        await Import(path);
        var hits = await Store.SearchLexicalAsync("\"topic42\"", 5, SearchFilter.None, new Bm25Weights(1, 1, 1), CancellationToken.None);
        var chunk = hits[0].Chunk;
        Assert.Equal(text[chunk.StartOffset..chunk.EndOffset], chunk.Text);
    }

    [Fact]
    public async Task Domain_and_tags_are_applied_and_normalized()
    {
        var path = Dir.Write("n.md", "kubernetes deployment notes");
        await Import(path, domain: "devops", tags: ["Ops", " k8s ", "ops"]);
        var chunk = (await Store.SearchLexicalAsync("\"kubernetes\"", 5, SearchFilter.None, new Bm25Weights(1, 1, 1), CancellationToken.None))[0].Chunk;
        Assert.Equal("devops", chunk.Domain);
        Assert.Equal(["k8s", "ops"], chunk.Tags.Order());
    }

    [Fact]
    public async Task Too_large_files_are_skipped_and_reported()
    {
        Dir.Write("big/huge.txt", new string('a', 5000));
        Dir.Write("big/small.txt", "fine");
        var report = await Import(Dir.Combine("big"), maxFileBytes: 1000);
        Assert.Equal(1, report.SkippedTooLarge);
        Assert.Equal(1, report.FilesImported);
        Assert.Contains(report.Problems, p => p.Path.EndsWith("huge.txt", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Latin1_files_are_imported_and_counted()
    {
        Dir.WriteBytes("l/latin.txt", System.Text.Encoding.Latin1.GetBytes("résumé naïve"));
        var report = await Import(Dir.Combine("l"));
        Assert.Equal(1, report.DecodedAsLatin1);
        Assert.Single(await Store.SearchLexicalAsync("\"résumé\"", 5, SearchFilter.None, new Bm25Weights(1, 1, 1), CancellationToken.None));
    }

    [Fact]
    public async Task A_missing_path_is_invalid_input()
    {
        await Assert.ThrowsAnyAsync<MiniMeException>(() => Import(Dir.Combine("does-not-exist")));
    }

    [Fact]
    public async Task Cancelling_midway_keeps_whole_documents_and_the_next_import_finishes()
    {
        for (var i = 0; i < 300; i++)
            Dir.Write($"many/f{i:D3}.md", $"# File {i}\n\n" + string.Join("\n\n", Enumerable.Range(0, 5).Select(p => $"file{i} paragraph {p} body text")));
        using var cts = new CancellationTokenSource();
        var progress = new SynchronousProgress(p => { if (p.Phase == ImportPhase.Reading && p.Done >= 100) cts.Cancel(); });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            NewImporter().ImportAsync(new ImportRequest(Dir.Combine("many")), progress, cts.Token));

        var partial = await Store.GetStatsAsync(CancellationToken.None);
        Assert.True(partial.Documents < 300, $"stopped early: {partial.Documents}");
        // Every stored document has all of its chunks (each file is one chunk), and nothing half-written.
        Assert.True(partial.Documents > 0, "the first batch was committed");
        Assert.Equal(partial.Documents, partial.Chunks);

        var resumed = await Import(Dir.Combine("many"));
        Assert.Equal(300 - partial.Documents, resumed.FilesImported);
        var final = await Store.GetStatsAsync(CancellationToken.None);
        Assert.Equal(300, final.Documents);
        Assert.Equal(300, final.Chunks);
    }

    private sealed class SynchronousProgress(Action<ImportProgress> onReport) : IProgress<ImportProgress>
    {
        public void Report(ImportProgress value) => onReport(value);
    }
}
