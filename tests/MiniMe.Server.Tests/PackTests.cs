using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MiniMe.Masks;
using MiniMe.Packs;
using MiniMe.Server.Packs;
using MiniMe.Server.Tests.Support;

namespace MiniMe.Server.Tests;

/// <summary>
/// Knowledge packs end to end: the real CLI in-process (create, import, list, activate, a second version,
/// rollback, deactivate, remove; the shipped example pack; `ask --dry-run` whose context gets the pack
/// only when the task matches a topic) and /v1/packs on real Kestrel, each user's packs their own.
/// </summary>
public sealed class PackTests : IDisposable
{
    private readonly string _home = Path.Combine(Path.GetTempPath(), "minime-server-tests", Guid.NewGuid().ToString("N"));
    private readonly string _work = Directory.CreateTempSubdirectory("minime-packs-").FullName;

    private Task<(int Code, string Out, string Error)> RunAsync(params string[] args) => CliRun.RunAsync(_home, Path.Combine(_work, "trust.json"), args);

    private async Task<JsonElement> JsonAsync(params string[] args)
    {
        var (code, output, error) = await RunAsync(args);
        Assert.True(code == 0, $"minime {string.Join(' ', args)} exited {code}: {error}");
        return JsonDocument.Parse(output).RootElement;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MiniMe.slnx"))) return dir.FullName;
        throw new InvalidOperationException("MiniMe.slnx not found above the test's output folder.");
    }

