using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using MiniMe.Memory;
using MiniMe.Memory.Lexical;
using MiniMe.Storage.Sqlite;
using MiniMe.Tests.Support;

namespace MiniMe.Tests.Memory;

/// <summary>
/// The Lucene folder beside memory.db (memory.db.lexical) is a cache that never answers wrongly: it answers only at
/// memory.db's generation, catches up from the log, is rebuilt when missing or corrupt, honours deletes, re-imports and
/// filters, and survives a process killed between the SQLite and the Lucene commit.
/// </summary>
public sealed class LuceneLexicalIndexTests : IDisposable
{
    private static readonly Bm25Weights Weights = new(2.5, 1.0, 0.7);
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly TempDirectory _dir = new();

    private string DatabasePath => _dir.Combine("memory.db");

    private string IndexPath => DatabasePath + ".lexical";

    public void Dispose() => _dir.Dispose();

    private async Task<SqliteMemoryStore> OpenAsync(SqliteLexicalEngine engine = SqliteLexicalEngine.Lucene)
    {
        var store = new SqliteMemoryStore(DatabasePath, lexicalEngine: engine);
        await store.InitializeAsync(None);
        return store;
    }

    private static DocumentWrite Doc(string source, string domain, string[] tags, params string[] texts)
    {
        var offset = 0;
        var chunks = texts.Select((text, i) =>
        {
            var chunk = new ChunkRecord(i, offset, offset + text.Length, text, Hash(text), null, SymbolExtractor.TitleFromPath(source), SymbolExtractor.Extract(text));
            offset += text.Length;
            return chunk;
        }).ToList();
        return new DocumentWrite(new DocumentRecord(source, Hash(source + string.Concat(texts)), offset, DateTimeOffset.UtcNow, domain, tags), chunks);
    }

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>Lucene's answer, asserting it answered (not the FTS5 fallback).</summary>
    private static List<string> Lucene(SqliteMemoryStore store, string words, SearchFilter? filter = null)
    {
        var hits = store.LexicalIndex!.TrySearch(FtsQueryBuilder.Build(words)!, 10_000, filter ?? SearchFilter.None, Weights, None);
        Assert.True(hits is not null, $"Lucene did not answer: {store.LexicalIndex.Problem}");
        return [.. hits.Select(h => $"{h.Chunk.Source}#{h.Chunk.StartOffset}").Order(StringComparer.Ordinal)];
    }

    /// <summary>What memory.db holds for the words, by FTS5 (the same tokenizer: the set must be equal).</summary>
    private static List<string> Truth(SqliteMemoryStore store, string words, SearchFilter? filter = null) =>
        [.. store.SearchFts5(FtsQueryBuilder.Build(words)!, 10_000, filter ?? SearchFilter.None, Weights, None)
            .Select(h => $"{h.Chunk.Source}#{h.Chunk.StartOffset}").Order(StringComparer.Ordinal)];

    private static async Task SeedAsync(SqliteMemoryStore store, int documents = 30)
    {
        var writes = Enumerable.Range(0, documents).Select(i => Doc($"/notes/n{i:D3}.md", i % 2 == 0 ? "backend" : "general", i % 3 == 0 ? ["ops"] : [],
            $"retry policy number {i} with exponential backoff", $"cache eviction of entry{i} in HttpClientFactory")).ToList();
        await store.WriteDocumentsAsync(writes, None);
    }

    [Fact]
    public async Task Lucene_answers_with_exactly_what_memory_db_holds_and_ranks_title_matches_first()
    {
        await using var store = await OpenAsync();
        await SeedAsync(store);
        await store.WriteDocumentsAsync([Doc("/docs/backoff.md", "general", [], "nothing related here")], None);
        foreach (var words in new[] { "backoff", "retries", "http client factory", "entry7", "eviction cache" })
            Assert.Equal(Truth(store, words), Lucene(store, words));
        Assert.Equal(31, Lucene(store, "backoff").Count);
        var ranked = await store.SearchLexicalAsync("\"backoff\"", 5, SearchFilter.None, Weights, None);
        Assert.Equal("/docs/backoff.md", ranked[0].Chunk.Source);
        Assert.True(Directory.Exists(IndexPath));
    }

