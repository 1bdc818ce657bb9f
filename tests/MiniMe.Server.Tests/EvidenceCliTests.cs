using System.Text.Json;
using MiniMe.Server.Tests.Support;

namespace MiniMe.Server.Tests;

/// <summary>`minime why` end to end over a real workspace: import, remember, a dry run, then the trees, the deletion and retraction reports.</summary>
public sealed class EvidenceCliTests : IDisposable
{
    private readonly string _home = Path.Combine(Path.GetTempPath(), "minime-server-tests", Guid.NewGuid().ToString("N"));
    private readonly string _trust = Directory.CreateTempSubdirectory("minime-evidence-trust-").FullName;
    private readonly string _notes = Directory.CreateTempSubdirectory("minime-evidence-notes-").FullName;

    private Task<(int Code, string Out, string Error)> RunAsync(params string[] args) => CliRun.RunAsync(_home, Path.Combine(_trust, "trust.json"), args);

    private async Task<JsonElement> JsonAsync(params string[] args)
    {
        var run = await RunAsync([.. args, "--json"]);
        Assert.True(run.Code == 0, $"{string.Join(' ', args)}: {run.Code} {run.Error}");
        return JsonDocument.Parse(run.Out).RootElement;
    }

    private static IEnumerable<JsonElement> Walk(JsonElement nodes) =>
        nodes.EnumerateArray().SelectMany(n => new[] { n }.Concat(Walk(n.GetProperty("children"))));

    /// <summary>Imports a note, remembers a fact, plans over the note (a dry run), and returns the note's path and the run id.</summary>
    private async Task<(string Note, string Run)> PrepareAsync()
    {
        Assert.Equal(0, (await RunAsync("init", "--name", "nima")).Code);
        var notes = _notes;
        var note = Path.Combine(notes, "retry.md");
        await File.WriteAllTextAsync(note, "# Retry policy\n\nThe HTTP client retries with exponential backoff and jitter, at most five times.\n");
        var imported = await RunAsync("import", notes);
        Assert.True(imported.Code == 0, imported.Error);
        Assert.Equal(0, (await RunAsync("remember", "I prefer exponential backoff for retries", "--category", "preference")).Code);
        var ask = await RunAsync("ask", "--dry-run", "plan the retry policy with exponential backoff");
        Assert.True(ask.Code == 0, ask.Error);
        var run = (await JsonAsync("runs"))[0].GetProperty("run_id").GetString()!;
        return (note, run);
    }

    [Fact]
    public async Task Why_a_run_shows_the_chunks_and_facts_it_used_and_where_they_came_from()
    {
        var (note, run) = await PrepareAsync();

        var tree = await JsonAsync("why", run);
        Assert.Equal($"run:{run}", tree.GetProperty("node").GetString());
        var origins = tree.GetProperty("origins").EnumerateArray().ToList();
        var chunk = Assert.Single(origins, o => o.GetProperty("kind").GetString() == "chunk");
        Assert.Equal(("used_in", "used"), (chunk.GetProperty("relation").GetString(), chunk.GetProperty("phrase").GetString()));
        var document = Assert.Single(chunk.GetProperty("children").EnumerateArray());
        Assert.Equal(("doc", note), (document.GetProperty("kind").GetString(), document.GetProperty("label").GetString()));
        var fact = Assert.Single(origins, o => o.GetProperty("kind").GetString() == "fact");
        Assert.Equal("I prefer exponential backoff for retries", fact.GetProperty("label").GetString());
        Assert.Equal("user:nima", Assert.Single(fact.GetProperty("children").EnumerateArray()).GetProperty("node").GetString());

        // The same run from the chunk's side, by its typed id; and the tree as text.
        var chunkId = chunk.GetProperty("node").GetString()!;
        var fromChunk = await JsonAsync("why", chunkId, "--depth", "1");
        Assert.Equal($"run:{run}", Assert.Single(fromChunk.GetProperty("uses").EnumerateArray()).GetProperty("node").GetString());
        var text = await RunAsync("why", chunkId);
        Assert.Equal(0, text.Code);
        Assert.Contains("came from", text.Out, StringComparison.Ordinal);
        Assert.Contains($"derived from {document.GetProperty("node").GetString()} {note}", text.Out, StringComparison.Ordinal);
        Assert.Contains($"used in run:{run}", text.Out, StringComparison.Ordinal);

        // A fact by the bare id `minime facts` prints.
        var factTree = await JsonAsync("why", "#" + fact.GetProperty("id").GetString());
        Assert.Contains(Walk(factTree.GetProperty("uses")), u => u.GetProperty("node").GetString() == $"run:{run}");
    }

    [Theory]
    [InlineData("fact:abc", 2, "'fact:abc' is not an evidence id (a fact id is a positive number)")]
    [InlineData("run:../../etc/passwd", 2, "is not an evidence id (a run id is 1 to 64 letters")]
    [InlineData("bogus:3", 2, "'bogus' is not a kind")]
    [InlineData("fact:999", 1, "no fact #999 and no evidence recorded for it")]
    [InlineData("run:20200101-000000-abcdef", 1, "no evidence recorded for run:20200101-000000-abcdef")]
    public async Task Hostile_and_unknown_ids_get_one_line_and_an_exit_code(string id, int code, string message)
    {
        Assert.Equal(0, (await RunAsync("init", "--name", "nima")).Code);
        var why = await RunAsync("why", id);
        Assert.Equal(code, why.Code);
        Assert.Contains(message, why.Error, StringComparison.Ordinal);
        Assert.Single(why.Error.Trim().Split('\n'));
        var depth = await RunAsync("why", "fact:1", "--depth", "11");
        Assert.Equal(2, depth.Code);
        Assert.Contains("--depth must be between 1 and 10", depth.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Removing_a_document_says_which_runs_used_it_and_forgetting_a_fact_which_runs_used_that()
    {
        var (note, run) = await PrepareAsync();
        var fact = JsonDocument.Parse((await RunAsync("facts", "list", "--json")).Out).RootElement[0].GetProperty("id").GetInt64();

        var forgot = await RunAsync("facts", "forget", fact.ToString(System.Globalization.CultureInfo.InvariantCulture), "--yes");
        Assert.True(forgot.Code == 0, forgot.Error);
        Assert.Contains($"1 run used this fact (run:{run}); see `minime why fact:{fact}`.", forgot.Out, StringComparison.Ordinal);
        // Retracted, the fact keeps its evidence.
        Assert.Contains(Walk((await JsonAsync("why", $"fact:{fact}")).GetProperty("uses")), u => u.GetProperty("node").GetString() == $"run:{run}");

        var removed = await JsonAsync("documents", "remove", note);
        var evidence = removed.GetProperty("evidence");
        Assert.Equal(1, evidence.GetProperty("dependents").GetInt32());
        Assert.Equal(1, evidence.GetProperty("by_kind").GetProperty("run").GetInt32());
        Assert.Equal([$"run:{run}"], evidence.GetProperty("nodes").EnumerateArray().Select(n => n.GetString()));

        // The removed chunk's links went with it: the run now shows only the fact it used.
        var after = await JsonAsync("why", run);
        Assert.Equal([$"fact:{fact}"], after.GetProperty("origins").EnumerateArray().Select(o => o.GetProperty("node").GetString()));
    }

    public void Dispose()
    {
        foreach (var dir in new[] { _home, _trust, _notes })
        {
            try
            {
                if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a leftover temp folder must not fail a test.
            }
        }
    }
}