    [Fact]
    public async Task Create_import_list_activate_second_version_rollback_deactivate_remove()
    {
        Assert.Equal(0, (await RunAsync("init", "--name", "nima")).Code);
        var folder = Path.Combine(_work, "kafka-ops");
        var created = await RunAsync("packs", "create", "kafka-ops", "--topics", "kafka, consumer lag", "--description", "Running Kafka", "--dir", folder);
        Assert.Equal(0, created.Code);
        var manifest = await File.ReadAllTextAsync(Path.Combine(folder, "pack.yaml"));
        Assert.Contains("# ", manifest, StringComparison.Ordinal); // commented
        Assert.True(File.Exists(Path.Combine(folder, "docs", "overview.md")));
        Assert.Equal(1, (await RunAsync("packs", "create", "kafka-ops", "--dir", folder)).Code); // not over a pack
        Assert.Equal(2, (await RunAsync("packs", "create", "Kafka Ops", "--dir", Path.Combine(_work, "other"))).Code);

        var first = await JsonAsync("packs", "import", folder, "--json");
        Assert.Equal("installed", first.GetProperty("outcome").GetString());
        Assert.True(first.GetProperty("active").GetBoolean());
        var again = await JsonAsync("packs", "import", folder, "--json");
        Assert.Equal("unchanged", again.GetProperty("outcome").GetString());

        var list = Assert.Single((await JsonAsync("packs", "list", "--json")).EnumerateArray());
        Assert.Equal("kafka-ops", list.GetProperty("name").GetString());
        Assert.Equal("1.0.0", list.GetProperty("active").GetString());
        Assert.Equal(["1.0.0"], list.GetProperty("versions").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(["kafka", "consumer lag"], list.GetProperty("topics").EnumerateArray().Select(v => v.GetString()));
        Assert.True(File.Exists(Path.Combine(_home, "packs", "kafka-ops", "1.0.0", "pack.yaml")));
        Assert.True(File.Exists(Path.Combine(_home, "packs", "kafka-ops", "1.0.0", "docs", "overview.md")));

        Assert.Equal(0, (await RunAsync("packs", "activate", "kafka-ops")).Code);

        // Version 2: a newer version of an active pack becomes active; 1.0.0 is kept.
        await File.WriteAllTextAsync(Path.Combine(folder, "pack.yaml"), manifest.Replace("version: 1.0.0", "version: 2.0.0", StringComparison.Ordinal)
            .Replace("  - State the assumption", "  - Check consumer lag before scaling.\n  - State the assumption", StringComparison.Ordinal));
        var second = await JsonAsync("packs", "import", folder, "--json");
        Assert.Equal("2.0.0", second.GetProperty("version").GetString());
        Assert.True(second.GetProperty("active").GetBoolean());
        var shown = await JsonAsync("packs", "show", "kafka-ops", "--json");
        Assert.Equal("2.0.0", shown.GetProperty("version").GetString());
        Assert.Equal("Check consumer lag before scaling.", shown.GetProperty("rules")[0].GetString());
        var old = await JsonAsync("packs", "show", "kafka-ops", "--version", "1.0", "--json");
        Assert.Equal("1.0.0", old.GetProperty("version").GetString());
        Assert.False(old.GetProperty("active").GetBoolean());
        Assert.Equal(1, old.GetProperty("rules").GetArrayLength());

        // The same version with other content is refused, then replaced with --force.
        await File.AppendAllTextAsync(Path.Combine(folder, "docs", "overview.md"), "\nMore.\n");
        var refused = await RunAsync("packs", "import", folder);
        Assert.Equal(1, refused.Code);
        Assert.Contains("kafka-ops 2.0.0 is already installed with other content", refused.Error, StringComparison.Ordinal);
        Assert.Contains("--force", refused.Error, StringComparison.Ordinal);
        Assert.Equal("replaced", (await JsonAsync("packs", "import", folder, "--force", "--json")).GetProperty("outcome").GetString());
        Assert.EndsWith("More.\n", await File.ReadAllTextAsync(Path.Combine(_home, "packs", "kafka-ops", "2.0.0", "docs", "overview.md")), StringComparison.Ordinal);

        var rollback = await RunAsync("packs", "rollback", "kafka-ops");
        Assert.Equal(0, rollback.Code);
        Assert.Contains("2.0.0 → 1.0.0", rollback.Out, StringComparison.Ordinal);
        Assert.Equal("1.0.0", Assert.Single((await JsonAsync("packs", "list", "--json")).EnumerateArray()).GetProperty("active").GetString());
        var nothing = await RunAsync("packs", "rollback", "kafka-ops");
        Assert.Equal(1, nothing.Code);
        Assert.Contains("no earlier active version", nothing.Error, StringComparison.Ordinal);

        var state = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_home, "packs", "state.json"))).RootElement;
        Assert.Equal("1.0.0", state.GetProperty("packs").GetProperty("kafka-ops").GetProperty("active").GetString());

        Assert.Equal(0, (await RunAsync("packs", "deactivate", "kafka-ops")).Code);
        var off = Assert.Single((await JsonAsync("packs", "list", "--json")).EnumerateArray());
        Assert.Equal(JsonValueKind.Null, off.GetProperty("active").ValueKind);
        Assert.Equal(["1.0.0", "2.0.0"], off.GetProperty("versions").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(1, (await RunAsync("packs", "rollback", "kafka-ops")).Code);
        Assert.Equal(0, (await RunAsync("packs", "activate", "kafka-ops", "--version", "2.0.0")).Code);

        Assert.Equal(0, (await RunAsync("packs", "remove", "kafka-ops", "--version", "2.0.0")).Code);
        var left = Assert.Single((await JsonAsync("packs", "list", "--json")).EnumerateArray());
        Assert.Equal(["1.0.0"], left.GetProperty("versions").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(JsonValueKind.Null, left.GetProperty("active").ValueKind); // the active version went with it
        Assert.False(Directory.Exists(Path.Combine(_home, "packs", "kafka-ops", "2.0.0")));
        Assert.Equal(1, (await RunAsync("packs", "activate", "kafka-ops", "--version", "2.0.0")).Code);

        Assert.Equal(0, (await RunAsync("packs", "remove", "kafka-ops")).Code);
        Assert.Empty((await JsonAsync("packs", "list", "--json")).EnumerateArray());
        Assert.False(Directory.Exists(Path.Combine(_home, "packs", "kafka-ops")));
        Assert.Equal(1, (await RunAsync("packs", "show", "kafka-ops")).Code);
    }

    [Fact]
    public async Task An_invalid_pack_is_refused_with_one_line_per_problem_and_nothing_installed()
    {
        Assert.Equal(0, (await RunAsync("init", "--name", "nima")).Code);
        var path = Path.Combine(_work, "bad.pack.yaml");
        await File.WriteAllTextAsync(path, "name: Bad\nversion: 1.0.0\ntopcs: [x]\nrules: [a]\n");
        var result = await RunAsync("packs", "import", path);
        Assert.Equal(2, result.Code);
        Assert.Equal(
        [
            $"error: {path}:1:7: name 'Bad' is not a slug; use lowercase letters, digits and '-' (starting with a letter or digit), e.g. postgres-ops",
            $"error: {path}:3:1: unknown key 'topcs' in the pack; did you mean 'topics'?",
        ], result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Empty((await JsonAsync("packs", "list", "--json")).EnumerateArray());
    }

    [Fact]
    public async Task The_example_pack_imports_and_joins_only_the_runs_whose_task_matches_a_topic()
    {
        Assert.Equal(0, (await RunAsync("init", "--name", "nima")).Code);
        var example = Path.Combine(RepositoryRoot(), "packs", "examples", "postgres-ops");
        var imported = await JsonAsync("packs", "import", example, "--json");
        Assert.Equal("postgres-ops", imported.GetProperty("name").GetString());
        Assert.True(imported.GetProperty("active").GetBoolean());
        var shown = await JsonAsync("packs", "show", "postgres-ops", "--json");
        Assert.InRange(shown.GetProperty("rules").GetArrayLength(), 3, 10);
        Assert.InRange(shown.GetProperty("facts").GetArrayLength(), 3, 10);
        Assert.InRange(shown.GetProperty("documents").GetArrayLength(), 1, 3);

        var matching = await ContextBlockIdsAsync("Why is autovacuum not keeping up with the queue table, and should we run VACUUM FULL?");
        var packBlocks = matching.Where(id => id.StartsWith("pack:postgres-ops@1.0.0:", StringComparison.Ordinal)).ToList();
        Assert.Contains("pack:postgres-ops@1.0.0:topic:vacuum+autovacuum", packBlocks);
        Assert.Contains("pack:postgres-ops@1.0.0:rule:1", packBlocks);
        Assert.Contains("pack:postgres-ops@1.0.0:fact:1", packBlocks);
        Assert.Contains("pack:postgres-ops@1.0.0:passage:1", packBlocks);

        var unrelated = await ContextBlockIdsAsync("Center the login button on the settings page");
        Assert.DoesNotContain(unrelated, id => id.StartsWith("pack:", StringComparison.Ordinal));

        // Deactivated, it joins nothing, even a matching task.
        Assert.Equal(0, (await RunAsync("packs", "deactivate", "postgres-ops")).Code);
        Assert.DoesNotContain(await ContextBlockIdsAsync("Tune autovacuum for the sessions table"), id => id.StartsWith("pack:", StringComparison.Ordinal));
    }

    [Fact]
    [Trait("Category", "Integration")]
    public async Task The_example_pack_imports_as_the_readme_says_from_the_repository_root_in_a_real_process()
    {
        Assert.Equal(0, (await RunAsync("init", "--name", "nima")).Code);
        var info = new System.Diagnostics.ProcessStartInfo("dotnet")
        {
            WorkingDirectory = RepositoryRoot(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "minime.dll"), "packs", "import", "packs/examples/postgres-ops", "--home", _home })
            info.ArgumentList.Add(arg);
        info.Environment.Remove("MINIME_HOME");
        info.Environment["MINIME_TRUST_FILE"] = Path.Combine(_work, "trust.json");
        using var process = System.Diagnostics.Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, await error);
        Assert.Contains("postgres-ops 1.0.0 installed", await output, StringComparison.Ordinal);
        Assert.Equal("1.0.0", Assert.Single((await JsonAsync("packs", "list", "--json")).EnumerateArray()).GetProperty("active").GetString());
    }

    [Fact]
    public async Task A_damaged_state_file_is_one_line_for_the_commands_and_a_traced_skip_for_runs()
    {
        Assert.Equal(0, (await RunAsync("init", "--name", "nima")).Code);
        await File.WriteAllTextAsync(Path.Combine(_home, "packs", "state.json"), "{ \"format\": 1, \"packs\": { \"../x\": {} } }");
        var list = await RunAsync("packs", "list");
        Assert.Equal(1, list.Code);
        var line = Assert.Single(list.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("state.json is damaged ('../x' is not a pack name)", line, StringComparison.Ordinal);

        var ask = await RunAsync("ask", "--dry-run", "tune postgres autovacuum");
        Assert.Equal(0, ask.Code);
        var runId = ask.Out.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("run_id: ", StringComparison.Ordinal))["run_id: ".Length..];
        var trace = await RunAsync("trace", runId, "--json");
        Assert.Contains(trace.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement),
            e => e.GetProperty("event_type").GetString() == "error"
                && e.GetProperty("data").GetProperty("message").GetString()!.StartsWith("context source packs skipped:", StringComparison.Ordinal));
    }

    /// <summary>`minime ask --dry-run TASK`, then the block ids of its context_assembly event, read back with `minime trace --json`.</summary>
    private async Task<List<string>> ContextBlockIdsAsync(string task)
    {
        var ask = await RunAsync("ask", "--dry-run", task);
        Assert.True(ask.Code == 0, ask.Error);
        var runId = ask.Out.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("run_id: ", StringComparison.Ordinal))["run_id: ".Length..];
        var trace = await RunAsync("trace", runId, "--json");
        Assert.Equal(0, trace.Code);
        var context = trace.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
            .Single(e => e.GetProperty("event_type").GetString() == "context_assembly");
        return [.. context.GetProperty("data").GetProperty("blocks").EnumerateArray().Select(b => b.GetProperty("id").GetString()!)];
    }

    private const string UploadV1 = """
        name: redis-notes
        version: 1.0.0
        description: Notes on Redis.
        topics: [redis, "eviction policy"]
        rules:
          - Set maxmemory and an eviction policy on every cache instance.
        facts:
          - text: allkeys-lru evicts any key, volatile-lru only keys with a TTL.
            category: eviction
        documents:
          - title: Persistence
            text: |
              RDB snapshots are compact; the append-only file loses less on a crash.
        """;

    private static StringContent Yaml(string text) => new(text, Encoding.UTF8, "application/yaml");

    [Fact]
    public async Task The_api_uploads_lists_activates_and_keeps_each_users_packs_apart()
    {
        await using var server = await TestServer.StartAsync(tweak: s => s.MaxRequestBytes = 8 * 1024);
        var owner = server.Client(server.CreateKey("laptop"));
        var bob = server.Client(server.CreateKey("bob-phone", "bob"));

        using (var created = await owner.PostAsync("/v1/packs", Yaml(UploadV1)))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var body = await created.ReadAsync();
            Assert.Equal("installed", body.GetProperty("outcome").GetString());
            Assert.True(body.GetProperty("active").GetBoolean());
        }
        // The owner's packs are the workspace's: the CLI sees the same store.
        Assert.True(File.Exists(Path.Combine(server.Workspace.PacksDirectory, "redis-notes", "1.0.0", "pack.yaml")));

        var list = Assert.Single((await owner.GetJsonAsync("/v1/packs")).EnumerateArray());
        Assert.Equal("redis-notes", list.GetProperty("name").GetString());
        Assert.Equal("1.0.0", list.GetProperty("active").GetString());
        var one = await owner.GetJsonAsync("/v1/packs/redis-notes");
        Assert.Equal("Persistence", one.GetProperty("documents")[0].GetProperty("title").GetString());
        Assert.Equal("eviction", one.GetProperty("facts")[0].GetProperty("category").GetString());

        // Another user sees none of it and cannot change it.
        Assert.Empty((await bob.GetJsonAsync("/v1/packs")).EnumerateArray());
        using (var hidden = await bob.GetAsync("/v1/packs/redis-notes")) await hidden.AssertProblemAsync(404);
        using (var notTheirs = await bob.PostAsJsonAsync("/v1/packs/redis-notes/deactivate", new { })) await notTheirs.AssertProblemAsync(404);
        using (var notDeleted = await bob.DeleteAsync("/v1/packs/redis-notes")) await notDeleted.AssertProblemAsync(404);

        // Version 2, then back to 1 by activate, rollback to 2, deactivate.
        using (var v2 = await owner.PostAsync("/v1/packs", Yaml(UploadV1.Replace("version: 1.0.0", "version: 1.1.0", StringComparison.Ordinal))))
            Assert.Equal(HttpStatusCode.Created, v2.StatusCode);
        Assert.Equal("1.1.0", Assert.Single((await owner.GetJsonAsync("/v1/packs")).EnumerateArray()).GetProperty("active").GetString());
        var activated = await owner.PostJsonAsync("/v1/packs/redis-notes/activate", new { version = "1.0.0" });
        Assert.Equal("1.1.0", activated.GetProperty("previous").GetString());
        Assert.Equal("1.0.0", activated.GetProperty("active").GetString());
        using (var newest = await owner.PostAsync("/v1/packs/redis-notes/rollback", null))
            Assert.Equal("1.1.0", (await newest.ReadAsync()).GetProperty("active").GetString());
        using (var changed = await owner.PostAsync("/v1/packs", Yaml(UploadV1.Replace("version: 1.0.0", "version: 1.1.0", StringComparison.Ordinal).Replace("Notes on Redis.", "Other.", StringComparison.Ordinal))))
            Assert.Contains("--force", await changed.AssertProblemAsync(409), StringComparison.Ordinal);
        using (var off = await owner.PostAsync("/v1/packs/redis-notes/deactivate", null))
            Assert.False((await off.ReadAsync()).TryGetProperty("active", out _)); // the API leaves nulls out
        Assert.False(Assert.Single((await owner.GetJsonAsync("/v1/packs")).EnumerateArray()).TryGetProperty("active", out _));

        // Bob's own pack joins bob's runs, not the owner's.
        using (var bobs = await bob.PostAsync("/v1/packs", Yaml(UploadV1.Replace("redis-notes", "bobs-redis", StringComparison.Ordinal))))
            Assert.Equal(HttpStatusCode.Created, bobs.StatusCode);
        Assert.True(File.Exists(Path.Combine(server.Workspace.Root, "users", "bob", "packs", "bobs-redis", "1.0.0", "pack.yaml")));
        static IEnumerable<string> Ids(JsonElement ask) => ask.GetProperty("context").GetProperty("blocks").EnumerateArray().Select(b => b.GetProperty("id").GetString()!);
        var bobAsk = await bob.PostJsonAsync("/v1/ask", new { task = "Which eviction policy fits a Redis session cache?" });
        Assert.Contains("pack:bobs-redis@1.0.0:topic:redis+eviction-policy", Ids(bobAsk));
        var ownerAsk = await owner.PostJsonAsync("/v1/ask", new { task = "Which eviction policy fits a Redis session cache?" });
        Assert.DoesNotContain(Ids(ownerAsk), id => id.StartsWith("pack:", StringComparison.Ordinal));

        using (var invalid = await owner.PostAsync("/v1/packs", Yaml("name: x\nversion: 1.0.0\ntopics: [a]\ndocuments: [notes.md]\n")))
            Assert.StartsWith("pack:4:13: document 'notes.md' is a file path, but a single-file pack has no folder", await invalid.AssertProblemAsync(400), StringComparison.Ordinal);
        using (var empty = await owner.PostAsync("/v1/packs", Yaml("")))
            await empty.AssertProblemAsync(400);
        using (var large = await owner.PostAsync("/v1/packs", Yaml(UploadV1 + "# " + new string('x', 9 * 1024) + "\n")))
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, large.StatusCode);

        using (var deleted = await owner.DeleteAsync("/v1/packs/redis-notes?version=1.0.0"))
            Assert.Equal(["1.0.0"], (await deleted.ReadAsync()).GetProperty("removed").EnumerateArray().Select(v => v.GetString()));
        using (var all = await owner.DeleteAsync("/v1/packs/redis-notes")) Assert.Equal(HttpStatusCode.OK, all.StatusCode);
        Assert.Empty((await owner.GetJsonAsync("/v1/packs")).EnumerateArray());
        using (var gone = await owner.GetAsync("/v1/packs/redis-notes")) await gone.AssertProblemAsync(404);

        var paths = (await owner.GetJsonAsync("/openapi/v1.json")).GetProperty("paths");
        foreach (var path in new[] { "/v1/packs", "/v1/packs/{name}", "/v1/packs/{name}/activate", "/v1/packs/{name}/deactivate", "/v1/packs/{name}/rollback" })
            Assert.True(paths.TryGetProperty(path, out _), $"missing {path}");
    }

    [Fact]
    public async Task Concurrent_changes_to_one_store_lose_nothing()
    {
        var store = new PackStore(Path.Combine(_work, "packs"), new System.Collections.Concurrent.ConcurrentDictionary<string, LoadedPack>());
        var packs = Enumerable.Range(1, 12).Select(i => PackParser.ParseSingleFile($"name: p{i}\nversion: 1.0.0\ntopics: [t{i}]\nrules: [r]\n", $"p{i}.pack.yaml")).ToList();
        await Task.WhenAll(packs.Select(p => Task.Run(() => store.Import(p, force: false))));
        Assert.Equal(12, store.List().Count);
        Assert.Equal(12, store.ActivePacks().Count);
        Assert.Empty(Directory.GetFiles(Path.Combine(_work, "packs"), "*.tmp"));
    }

    private static KnowledgePack Pack(string name, IReadOnlyList<string> topics, IReadOnlyList<string>? rules = null, IReadOnlyList<PackDocument>? documents = null) =>
        new(name, PackVersion.Parse("1.0.0"), "", topics, [new PackFact("A fact.", "general")], rules ?? ["A rule."], documents ?? []);

    private static TaskProfile Profile(string domain) => new(domain, 1, 0.5, []);

    [Theory]
    [InlineData("connection pool", "Our Connection-Pooling is exhausted", true)]
    [InlineData("connection pool", "the pool of connections", false)]
    [InlineData("postgres", "POSTGRES is slow", true)]
    [InlineData("postgres", "postgresql is slow", false)]
    [InlineData("write-ahead log", "the write ahead logs fill the disk", true)]
    [InlineData("vacuum", "vacuuming the table", true)]
    [InlineData("kafka", "nothing related", false)]
    public void A_topic_matches_when_its_words_occur_in_order_ignoring_case_and_light_endings(string topic, string task, bool matches)
    {
        var match = PackSelector.Match([Pack("p", [topic])], task, profile: null);
        Assert.Equal(matches, match.Count == 1);
    }

    [Fact]
    public void A_topic_that_is_the_classified_domain_matches_but_general_never_does()
    {
        var pack = Pack("ops", ["devops", "general"]);
        var byDomain = Assert.Single(PackSelector.Match([pack], "restart the thing", Profile("devops")));
        Assert.True(byDomain.ByDomain);
        Assert.Equal("pack:ops@1.0.0:domain:devops", PackSelector.Blocks(byDomain, "restart the thing")[0].Id);
        Assert.Empty(PackSelector.Match([pack], "restart the thing", Profile("general")));
    }

    [Fact]
    public void Passages_are_the_paragraphs_sharing_most_terms_with_the_task_and_a_pack_stays_under_its_cap()
    {
        var document = new PackDocument("notes.md", "notes.md", "# Locks\n\nALTER TABLE waits for an exclusive lock.\n\n# Backups\n\nRestore the backup once a month.\n\n# Other\n\nUnrelated words entirely.\n");
        var pack = Pack("pg", ["postgres"], documents: [document]);
        var passages = PackSelector.Passages(pack, "postgres backup restore drill");
        Assert.Equal("Restore the backup once a month.", passages[0].Text);
        Assert.Equal("Backups", passages[0].Heading);
        Assert.DoesNotContain(passages, p => p.Text.StartsWith("Unrelated", StringComparison.Ordinal));

        var many = Pack("big", ["postgres"], rules: [.. Enumerable.Range(1, 90).Select(i => $"Rule number {i}: " + new string('r', 100))]);
        var blocks = PackSelector.Blocks(Assert.Single(PackSelector.Match([many], "postgres", null)), "postgres");
        Assert.True(blocks.Sum(b => b.Text.Length) <= PackSelector.MaxCharsPerPack);
        Assert.InRange(blocks.Count(b => b.Id.Contains(":rule:", StringComparison.Ordinal)), 10, 89);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_home, recursive: true); } catch (IOException) { }
        try { Directory.Delete(_work, recursive: true); } catch (IOException) { }
    }
}