    [Fact]
    public async Task Lucene_ranks_and_scores_exactly_as_fts5_bm25_does()
    {
        await using var store = await OpenAsync();
        var writes = Enumerable.Range(0, 40).Select(i => Doc($"/src/Cache{i % 7}/Http{i}Client.cs", i % 2 == 0 ? "backend" : "general", [],
            string.Join(' ', Enumerable.Range(0, 5 + i % 11).Select(k => (k * 7 + i) % 5 == 0 ? "retry" : (k + i) % 3 == 0 ? "cache eviction" : "HttpClientFactory words")),
            $"retries of the cache number {i} backoff")).ToList();
        await store.WriteDocumentsAsync(writes, None);
        foreach (var (words, weights) in new[] { ("retry cache", Weights), ("http client factory", Weights), ("HttpClientFactory eviction", new Bm25Weights(1, 1, 1)), ("cache", new Bm25Weights(0.5, 1, 2)) })
        {
            var match = FtsQueryBuilder.Build(words)!;
            var lucene = store.LexicalIndex!.TrySearch(match, 30, SearchFilter.None, weights, None);
            Assert.NotNull(lucene);
            var fts = store.SearchFts5(match, 30, SearchFilter.None, weights, None);
            Assert.Equal(fts.Count, lucene.Count);
            for (var i = 0; i < fts.Count; i++)
                Assert.True(Math.Abs(fts[i].RawScore - lucene[i].RawScore) <= 1e-9 * Math.Max(1, Math.Abs(fts[i].RawScore)),
                    $"{words} #{i}: FTS5 {fts[i].Chunk.Source} {fts[i].RawScore}, Lucene {lucene[i].Chunk.Source} {lucene[i].RawScore}");
            // Equal scores may come in either order; the sets of each score are the same.
            Assert.Equal(fts.Select(c => (Math.Round(c.RawScore, 9), c.Chunk.Id)).Order(), lucene.Select(c => (Math.Round(c.RawScore, 9), c.Chunk.Id)).Order());
        }
    }

    [Fact]
    public async Task A_missing_folder_is_rebuilt_from_memory_db()
    {
        await using (var store = await OpenAsync()) await SeedAsync(store);
        Directory.Delete(IndexPath, recursive: true);
        await using var reopened = await OpenAsync();
        Assert.Equal(Truth(reopened, "backoff"), Lucene(reopened, "backoff"));
        Assert.Equal(30, Lucene(reopened, "backoff").Count);
        Assert.True(Directory.EnumerateFiles(IndexPath, "segments_*").Any());
    }

