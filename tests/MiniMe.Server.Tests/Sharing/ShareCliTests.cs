using System.Globalization;
using System.Text.Json;
using MiniMe.Memory.Facts;
using MiniMe.Server.Tests.Support;
using MiniMe.Storage.Sqlite;

namespace MiniMe.Server.Tests.Sharing;

/// <summary>
/// `minime share` in-process over a real workspace: facts written to memory.db at chosen dates, documents
/// imported by domain, goals in server.db; exports checked group by group against what was written.
/// </summary>
public sealed class ShareCliTests : IDisposable
{
    private static readonly string[] Categories = ["preference", "skill", "project", "health"];
    private readonly string _home = Path.Combine(Path.GetTempPath(), "minime-server-tests", Guid.NewGuid().ToString("N"));
    private readonly string _trust = Directory.CreateTempSubdirectory("minime-share-trust-").FullName;
    private readonly string _files = Directory.CreateTempSubdirectory("minime-share-files-").FullName;

    public void Dispose()
    {
        foreach (var dir in new[] { _home, _trust, _files })
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (DirectoryNotFoundException)
            {
            }
        }
    }

    private Task<(int Code, string Out, string Error)> RunAsync(params string[] args) => CliRun.RunAsync(_home, Path.Combine(_trust, "trust.json"), args);

    private string File(string name) => Path.Combine(_files, name);

    private string Contract(string name, int k, string expires = "2099-12-31", string quasi = "[category, month]", string what = """
          facts:
            categories: [preference, skill, project]
            measures: [count, share, mean_confidence]
        """, bool revocable = true)
    {
        var path = File(name + ".share.yaml");
        System.IO.File.WriteAllText(path, $"""
            name: {name}
            recipient: Note-taking study, Example University
            purpose: How people spread their notes across topics
            k: {k}
            expires: {expires}
            revocable: {(revocable ? "true" : "false")}
            quasi_identifiers: {quasi}
            what:
            {what}
            """);
        return path;
    }

    /// <summary>Writes facts with varied categories, months and confidences; returns them as (category, month, confidence, text).</summary>
    private async Task<List<(string Category, string Month, double Confidence, string Text)>> SeedFactsAsync(int seed)
    {
        Assert.Equal(0, (await RunAsync("init", "--name", "nima")).Code);
        var random = new Random(seed);
        var written = new List<(string, string, double, string)>();
        await using var store = new SqliteFactStore(Path.Combine(_home, "memory.db"));
        await store.InitializeAsync(CancellationToken.None);
        for (var i = 0; i < 90; i++)
        {
            var category = Categories[Math.Min(random.Next(0, 4), random.Next(0, 6)) % Categories.Length];
            var at = new DateTimeOffset(2026, 1 + (int)Math.Floor(Math.Pow(random.NextDouble(), 2) * 8), 1 + random.Next(0, 27), random.Next(0, 24), 0, 0, TimeSpan.Zero);
            var confidence = Math.Round(0.5 + random.NextDouble() / 2, 2);
            var text = $"Private note number {i} about my {category}";
            await store.AddAsync(FactInsert.Active(new FactDraft(text, $"private note {i}", category, FactSource.Explicit, confidence, 0.5), null), at, CancellationToken.None);
            written.Add((category, at.UtcDateTime.ToString("yyyy-MM", CultureInfo.InvariantCulture), confidence, text));
        }
        return written;
    }

    [Fact]
    public async Task No_group_under_k_leaves_and_every_group_matches_the_facts_written()
    {
        var facts = await SeedFactsAsync(seed: 7);
        var listed = new[] { "preference", "skill", "project" };
        var truth = facts.Where(f => listed.Contains(f.Category)).GroupBy(f => (f.Category, f.Month)).ToDictionary(g => g.Key, g => g.ToList());
        var sawSuppression = false;
        foreach (var k in new[] { 2, 3, 5, 8 })
        {
            var contract = Contract($"study-k{k}", k);
            var target = File($"export-k{k}.json");
            var run = await RunAsync("share", "export", "--contract", contract, "--out", target);
            Assert.True(run.Code == 0, run.Error);
            var text = await System.IO.File.ReadAllTextAsync(target);
            var export = JsonDocument.Parse(text).RootElement;
            Assert.Equal(($"study-k{k}", k), (export.GetProperty("contract").GetProperty("name").GetString(), export.GetProperty("contract").GetProperty("k").GetInt32()));
            Assert.Equal("2099-12-31", export.GetProperty("expires").GetString());
            Assert.StartsWith("sha256:", export.GetProperty("contract").GetProperty("sha256").GetString(), StringComparison.Ordinal);

            var section = Assert.Single(export.GetProperty("sections").EnumerateArray());
            var groups = section.GetProperty("groups").EnumerateArray().ToList();
            foreach (var g in groups)
            {
                var key = (g.GetProperty("category").GetString()!, g.GetProperty("month").GetString()!);
                var count = g.GetProperty("count").GetInt32();
                Assert.True(count >= k, $"k={k}: group {key} has {count} records");
                Assert.Equal(truth[key].Count, count);
                Assert.Equal(truth[key].Average(f => f.Confidence), g.GetProperty("mean_confidence").GetDouble(), 0.0005 + 1e-9);
                Assert.Equal(["category", "month", "count", "share", "mean_confidence"], g.EnumerateObject().Select(p => p.Name));
            }
            Assert.Equal(truth.Count(t => t.Value.Count >= k), groups.Count);

            var hidden = truth.Values.Where(g => g.Count < k).ToList();
            var suppressed = export.GetProperty("suppressed").EnumerateArray().ToList();
            if (hidden.Count > 0)
            {
                sawSuppression = true;
                var below = suppressed.Single(s => s.GetProperty("reason").GetString() == "group_below_k");
                Assert.Equal(hidden.Count, below.GetProperty("groups").GetInt32());
                Assert.Equal(hidden.Count, export.GetProperty("suppressed_groups").GetInt32());
                var records = hidden.Sum(g => g.Count);
                if (records >= k) Assert.Equal(records, below.GetProperty("records").GetInt32());
                else Assert.Equal(JsonValueKind.Null, below.GetProperty("records").ValueKind);
                Assert.Contains($"facts (group_below_k): {hidden.Count} group(s)", run.Out, StringComparison.Ordinal);
                var total = section.GetProperty("total");
                if (records < k) Assert.Equal(JsonValueKind.Null, total.ValueKind);
                else
                {
                    Assert.Equal(truth.Values.Sum(g => g.Count), total.GetProperty("count").GetInt32());
                    Assert.Matches($@"total\s+{truth.Values.Sum(g => g.Count)}\s", run.Out);
                }
            }
            // Nothing but aggregates: no fact text, no id, no category outside the contract.
            Assert.DoesNotContain("Private note", text, StringComparison.Ordinal);
            Assert.DoesNotContain("health", text, StringComparison.Ordinal);
            Assert.DoesNotContain("\"id\"", text, StringComparison.Ordinal);
        }
        Assert.True(sawSuppression, "the data had no group under any k: the test would prove nothing");

        var list = JsonDocument.Parse((await RunAsync("share", "list", "--json")).Out).RootElement;
        Assert.Equal(["study-k2", "study-k3", "study-k5", "study-k8"], list.GetProperty("contracts").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        Assert.All(list.GetProperty("contracts").EnumerateArray(), c => Assert.Equal(("active", 1), (c.GetProperty("status").GetString(), c.GetProperty("exports").GetInt32())));
        Assert.Equal(4, list.GetProperty("exports").GetArrayLength());
    }

    [Fact]
    public async Task The_same_data_gives_the_same_export_and_a_change_gives_another()
    {
        await SeedFactsAsync(seed: 11);
        var contract = Contract("stable", 3, quasi: "[category, month, status]", what: """
              facts:
                categories: [preference, skill, project]
                measures: [count, share, mean_confidence, mean_importance]
              goals:
                measures: [count, mean_progress]
            """);
        for (var i = 0; i < 3; i++) Assert.Equal(0, (await RunAsync("goals", "add", $"Goal {i}")).Code);
        var first = await RunAsync("share", "export", "--contract", contract, "--out", File("a.json"), "--json");
        var second = await RunAsync("share", "export", "--contract", contract, "--out", File("b.json"), "--json");
        Assert.True(first.Code == 0 && second.Code == 0, first.Error + second.Error);
        var a = JsonDocument.Parse(first.Out).RootElement;
        var b = JsonDocument.Parse(await System.IO.File.ReadAllTextAsync(File("b.json"))).RootElement;
        Assert.Equal(a.GetProperty("content_sha256").GetString(), b.GetProperty("content_sha256").GetString());
        Assert.Equal(a.GetProperty("sections").GetRawText(), b.GetProperty("sections").GetRawText());
        Assert.Equal(a.GetProperty("suppressed").GetRawText(), b.GetProperty("suppressed").GetRawText());
        var goals = a.GetProperty("sections")[1];
        Assert.Equal(("goals", 3), (goals.GetProperty("source").GetString(), Assert.Single(goals.GetProperty("groups").EnumerateArray()).GetProperty("count").GetInt32()));
        Assert.DoesNotContain("Goal 1", first.Out, StringComparison.Ordinal);

        Assert.Equal(0, (await RunAsync("goals", "add", "Goal 3")).Code);
        var third = JsonDocument.Parse((await RunAsync("share", "export", "--contract", contract, "--out", File("c.json"), "--json")).Out).RootElement;
        Assert.NotEqual(a.GetProperty("content_sha256").GetString(), third.GetProperty("content_sha256").GetString());
    }

    [Fact]
    public async Task A_revoked_contract_exports_nothing_again_and_says_so_in_one_line()
    {
        await SeedFactsAsync(seed: 3);
        var contract = Contract("study", 3);
        Assert.Equal(0, (await RunAsync("share", "export", "--contract", contract, "--out", File("one.json"))).Code);

        var revoked = await RunAsync("share", "revoke", "study", "--json");
        Assert.True(revoked.Code == 0, revoked.Error);
        Assert.Equal("revoked", JsonDocument.Parse(revoked.Out).RootElement.GetProperty("status").GetString());

        var again = await RunAsync("share", "export", "--contract", contract, "--out", File("two.json"));
        Assert.Equal(1, again.Code);
        Assert.Matches(@"^error: Contract 'study' was revoked on \d{4}-\d{2}-\d{2}; nothing is exported under it \(a new agreement takes a new contract name\)\.$", again.Error.Trim());
        Assert.False(System.IO.File.Exists(File("two.json")));
        Assert.False(System.IO.File.Exists(File("two.json.tmp")));

        var list = await RunAsync("share", "list");
        Assert.Matches(@"study\s+revoked", list.Out);
        var twice = await RunAsync("share", "revoke", "study");
        Assert.Equal(1, twice.Code);
        Assert.Contains("already revoked", twice.Error, StringComparison.Ordinal);
        var unknown = await RunAsync("share", "revoke", "studdy");
        Assert.Equal(1, unknown.Code);
        Assert.Equal("error: No contract 'studdy'; did you mean 'study'? (`minime share list` shows them).", unknown.Error.Trim());
    }

    [Fact]
    public async Task An_expired_contract_exports_nothing_and_a_contract_that_is_not_revocable_cannot_be_revoked()
    {
        await SeedFactsAsync(seed: 5);
        var expired = await RunAsync("share", "export", "--contract", Contract("old", 3, expires: "2020-01-31"), "--out", File("old.json"));
        Assert.Equal(1, expired.Code);
        Assert.Equal("error: Contract 'old' expired on 2020-01-31; nothing is exported under it.", expired.Error.Trim());
        Assert.False(System.IO.File.Exists(File("old.json")));
        Assert.Empty(JsonDocument.Parse((await RunAsync("share", "list", "--json")).Out).RootElement.GetProperty("exports").EnumerateArray());

        var fixedTerm = Contract("fixed", 2, revocable: false);
        Assert.Equal(0, (await RunAsync("share", "export", "--contract", fixedTerm, "--out", File("fixed.json"))).Code);
        var refused = await RunAsync("share", "revoke", "fixed");
        Assert.Equal(1, refused.Code);
        Assert.Equal("error: Contract 'fixed' says revocable: false; it ends on its expiry date (2099-12-31).", refused.Error.Trim());
        Assert.Equal(0, (await RunAsync("share", "export", "--contract", fixedTerm, "--out", File("fixed.json"))).Code);

        // The registry keeps each contract's expiry: once past it, the contract lists as expired.
        var registry = Path.Combine(_home, "share", "registry.json");
        var text = await System.IO.File.ReadAllTextAsync(registry);
        Assert.Contains("\"expires\": \"2099-12-31\"", text, StringComparison.Ordinal);
        await System.IO.File.WriteAllTextAsync(registry, text.Replace("\"expires\": \"2099-12-31\"", "\"expires\": \"2020-02-29\"", StringComparison.Ordinal));
        var listed = JsonDocument.Parse((await RunAsync("share", "list", "--json")).Out).RootElement.GetProperty("contracts");
        Assert.Equal(("fixed", "expired", 2), (listed[0].GetProperty("name").GetString(), listed[0].GetProperty("status").GetString(), listed[0].GetProperty("exports").GetInt32()));
        Assert.Matches(@"fixed\s+expired", (await RunAsync("share", "list")).Out);
    }

    [Fact]
    public async Task A_damaged_registry_stops_exports_instead_of_forgetting_a_revocation()
    {
        await SeedFactsAsync(seed: 9);
        Directory.CreateDirectory(Path.Combine(_home, "share"));
        await System.IO.File.WriteAllTextAsync(Path.Combine(_home, "share", "registry.json"), "{ \"contracts\": [ {");
        var run = await RunAsync("share", "export", "--contract", Contract("study", 2), "--out", File("x.json"));
        Assert.Equal(1, run.Code);
        Assert.StartsWith($"error: The sharing registry {Path.Combine(_home, "share", "registry.json")} is not readable", run.Error.Trim(), StringComparison.Ordinal);
        Assert.Single(run.Error.Trim().Split('\n'));
        Assert.False(System.IO.File.Exists(File("x.json")));
        Assert.Equal(1, (await RunAsync("share", "list")).Code);
    }

    [Fact]
    public async Task A_malformed_contract_exits_2_with_file_line_and_column_and_writes_nothing()
    {
        Assert.Equal(0, (await RunAsync("init", "--name", "nima")).Code);
        var path = File("bad.share.yaml");
        await System.IO.File.WriteAllTextAsync(path, "name: bad\nrecipient: x\npurpose: y\nk: 1\nexpires: 2099-01-01\nwhat:\n  facts:\n");
        var run = await RunAsync("share", "export", "--contract", path, "--out", File("bad.json"));
        Assert.Equal(2, run.Code);
        Assert.Equal($"error: {path}:4:4: 'k' must be a whole number from 2 to 100000 (groups of fewer records are suppressed)", run.Error.Trim());
        Assert.False(System.IO.File.Exists(File("bad.json")));

        var missing = await RunAsync("share", "export", "--contract", File("none.yaml"), "--out", File("none.json"));
        Assert.Equal(1, missing.Code);
        Assert.Contains("No contract file", missing.Error, StringComparison.Ordinal);
        var noFolder = await RunAsync("share", "export", "--contract", Contract("ok", 2), "--out", Path.Combine(_files, "no", "such", "x.json"));
        Assert.Equal(1, noFolder.Code);
        Assert.Contains("No folder", noFolder.Error, StringComparison.Ordinal);
        Assert.Contains("No contracts used yet", (await RunAsync("share")).Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Documents_are_grouped_by_the_domains_the_contract_lists()
    {
        Assert.Equal(0, (await RunAsync("init", "--name", "nima")).Code);
        var notes = Directory.CreateDirectory(Path.Combine(_files, "notes"));
        foreach (var (domain, n) in new[] { ("work", 4), ("reading", 2), ("diary", 3) })
        {
            var dir = Directory.CreateDirectory(Path.Combine(notes.FullName, domain));
            for (var i = 0; i < n; i++) await System.IO.File.WriteAllTextAsync(Path.Combine(dir.FullName, $"n{i}.md"), $"# {domain} {i}\n\nSecret paragraph {i} of {domain}.\n");
            var imported = await RunAsync("import", dir.FullName, "--domain", domain, "--no-vectors");
            Assert.True(imported.Code == 0, imported.Error);
        }
        var contract = Contract("docs", 3, quasi: "[domain]", what: """
              documents:
                domains: [work, reading]
                measures: [count, share, mean_chunks]
            """);
        var run = await RunAsync("share", "export", "--contract", contract, "--out", File("docs.json"), "--json");
        Assert.True(run.Code == 0, run.Error);
        var export = JsonDocument.Parse(run.Out).RootElement;
        var group = Assert.Single(export.GetProperty("sections")[0].GetProperty("groups").EnumerateArray());
        Assert.Equal(("work", 4, 1.0), (group.GetProperty("domain").GetString(), group.GetProperty("count").GetInt32(), group.GetProperty("share").GetDouble()));
        Assert.Equal(JsonValueKind.Null, export.GetProperty("sections")[0].GetProperty("total").ValueKind);
        Assert.Equal("total_would_reveal_suppressed", export.GetProperty("suppressed")[1].GetProperty("reason").GetString());
        Assert.DoesNotContain("diary", run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("Secret", run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("n0.md", run.Out, StringComparison.Ordinal);
    }
}
