using System.Diagnostics;
using Microsoft.Data.Sqlite;
using MiniMe.Tests.Support;

namespace MiniMe.Tests.Cli;

/// <summary>The CLI as a separate process: environment overrides and being killed mid-import.</summary>
[Trait("Category", "Integration")]
public sealed class ProcessTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    private string Home => _dir.Combine(".minime");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Environment_variables_override_config_with_double_underscore_nesting()
    {
        Assert.Equal(0, (await MinimeProcess.RunAsync(["init", "--home", Home])).ExitCode);
        var show = await MinimeProcess.RunAsync(["config", "show", "--home", Home], new Dictionary<string, string>
        {
            ["MINIME_LLM__PROVIDER"] = "ollama",
            ["MINIME_LLM__MODEL"] = "qwen-test",
            ["MINIME_RETRIEVAL__DEFAULTK"] = "3",
        });
        Assert.Equal(0, show.ExitCode);
        Assert.Contains("provider: ollama", show.Out, StringComparison.Ordinal);
        Assert.Contains("model: qwen-test", show.Out, StringComparison.Ordinal);
        Assert.Contains("defaultK: 3", show.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MINIME_HOME_chooses_the_workspace()
    {
        var env = new Dictionary<string, string> { ["MINIME_HOME"] = Home };
        Assert.Equal(0, (await MinimeProcess.RunAsync(["init"], env)).ExitCode);
        Assert.True(File.Exists(Path.Combine(Home, "config.yaml")));
        var path = await MinimeProcess.RunAsync(["config", "path"], env);
        Assert.Equal(Path.Combine(Home, "config.yaml"), path.Out.Trim());
    }

    [Fact]
    public async Task Killing_an_import_midway_leaves_a_consistent_database_and_the_next_import_finishes()
    {
        const int files = 8000;
        for (var i = 0; i < files; i++)
            _dir.Write($"corpus/d{i / 100:D2}/f{i:D4}.md", $"# Note {i}\n\n" + string.Join("\n\n", Enumerable.Range(0, 12).Select(p => $"note{i} part {p} about topic{i % 37} and more text on retries, caches, queues and schemas {p * i}")));
        Assert.Equal(0, (await MinimeProcess.RunAsync(["init", "--home", Home])).ExitCode);
        var database = Path.Combine(Home, "memory.db");

        // Text only: this is about the commits of an import; vectors are filled separately (BundledEmbeddingCliTests).
        using (var import = Process.Start(MinimeProcess.StartInfo(["import", _dir.Combine("corpus"), "--home", Home, "--no-vectors"]))!)
        {
            // Wait until at least one batch is committed, then kill without warning.
            var deadline = Stopwatch.StartNew();
            while (MemoryFile.CountDocuments(database) == 0 && !import.HasExited && deadline.Elapsed < TimeSpan.FromMinutes(2))
                await Task.Delay(5);
            Assert.False(import.HasExited, "the import finished before it could be killed; grow the corpus");
            import.Kill(entireProcessTree: true);
            await import.WaitForExitAsync();
        }

        var partial = MemoryFile.CountDocuments(database);
        Assert.InRange(partial, 1, files - 1);
        Assert.Equal("ok", MemoryFile.Scalar(database, "PRAGMA integrity_check"));
        // No document without its chunks, no chunk without its document, FTS in step with chunks.
        Assert.Equal(0L, MemoryFile.Scalar(database, "SELECT count(*) FROM documents d WHERE NOT EXISTS (SELECT 1 FROM chunks c WHERE c.document_id = d.id)"));
        Assert.Equal(MemoryFile.Scalar(database, "SELECT count(*) FROM chunks"), MemoryFile.Scalar(database, "SELECT count(*) FROM chunks_fts"));

        var resumed = await MinimeProcess.RunAsync(["import", _dir.Combine("corpus"), "--home", Home, "--no-vectors"]);
        Assert.Equal(0, resumed.ExitCode);
        Assert.Equal((long)files, MemoryFile.CountDocuments(database));
        var again = await MinimeProcess.RunAsync(["import", _dir.Combine("corpus"), "--home", Home, "--no-vectors"]);
        Assert.Contains("0 chunks added", again.Out, StringComparison.Ordinal);
    }
}
