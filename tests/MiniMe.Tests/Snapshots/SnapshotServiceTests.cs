using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using MiniMe.Configuration;
using MiniMe.Feedback;
using MiniMe.Memory;
using MiniMe.Memory.Facts;
using MiniMe.Snapshots;
using MiniMe.Storage.Sqlite;
using MiniMe.Tests.Context;
using MiniMe.Tests.Support;
using MiniMe.Tracing;

namespace MiniMe.Tests.Snapshots;

public sealed class SnapshotServiceTests : IAsyncLifetime, IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly DateTimeOffset Start = new(2025, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _clock = new(Start);
    private readonly Workspace _workspace;
    private SqliteFactStore _facts = null!;
    private FactService _service = null!;

    public SnapshotServiceTests() => _workspace = new Workspace(_dir.Combine("ws"));

    private string DatabasePath => _workspace.ResolvePath("memory.db");

    private SnapshotService Snapshots => new(_workspace, new SqliteDatabaseSnapshotter(DatabasePath), _clock);

    public async Task InitializeAsync()
    {
        WorkspaceInitializer.Initialize(_workspace, "Ada", force: false);
        await using (var memory = new SqliteMemoryStore(DatabasePath))
        {
            await memory.InitializeAsync(None);
            var chunk = new ChunkRecord(0, 0, 20, "retry with backoff", "h1", null, "notes", "");
            await memory.WriteDocumentsAsync([new DocumentWrite(new DocumentRecord("/notes.md", "d1", 20, Start, "general", []), [chunk])], None);
        }
        _facts = new SqliteFactStore(DatabasePath);
        await _facts.InitializeAsync(None);
        _service = new FactService(_facts, new FactOptions(), time: _clock);
        await Remember("prefers dark mode");
        await Remember("uses Rider");
        var traces = new TraceStore(_workspace.TracesDirectory, _clock);
        traces.Append("run-1", TraceEventTypes.TaskStart, new JsonObject { ["task"] = "first" });
        new FeedbackStore(_workspace.FeedbackPath, traces, _clock).Record("run-1", new JsonObject { ["rigor"] = 0.9 }, null);
    }

    public async Task DisposeAsync() => await _facts.DisposeAsync();

    public void Dispose() => _dir.Dispose();

    private Task<RememberResult> Remember(string text) => _service.RememberAsync(new RememberRequest(text), None);

    private async Task<List<(long, string, FactStatus)>> FactState() =>
        [.. (await _facts.ListAsync(new FactQuery(), None)).Select(f => (f.Id, f.Text, f.Status))];

    private static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    /// <summary>Hashes of every plain file of the workspace (the database is compared by content instead).</summary>
    private Dictionary<string, string> PlainFileHashes() =>
        Directory.EnumerateFiles(_workspace.Root, "*", SearchOption.AllDirectories)
            .Where(p => !p.Contains(Path.DirectorySeparatorChar + "snapshots" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .Where(p => !Path.GetFileName(p).StartsWith("memory.db", StringComparison.Ordinal))
            .ToDictionary(p => Path.GetRelativePath(_workspace.Root, p), Sha256);

    private static object? Scalar(string database, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={database};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    /// <summary>Rewrites a snapshot file and its manifest entry, so only deeper checks can catch the change.</summary>
    private void ReplaceWithMatchingChecksum(string snapshot, string file, Action<string> change)
    {
        var folder = Path.Combine(_workspace.SnapshotsDirectory, snapshot);
        var path = Path.Combine(folder, file);
        change(path);
        var manifestPath = Path.Combine(folder, SnapshotManifest.FileName);
        var manifest = SnapshotManifest.Parse(File.ReadAllText(manifestPath), "test");
        var files = manifest.Files.Select(f => f.Path == file ? new SnapshotFile(file, new FileInfo(path).Length, Sha256(path)) : f).ToList();
        File.WriteAllText(manifestPath, (manifest with { Files = files }).ToJson());
    }

    [Fact]
    public async Task Create_copies_the_workspace_with_a_manifest_whose_checksums_match()
    {
        var snapshot = await Snapshots.CreateAsync("first", None);

        var folder = Path.Combine(_workspace.SnapshotsDirectory, "first");
        Assert.Equal(folder, snapshot.Directory);
        var manifest = SnapshotManifest.Parse(File.ReadAllText(Path.Combine(folder, "manifest.json")), "test");
        Assert.Equal(
            ["allowlist.yaml", "config.yaml", "feedback.jsonl", "identity.yaml", "memory.db", "traces/run-1.jsonl"],
            manifest.Files.Select(f => f.Path).Order(StringComparer.Ordinal));
        foreach (var file in manifest.Files)
        {
            var path = Path.Combine(folder, file.Path);
            Assert.Equal(new FileInfo(path).Length, file.Bytes);
            Assert.Equal(Sha256(path), file.Sha256);
        }
        Assert.Equal(File.ReadAllBytes(_workspace.ConfigPath), File.ReadAllBytes(Path.Combine(folder, "config.yaml")));
        Assert.Equal(2, manifest.Counts["facts"]);
        Assert.Equal(1, manifest.Counts["documents"]);
        Assert.Equal(1, manifest.Counts["chunks"]);
        Assert.Equal(1, manifest.Counts["traces"]);
        Assert.Equal(1, manifest.Counts["feedback"]);
        Assert.False(manifest.Counts.ContainsKey("chunks_fts_data"));
        Assert.Equal(Start, manifest.CreatedAt);
        Assert.Equal("manual", manifest.Kind);
        // The image is one self-contained file, not a WAL database that needs its -wal file.
        var image = Path.Combine(folder, "memory.db");
        Assert.Equal("ok", Scalar(image, "PRAGMA integrity_check"));
        Assert.Equal("delete", Scalar(image, "PRAGMA journal_mode"));
        Assert.Empty(Directory.EnumerateDirectories(_workspace.SnapshotsDirectory, ".*"));
    }

    [Fact]
    public async Task Default_names_are_the_utc_time_and_never_collide()
    {
        var first = await Snapshots.CreateAsync(null, None);
        var second = await Snapshots.CreateAsync(null, None);

        Assert.Equal("20250301-090000", first.Name);
        Assert.Equal("20250301-090000-2", second.Name);
        Assert.Equal(["20250301-090000", "20250301-090000-2"], Snapshots.List().Select(s => s.Name));
    }

    [Fact]
    public async Task An_existing_name_is_refused()
    {
        await Snapshots.CreateAsync("same", None);
        var error = await Assert.ThrowsAsync<InvalidInputException>(() => Snapshots.CreateAsync("same", None));
        Assert.Contains("already exists", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("/tmp/abs")]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData(".hidden")]
    [InlineData("x..y")]
    [InlineData("name with space")]
    [InlineData("caf\u00e9")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public async Task Hostile_names_are_refused_before_touching_anything(string name)
    {
        var create = await Assert.ThrowsAsync<InvalidInputException>(() => Snapshots.CreateAsync(name, None));
        var restore = await Assert.ThrowsAsync<InvalidInputException>(() => Snapshots.RestoreAsync(name, None));

        Assert.StartsWith("Invalid snapshot name", create.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', create.Message);
        Assert.StartsWith("Invalid snapshot name", restore.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_workspace.SnapshotsDirectory) && Directory.EnumerateFileSystemEntries(_workspace.SnapshotsDirectory).Any());
        Assert.False(Directory.Exists(_dir.Combine("ws", "escape")) || Directory.Exists(_dir.Combine("escape")));
    }

    [Fact]
    public async Task An_unknown_snapshot_is_not_found()
    {
        var error = await Assert.ThrowsAsync<NotFoundException>(() => Snapshots.RestoreAsync("nope", None));
        Assert.Contains("minime snapshot list", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_snapshot_taken_while_another_connection_writes_is_a_consistent_state()
    {
        // The writer chains facts: each new one supersedes the previous in one transaction, so every
        // consistent state has exactly one active chain fact and one history row per change.
        await using var writerStore = new SqliteFactStore(DatabasePath);
        await writerStore.InitializeAsync(None);
        using var stop = new CancellationTokenSource();
        using var firstWrites = new SemaphoreSlim(0);
        var written = 0;
        var writer = Task.Run(async () =>
        {
            long? previous = null;
            while (!stop.IsCancellationRequested)
            {
                var text = $"chain link {written}";
                var insert = new FactInsert(new FactDraft(text, FactText.Key(text), "chain", FactSource.Inferred, 1, 0.5), null,
                    previous is { } p ? [p] : [], null, "next link");
                previous = (await writerStore.AddAsync(insert, DateTimeOffset.UtcNow, CancellationToken.None)).Fact.Id;
                if (Interlocked.Increment(ref written) == 20) firstWrites.Release();
            }
        });
        await firstWrites.WaitAsync(TimeSpan.FromMinutes(1));

        var snapshots = new List<(SnapshotInfo Snapshot, int CommittedBefore)>();
        for (var i = 0; i < 3; i++)
        {
            var committed = Volatile.Read(ref written);
            snapshots.Add((await Snapshots.CreateAsync($"busy-{i}", None), committed));
        }
        await stop.CancelAsync();
        await writer;

        foreach (var (snapshot, committedBefore) in snapshots)
        {
            var image = Path.Combine(snapshot.Directory, "memory.db");
            Assert.Equal("ok", Scalar(image, "PRAGMA integrity_check"));
            Scalar(image, "INSERT INTO facts_fts(facts_fts) VALUES('integrity-check')");
            var links = (long)Scalar(image, "SELECT COUNT(*) FROM facts WHERE category = 'chain'")!;
            // Every transaction committed before the snapshot started is in it (including those still in the WAL).
            Assert.True(links >= committedBefore, $"{snapshot.Name} has {links} links, {committedBefore} were committed before it started");
            Assert.Equal(1L, Scalar(image, "SELECT COUNT(*) FROM facts WHERE category = 'chain' AND status = 'active'"));
            Assert.Equal(links - 1, Scalar(image, "SELECT COUNT(*) FROM facts WHERE category = 'chain' AND status = 'superseded'"));
            Assert.Equal((2 * links) - 1, Scalar(image,
                "SELECT COUNT(*) FROM fact_history h JOIN facts f ON f.id = h.fact_id WHERE f.category = 'chain'"));
            Assert.Equal(0L, Scalar(image,
                "SELECT COUNT(*) FROM facts f WHERE f.superseded_by IS NOT NULL AND NOT EXISTS (SELECT 1 FROM facts n WHERE n.id = f.superseded_by)"));
            Assert.Equal(links + 2, snapshot.Manifest!.Counts["facts"]);
        }
        Assert.Equal("ok", Scalar(DatabasePath, "PRAGMA integrity_check"));
        Assert.Equal((long)written + 2, Scalar(DatabasePath, "SELECT COUNT(*) FROM facts"));
    }

    [Fact]
    public async Task Restore_brings_back_memory_config_identity_feedback_and_traces()
    {
        var before = await FactState();
        var plainBefore = PlainFileHashes();
        await Snapshots.CreateAsync("before", None);

        // Change everything the snapshot holds.
        await Remember("lives in Oslo");
        await _service.ForgetAsync(before[0].Item1, None);
        File.WriteAllText(_workspace.ConfigPath, "user:\n  name: Bob\n");
        File.AppendAllText(_workspace.IdentityPath, "# edited\n");
        File.Delete(_workspace.FeedbackPath);
        new TraceStore(_workspace.TracesDirectory).Append("run-2", TraceEventTypes.TaskStart, new JsonObject { ["task"] = "second" });
        var after = await FactState();
        _clock.Advance(TimeSpan.FromMinutes(1));

        var result = await Snapshots.RestoreAsync("before", None);

        Assert.Equal(before, await FactState());
        Assert.Equal(plainBefore, PlainFileHashes());
        Assert.Equal(["run-1.jsonl"], Directory.EnumerateFiles(_workspace.TracesDirectory).Select(Path.GetFileName));
        Assert.Equal("ok", Scalar(DatabasePath, "PRAGMA integrity_check"));
        Assert.Equal("wal", Scalar(DatabasePath, "PRAGMA journal_mode"));
        Assert.Equal(1L, Scalar(DatabasePath, "SELECT COUNT(*) FROM chunks"));
        Assert.Equal(6, result.FilesRestored);

        // The state the restore replaced is in the safety snapshot, and restoring it undoes the restore.
        Assert.Equal("pre-restore-20250301-090100", result.Safety.Name);
        Assert.Equal("safety", result.Safety.Manifest!.Kind);
        Assert.Equal(after.Count, result.Safety.Manifest.Counts["facts"]);
        await Snapshots.RestoreAsync(result.Safety.Name, None);
        Assert.Equal(after, await FactState());
        Assert.Equal("user:\n  name: Bob\n", File.ReadAllText(_workspace.ConfigPath));
        Assert.False(File.Exists(_workspace.FeedbackPath));
        Assert.Equal(["run-1.jsonl", "run-2.jsonl"], Directory.EnumerateFiles(_workspace.TracesDirectory).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task Restore_while_another_connection_writes_leaves_a_sound_database()
    {
        await Snapshots.CreateAsync("base", None);
        // Independent facts, one transaction each: every consistent state has one history row per fact.
        await using var writerStore = new SqliteFactStore(DatabasePath);
        await writerStore.InitializeAsync(None);
        using var stop = new CancellationTokenSource();
        using var started = new SemaphoreSlim(0);
        var written = 0;
        var writer = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var text = $"busy fact {written}";
                await writerStore.AddAsync(
                    FactInsert.Active(new FactDraft(text, FactText.Key(text), "busy", FactSource.Inferred, 1, 0.5), null), DateTimeOffset.UtcNow, CancellationToken.None);
                if (Interlocked.Increment(ref written) == 10) started.Release();
            }
        });
        await started.WaitAsync(TimeSpan.FromMinutes(1));

        await Snapshots.RestoreAsync("base", None);
        await stop.CancelAsync();
        await writer;

        Assert.Equal("ok", Scalar(DatabasePath, "PRAGMA integrity_check"));
        Scalar(DatabasePath, "INSERT INTO facts_fts(facts_fts) VALUES('integrity-check')");
        Assert.Equal(
            Scalar(DatabasePath, "SELECT COUNT(*) FROM facts WHERE category = 'busy'"),
            Scalar(DatabasePath, "SELECT COUNT(*) FROM fact_history h JOIN facts f ON f.id = h.fact_id WHERE f.category = 'busy'"));
        // The facts of the snapshot are back; the writer's are only those it wrote after the restore.
        Assert.Equal(["prefers dark mode", "uses Rider"], (await FactState()).Where(f => !f.Item2.StartsWith("busy", StringComparison.Ordinal)).Select(f => f.Item2).Order());
        Assert.True((long)Scalar(DatabasePath, "SELECT COUNT(*) FROM facts WHERE category = 'busy'")! < written);
    }

    public static TheoryData<string, string> Damage => new()
    {
        { "flip a byte of the database", "does not match its checksum" },
        { "truncate a trace", "does not match its checksum" },
        { "delete the config copy", "config.yaml is missing" },
        { "manifest points outside", "unexpected file" },
        { "manifest is not json", "not a valid snapshot manifest" },
        { "manifest is missing", "has no manifest.json" },
    };

    [Theory]
    [MemberData(nameof(Damage))]
    public async Task A_damaged_snapshot_is_refused_and_nothing_changes(string damage, string message)
    {
        await Snapshots.CreateAsync("good", None);
        var folder = Path.Combine(_workspace.SnapshotsDirectory, "good");
        var manifestPath = Path.Combine(folder, "manifest.json");
        switch (damage)
        {
            case "flip a byte of the database":
                var bytes = File.ReadAllBytes(Path.Combine(folder, "memory.db"));
                bytes[bytes.Length / 2] ^= 0xFF;
                File.WriteAllBytes(Path.Combine(folder, "memory.db"), bytes);
                break;
            case "truncate a trace":
                var trace = Path.Combine(folder, "traces", "run-1.jsonl");
                File.WriteAllBytes(trace, File.ReadAllBytes(trace)[..10]);
                break;
            case "delete the config copy":
                File.Delete(Path.Combine(folder, "config.yaml"));
                break;
            case "manifest points outside":
                File.WriteAllText(manifestPath, File.ReadAllText(manifestPath).Replace("\"traces/run-1.jsonl\"", "\"traces/../../../outside.txt\"", StringComparison.Ordinal));
                break;
            case "manifest is not json":
                File.WriteAllText(manifestPath, "{ not json");
                break;
            case "manifest is missing":
                File.Delete(manifestPath);
                break;
        }
        await Remember("lives in Oslo");
        var facts = await FactState();
        var plain = PlainFileHashes();

        var error = await Assert.ThrowsAsync<SnapshotException>(() => Snapshots.RestoreAsync("good", None));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Equal(facts, await FactState());
        Assert.Equal(plain, PlainFileHashes());
        Assert.Equal(["good"], Directory.EnumerateDirectories(_workspace.SnapshotsDirectory).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_database_image_that_is_not_sound_is_refused_even_when_its_checksum_matches()
    {
        await Snapshots.CreateAsync("garbage", None);
        ReplaceWithMatchingChecksum("garbage", "memory.db", path => File.WriteAllText(path, "this is not a database, just text of some length............"));
        var facts = await FactState();

        var error = await Assert.ThrowsAsync<SnapshotException>(() => Snapshots.RestoreAsync("garbage", None));

        Assert.Contains("database", error.Message, StringComparison.Ordinal);
        Assert.Equal(facts, await FactState());
        Assert.Single(Directory.EnumerateDirectories(_workspace.SnapshotsDirectory));
    }

    [Fact]
    public async Task A_database_from_a_newer_minime_is_refused()
    {
        await Snapshots.CreateAsync("future", None);
        ReplaceWithMatchingChecksum("future", "memory.db", path => Scalar(path, "PRAGMA user_version = 99"));

        var error = await Assert.ThrowsAsync<SnapshotException>(() => Snapshots.RestoreAsync("future", None));

        Assert.Contains("newer than this MiniMe", error.Message, StringComparison.Ordinal);
        Assert.Equal((long)MiniMe.Storage.Sqlite.SqliteSchema.CurrentVersion, Scalar(DatabasePath, "PRAGMA user_version"));
    }

    [Fact]
    public async Task A_trace_line_being_written_is_left_out_of_the_snapshot()
    {
        File.AppendAllText(Path.Combine(_workspace.TracesDirectory, "run-1.jsonl"), "{\"timestamp\":\"2025-03-01T09:00:00Z\",\"event_ty");

        var snapshot = await Snapshots.CreateAsync("torn", None);

        var copy = File.ReadAllText(Path.Combine(snapshot.Directory, "traces", "run-1.jsonl"));
        Assert.EndsWith("\n", copy, StringComparison.Ordinal);
        Assert.DoesNotContain("event_ty\"", copy.Split('\n')[^1], StringComparison.Ordinal);
        Assert.Equal(2, copy.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task List_is_oldest_first_and_shows_damaged_snapshots_with_the_problem()
    {
        await Snapshots.CreateAsync("b-first", None);
        _clock.Advance(TimeSpan.FromHours(1));
        await Snapshots.CreateAsync("a-second", None);
        File.Delete(Path.Combine(_workspace.SnapshotsDirectory, "b-first", "manifest.json"));
        Directory.CreateDirectory(Path.Combine(_workspace.SnapshotsDirectory, ".staging-leftover"));

        var list = Snapshots.List();

        Assert.Equal(["a-second", "b-first"], list.Select(s => s.Name));
        Assert.Null(list[0].Problem);
        Assert.Null(list[1].Manifest);
        Assert.Contains("no manifest.json", list[1].Problem, StringComparison.Ordinal);
    }
}