    [Fact]
    public async Task A_folder_with_garbage_in_its_segment_files_is_rebuilt()
    {
        await using (var store = await OpenAsync())
        {
            await SeedAsync(store);
            Assert.Equal(30, Lucene(store, "backoff").Count);
        }
        var segmentFiles = Directory.EnumerateFiles(IndexPath).Where(f => !Path.GetFileName(f).StartsWith("write.lock", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(segmentFiles);
        foreach (var file in segmentFiles)
            File.WriteAllBytes(file, RandomNumberGenerator.GetBytes((int)Math.Max(64, new FileInfo(file).Length)));
        await using var reopened = await OpenAsync();
        // The first search may answer from FTS5 while it notices; every answer is exact, and Lucene answers again after the rebuild.
        Assert.Equal(30, (await reopened.SearchLexicalAsync("\"backoff\"", 100, SearchFilter.None, Weights, None)).Count);
        Assert.Equal(Truth(reopened, "backoff"), Lucene(reopened, "backoff"));
        Assert.Equal(Truth(reopened, "eviction"), Lucene(reopened, "eviction"));
    }

    [Fact]
    public async Task An_index_behind_memory_db_catches_up_from_the_log_with_adds_deletes_and_replacements()
    {
        await using (var store = await OpenAsync())
        {
            await SeedAsync(store);
            Assert.Equal(30, Lucene(store, "backoff").Count);
        }
        // Another writer that does not touch the folder (as a process killed before its Lucene commit would leave it).
        await using (var fts = await OpenAsync(SqliteLexicalEngine.Fts5))
        {
            await fts.WriteDocumentsAsync([Doc("/notes/new.md", "general", [], "zebra crossing with backoff")], None);
            await fts.WriteDocumentsAsync([Doc("/notes/n001.md", "general", [], "replaced by quokka text")], None);
            await fts.DeleteDocumentsAsync(["/notes/n002.md"], None);
        }
        await using var reopened = await OpenAsync();
        Assert.Equal(["/notes/new.md#0"], Lucene(reopened, "zebra"));
        Assert.Equal(["/notes/n001.md#0"], Lucene(reopened, "quokka"));
        Assert.Empty(Lucene(reopened, "entry1"));
        Assert.Empty(Lucene(reopened, "entry2"));
        Assert.Equal(Truth(reopened, "backoff"), Lucene(reopened, "backoff"));
        Assert.Equal(29, Lucene(reopened, "backoff").Count);
    }

    [Fact]
    public async Task Deletes_and_re_imports_in_the_same_process_are_reflected_at_once()
    {
        await using var store = await OpenAsync();
        await SeedAsync(store);
        Assert.Single(Lucene(store, "entry5"));
        await store.WriteDocumentsAsync([Doc("/notes/n005.md", "general", [], "walrus only now")], None);
        Assert.Empty(Lucene(store, "entry5"));
        Assert.Equal(["/notes/n005.md#0"], Lucene(store, "walrus"));
        await store.DeleteDocumentsAsync(["/notes/n005.md", "/notes/n006.md"], None);
        Assert.Empty(Lucene(store, "walrus"));
        Assert.Empty(Lucene(store, "entry6"));
        Assert.Equal(Truth(store, "backoff"), Lucene(store, "backoff"));
        Assert.Equal(28, Lucene(store, "backoff").Count);
    }

    [Fact]
    public async Task Domain_and_tag_filters_give_what_the_sql_filter_gives()
    {
        await using var store = await OpenAsync();
        await SeedAsync(store);
        foreach (var filter in new[] { new SearchFilter("backend"), new SearchFilter(Tags: ["ops"]), new SearchFilter("general", ["ops"]), new SearchFilter("nowhere") })
        {
            var lucene = Lucene(store, "backoff", filter);
            Assert.Equal(Truth(store, "backoff", filter), lucene);
        }
        Assert.Equal(15, Lucene(store, "backoff", new SearchFilter("backend")).Count);
        Assert.Equal(10, Lucene(store, "backoff", new SearchFilter(Tags: ["ops"])).Count);
        Assert.Equal(5, Lucene(store, "backoff", new SearchFilter("general", ["ops"])).Count);
    }

    [Fact]
    public async Task A_search_while_another_holds_the_write_lock_answers_from_fts5_and_exactly()
    {
        await using (var store = await OpenAsync()) await SeedAsync(store);
        using var directory = global::Lucene.Net.Store.FSDirectory.Open(IndexPath);
        using var held = directory.MakeLock(global::Lucene.Net.Index.IndexWriter.WRITE_LOCK_NAME);
        Assert.True(held.Obtain());
        await using (var fts = await OpenAsync(SqliteLexicalEngine.Fts5))
            await fts.WriteDocumentsAsync([Doc("/notes/late.md", "general", [], "late backoff note")], None);
        await using var reader = await OpenAsync();
        // Behind memory.db and unable to catch up: Lucene declines, and the store answers from FTS5, exactly.
        Assert.Null(reader.LexicalIndex!.TrySearch("\"backoff\"", 100, SearchFilter.None, Weights, None));
        Assert.Equal(31, (await reader.SearchLexicalAsync("\"backoff\"", 100, SearchFilter.None, Weights, None)).Count);
        held.Dispose();
        Assert.Equal(Truth(reader, "backoff"), Lucene(reader, "backoff"));
        Assert.Equal(31, Lucene(reader, "backoff").Count);
    }

    [Fact]
    public async Task Killing_an_import_with_sigkill_leaves_an_index_that_answers_exactly_what_memory_db_holds()
    {
        const int files = 3000;
        for (var i = 0; i < files; i++)
            _dir.Write($"corpus/d{i / 100:D2}/f{i:D4}.md", $"# Note {i}\n\n" + string.Join("\n\n", Enumerable.Range(0, 6).Select(p => $"note{i} part {p} about topic{i % 37} retries caches {p * i}")));
        var home = _dir.Combine("home");
        Assert.Equal(0, (await MinimeProcess.RunAsync(["init", "--home", home])).ExitCode);
        var database = Path.Combine(home, "memory.db");
        using (var import = Process.Start(MinimeProcess.StartInfo(["import", _dir.Combine("corpus"), "--home", home, "--no-vectors"]))!)
        {
            var deadline = Stopwatch.StartNew();
            while (MemoryFile.CountDocuments(database) < 200 && !import.HasExited && deadline.Elapsed < TimeSpan.FromMinutes(2))
                await Task.Delay(5);
            Assert.False(import.HasExited, "the import finished before it could be killed; grow the corpus");
            import.Kill(entireProcessTree: true);
            await import.WaitForExitAsync();
        }
        var stored = MemoryFile.CountDocuments(database);
        Assert.InRange(stored, 1, files - 1);
        await using var store = new SqliteMemoryStore(database);
        await store.InitializeAsync(None);
        var chunks = (long)MemoryFile.Scalar(database, "SELECT count(*) FROM chunks")!;
        var hits = Lucene(store, "retries");
        Assert.Equal(chunks, hits.Count);
        Assert.Equal(Truth(store, "topic5"), Lucene(store, "topic5"));
    }

    [Fact]
    public async Task A_cli_import_while_this_process_searches_never_corrupts_the_folder()
    {
        const int files = 1500;
        for (var i = 0; i < files; i++)
            _dir.Write($"corpus/f{i:D4}.md", $"# Note {i}\n\nnote{i} about topic{i % 37} retries caches");
        var home = _dir.Combine("home");
        Assert.Equal(0, (await MinimeProcess.RunAsync(["init", "--home", home])).ExitCode);
        var database = Path.Combine(home, "memory.db");
        await using var store = new SqliteMemoryStore(database);
        await store.InitializeAsync(None);
        await store.WriteDocumentsAsync([Doc("/seed.md", "general", [], "retries seeded first")], None);
        var import = MinimeProcess.RunAsync(["import", _dir.Combine("corpus"), "--home", home, "--no-vectors"]);
        var searches = 0;
        while (!import.IsCompleted)
        {
            // Each answer is exact at some generation: never more chunks than memory.db holds, never fewer than the seed.
            var found = await store.SearchLexicalAsync("\"retries\"", 5000, SearchFilter.None, Weights, None);
            Assert.InRange(found.Count, 1, files + 1);
            searches++;
            await Task.Delay(20);
        }
        Assert.Equal(0, (await import).ExitCode);
        Assert.True(searches > 0);
        Assert.Equal(files + 1, Lucene(store, "retries").Count);
        Assert.Equal(Truth(store, "topic3"), Lucene(store, "topic3"));
    }
}
