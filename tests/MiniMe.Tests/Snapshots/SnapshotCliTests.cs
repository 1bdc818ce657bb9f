using System.Text.Json.Nodes;
using MiniMe.Tests.Support;

namespace MiniMe.Tests.Snapshots;

/// <summary>`minime snapshot create|list|restore` end to end, in-process.</summary>
public sealed class SnapshotCliTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    private string Home => _dir.Combine(".minime");

    public void Dispose() => _dir.Dispose();

    private Task<CliResult> Minime(params string[] args) => CliRunner.RunAsync([.. args, "--home", Home]);

    private async Task<CliResult> Ok(params string[] args)
    {
        var result = await Minime(args);
        Assert.True(result.ExitCode == 0, $"minime {string.Join(' ', args)} exited {result.ExitCode}: {result.Error}");
        return result;
    }

    private async Task<List<string>> FactTexts() =>
        [.. JsonNode.Parse((await Ok("facts", "list", "--json")).Out)!.AsArray().Select(f => f!["text"]!.GetValue<string>()).Order()];

    [Fact]
    public async Task Create_list_and_restore_round_trip()
    {
        await Ok("init", "--name", "Ada");
        _dir.Write("notes/retry.md", "# Retries\n\nUse exponential backoff with jitter.");
        await Ok("import", _dir.Combine("notes"));
        await Ok("remember", "prefers dark mode");

        var created = JsonNode.Parse((await Ok("snapshot", "create", "v1", "--json")).Out)!;
        Assert.Equal("v1", created["name"]!.GetValue<string>());
        Assert.Equal(1, created["counts"]!["facts"]!.GetValue<long>());
        Assert.Equal(1, created["counts"]!["documents"]!.GetValue<long>());
        Assert.True(File.Exists(Path.Combine(Home, "snapshots", "v1", "manifest.json")));

        await Ok("remember", "uses Rider");
        var config = File.ReadAllText(Path.Combine(Home, "config.yaml"));
        File.WriteAllText(Path.Combine(Home, "config.yaml"), config.Replace("Ada", "Bob", StringComparison.Ordinal));

        // No terminal and no --yes: refused, nothing changed.
        var refused = await Minime("snapshot", "restore", "v1");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("--yes", refused.Error, StringComparison.Ordinal);
        Assert.Equal(["prefers dark mode", "uses Rider"], await FactTexts());

        var restored = await Ok("snapshot", "restore", "v1", "--yes");
        Assert.Contains("Restored snapshot v1", restored.Out, StringComparison.Ordinal);
        Assert.Contains("pre-restore-", restored.Out, StringComparison.Ordinal);
        Assert.Equal(["prefers dark mode"], await FactTexts());
        Assert.Equal(config, File.ReadAllText(Path.Combine(Home, "config.yaml")));
        var search = JsonNode.Parse((await Ok("search", "backoff", "--json")).Out)!.AsArray();
        Assert.Single(search);

        var list = JsonNode.Parse((await Ok("snapshot", "list", "--json")).Out)!.AsArray();
        Assert.Equal(2, list.Count);
        Assert.Equal("v1", list[0]!["name"]!.GetValue<string>());
        Assert.Equal("safety", list[1]!["kind"]!.GetValue<string>());
        Assert.Equal(2, list[1]!["counts"]!["facts"]!.GetValue<long>());
        Assert.Contains("v1", (await Ok("snapshot", "list")).Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("create", "../evil")]
    [InlineData("create", "/tmp/evil")]
    [InlineData("restore", "../evil", "--yes")]
    [InlineData("restore", "..", "--yes")]
    public async Task Hostile_names_are_usage_errors_with_one_line(params string[] args)
    {
        await Ok("init");
        var result = await Minime(["snapshot", .. args]);
        Assert.Equal(2, result.ExitCode);
        Assert.Single(result.Error.Trim().Split('\n'));
        Assert.Contains("Invalid snapshot name", result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_dir.Combine("evil")));
        Assert.False(Directory.Exists(Path.Combine(Home, "snapshots")) && Directory.EnumerateFileSystemEntries(Path.Combine(Home, "snapshots")).Any());
    }

    [Fact]
    public async Task Unknown_and_damaged_snapshots_are_refused_with_one_line()
    {
        await Ok("init");
        var unknown = await Minime("snapshot", "restore", "nope", "--yes");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Single(unknown.Error.Trim().Split('\n'));

        await Ok("snapshot", "create", "s");
        File.AppendAllText(Path.Combine(Home, "snapshots", "s", "identity.yaml"), "# tampered\n");
        var damaged = await Minime("snapshot", "restore", "s", "--yes");
        Assert.Equal(1, damaged.ExitCode);
        Assert.Contains("identity.yaml does not match its checksum", damaged.Error, StringComparison.Ordinal);
        Assert.Single(Directory.EnumerateDirectories(Path.Combine(Home, "snapshots")));
        var duplicate = await Minime("snapshot", "create", "s");
        Assert.Equal(2, duplicate.ExitCode);
        Assert.Contains("already exists", duplicate.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Restore_on_a_terminal_asks_first()
    {
        await Ok("init");
        await Ok("snapshot", "create", "empty");
        await Ok("remember", "uses Rider");

        var declined = await ScriptedConsole.RunAsync(ScriptedConsole.Type("n"), "snapshot", "restore", "empty", "--home", Home);
        Assert.Equal(0, declined.ExitCode);
        Assert.Contains("Nothing changed", declined.Out, StringComparison.Ordinal);
        Assert.Equal(["uses Rider"], await FactTexts());
        Assert.Single(Directory.EnumerateDirectories(Path.Combine(Home, "snapshots")));

        var confirmed = await ScriptedConsole.RunAsync(ScriptedConsole.Type("y"), "snapshot", "restore", "empty", "--home", Home);
        Assert.Equal(0, confirmed.ExitCode);
        Assert.Empty(await FactTexts());
    }

    [Fact]
    public async Task List_without_snapshots_says_how_to_take_one()
    {
        await Ok("init");
        Assert.Contains("minime snapshot create", (await Ok("snapshot", "list")).Out, StringComparison.Ordinal);
        Assert.Equal("[]", (await Ok("snapshot", "list", "--json")).Out.Trim());
    }
}
