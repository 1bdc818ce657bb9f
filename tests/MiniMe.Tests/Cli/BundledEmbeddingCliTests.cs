using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using MiniMe.Tests.Support;

namespace MiniMe.Tests.Cli;

/// <summary>
/// The embedded default as a new user meets it: `init`, `import`, `search` with no configuration use
/// the bundled all-MiniLM-L6-v2 model (written from the package into the model cache, never
/// downloaded); vectors fill in after the text is committed, resumably; a model switch never
/// compares a query with another model's vectors.
/// </summary>
[Collection("bundled model")]
public sealed class BundledEmbeddingCliTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    private string Home => _temp.Combine("home");

    public void Dispose() => _temp.Dispose();

    private Task<CliResult> Minime(params string[] args) => CliRunner.RunAsync(["--home", Home, .. args]);

    private string WriteNotes()
    {
        _temp.Write("notes/retries.md", "# Busy servers\n\nWhen the upstream answers that it is overloaded, the client waits and tries again, doubling the pause every time, up to five attempts.\n");
        _temp.Write("notes/garden.md", "# Garden\n\nTomatoes want full sun, deep watering twice a week and a stake once they flower.\n");
        _temp.Write("notes/release.md", "# Releases\n\nA release is tagged on main after the changelog is written and the version number is bumped.\n");
        return _temp.Combine("notes");
    }

    private static JsonArray Json(CliResult result) => JsonNode.Parse(result.Out)!.AsArray();

    [Fact]
    public async Task A_fresh_workspace_searches_by_meaning_with_the_bundled_model_and_no_configuration()
    {
        Assert.Equal(0, (await Minime("init", "--name", "Ada")).ExitCode);
        Assert.Contains("model: minilm", File.ReadAllText(Path.Combine(Home, "config.yaml")), StringComparison.Ordinal);

        var import = await Minime("import", WriteNotes());
        Assert.Equal(0, import.ExitCode);
        Assert.Matches(@"Embedded 3 chunk texts with minilm-[0-9a-f]{12}-mean", import.Out);

        // No word of this query is in the right note (lexical finds nothing there); only meaning connects them.
        var search = await Minime("search", "exponential backoff on overload", "--json");
        Assert.Equal(0, search.ExitCode);
        var top = Json(search)[0]!;
        Assert.EndsWith("retries.md", top["source"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.NotNull(top["cosine"]);

        var status = await Minime("index", "status");
        Assert.Contains("every chunk text has a vector", status.Out, StringComparison.Ordinal);
        Assert.Contains("minilm (bundled", status.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Import_commits_text_first_and_index_fill_adds_the_vectors_later()
    {
        Assert.Equal(0, (await Minime("init")).ExitCode);
        var import = await Minime("import", WriteNotes(), "--no-vectors");
        Assert.Equal(0, import.ExitCode);
        Assert.Contains("3 chunk texts await vectors", import.Out, StringComparison.Ordinal);

        // Lexical search works at once; no vector exists yet.
        var lexical = Json(await Minime("search", "tomatoes", "--json"));
        Assert.EndsWith("garden.md", lexical[0]!["source"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null(lexical[0]!["cosine"]);
        Assert.Contains("3 chunk texts lack vectors", (await Minime("index", "status")).Out, StringComparison.Ordinal);

        var fill = await Minime("index", "fill");
        Assert.Equal(0, fill.ExitCode);
        Assert.Contains("Embedded 3 chunk texts", fill.Out, StringComparison.Ordinal);
        Assert.Contains("every chunk text has a vector", (await Minime("index", "fill")).Out, StringComparison.Ordinal);
        Assert.NotNull(Json(await Minime("search", "tomatoes", "--json"))[0]!["cosine"]);
    }

    [Fact]
    public async Task Switching_models_never_compares_a_query_with_the_other_models_vectors()
    {
        Assert.Equal(0, (await Minime("init")).ExitCode);
        Assert.Equal(0, (await Minime("import", WriteNotes())).ExitCode);
        var config = Path.Combine(Home, "config.yaml");
        File.WriteAllText(config, File.ReadAllText(config).Replace("model: minilm ", "model: arctic-xs", StringComparison.Ordinal));

        // Until arctic-xs has vectors, search is lexical: no cosine from MiniLM's vectors.
        var status = await Minime("index", "status");
        Assert.Matches(@"arctic-xs-[0-9a-f]{12}-cls\S*: 3 chunk texts lack vectors", status.Out);
        var before = Json(await Minime("search", "tomatoes", "--json"));
        Assert.All(before, hit => Assert.Null(hit!["cosine"]));

        var fill = await Minime("index", "fill");
        Assert.Matches(@"Embedded 3 chunk texts with arctic-xs-", fill.Out);
        var after = Json(await Minime("search", "exponential backoff on overload", "--json"));
        Assert.EndsWith("retries.md", after[0]!["source"]!.GetValue<string>(), StringComparison.Ordinal);

        // Both models' vectors are kept, each under its own identity; switching back re-embeds nothing.
        using (var connection = new SqliteConnection($"Data Source={Path.Combine(Home, "memory.db")};Mode=ReadOnly;Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT model, count(*) FROM embeddings GROUP BY model ORDER BY model";
            using var reader = command.ExecuteReader();
            var models = new List<(string, long)>();
            while (reader.Read()) models.Add((reader.GetString(0), reader.GetInt64(1)));
            Assert.Collection(models,
                m => { Assert.StartsWith("arctic-xs-", m.Item1, StringComparison.Ordinal); Assert.Equal(3, m.Item2); },
                m => { Assert.StartsWith("minilm-", m.Item1, StringComparison.Ordinal); Assert.Equal(3, m.Item2); });
        }
        File.WriteAllText(config, File.ReadAllText(config).Replace("model: arctic-xs", "model: minilm ", StringComparison.Ordinal));
        Assert.Contains("every chunk text has a vector", (await Minime("index", "status")).Out, StringComparison.Ordinal);
    }

    /// <summary>Enough distinct short chunks that a fill takes several pages; returns how many texts await a vector.</summary>
    private async Task<long> ImportManyWithoutVectorsAsync()
    {
        Assert.Equal(0, (await Minime("init")).ExitCode);
        var config = Path.Combine(Home, "config.yaml");
        File.WriteAllText(config, Regex.Replace(Regex.Replace(File.ReadAllText(config), @"chunkChars: \d+", "chunkChars: 200"), @"overlapChars: \d+", "overlapChars: 0"));
        for (var f = 0; f < 20; f++)
            _temp.Write($"many/note{f:00}.md", string.Join("\n\n", Enumerable.Range(0, 120).Select(p => $"Note {f} paragraph {p}: the {Words[(f * 7 + p) % Words.Length]} of item {f * 1000 + p} is recorded here.")));
        Assert.Equal(0, (await Minime("import", _temp.Combine("many"), "--no-vectors")).ExitCode);
        var total = Pending();
        Assert.True(total > 2 * 256, $"only {total} texts to embed");
        return total;
    }

    [Fact]
    public async Task A_vector_fill_killed_half_way_keeps_what_it_committed_and_the_next_fill_finishes()
    {
        var total = await ImportManyWithoutVectorsAsync();
        using var process = Process.Start(MinimeProcess.StartInfo(["--home", Home, "index", "fill"]))!;
        process.StandardInput.Close();
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (Vectors() == 0 && !process.HasExited && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.False(process.HasExited, "the fill finished before it could be killed");
        process.Kill();   // SIGKILL: no chance to clean up
        await process.WaitForExitAsync();

        var kept = Vectors();
        Assert.True(kept > 0 && kept < total, $"{kept} of {total} vectors after the kill");
        Assert.Equal(total - kept, Pending());

        var again = await Minime("index", "fill");
        Assert.Equal(0, again.ExitCode);
        Assert.Contains($"Embedded {total - kept:N0} chunk texts", again.Out, StringComparison.Ordinal);
        Assert.Equal(0, Pending());
        Assert.Equal(total, Vectors());
    }

    [Fact]
    public async Task Ctrl_C_during_a_vector_fill_exits_130_says_what_is_left_and_keeps_the_committed_pages()
    {
        var total = await ImportManyWithoutVectorsAsync();
        await using (var fill = RunningMinime.Start(["--home", Home, "index", "fill"]))
        {
            await fill.WaitUntilAsync(() => Vectors() > 0, "the first committed page");
            await fill.SignalAsync("INT");
            var exit = await fill.WaitForExitAsync();
            Assert.True(exit == 130, $"exit {exit}\nstderr:\n{fill.Error}");
            Assert.Matches(@"stopped embedding: [\d,]+ chunk texts still lack vectors", fill.Error);
        }
        var kept = Vectors();
        Assert.InRange(kept, 1, total - 1);
        Assert.Equal(total - kept, Pending());
    }

    private static readonly string[] Words = ["colour", "weight", "price", "owner", "location", "size", "age", "status", "origin", "purpose", "shape"];

    private long Pending() => Scalar("SELECT count(DISTINCT content_hash) FROM chunks WHERE content_hash NOT IN (SELECT content_hash FROM embeddings)");

    private long Vectors() => Scalar("SELECT count(*) FROM embeddings");

    private long Scalar(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(Home, "memory.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
