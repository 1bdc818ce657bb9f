using MiniMe.Configuration;
using MiniMe.Hosting;
using MiniMe.Storage.Sqlite;
using MiniMe.Tests.Support;

namespace MiniMe.Tests.Cli;

/// <summary>
/// memory.lexical: a one-shot `minime search` answers from FTS5 without opening (or creating) the Lucene
/// folder, unless the user asks for lucene; long-running hosts (serve, eval) take Lucene under auto.
/// </summary>
public sealed class LexicalEngineChoiceTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    private string Home => _dir.Combine(".minime");

    private string LexicalFolder => Path.Combine(Home, "memory.db.lexical");

    public void Dispose() => _dir.Dispose();

    private Task<CliResult> Minime(params string[] args) => CliRunner.RunAsync([.. args, "--home", Home]);

    private async Task InitAndImportAsync(string? lexical)
    {
        Assert.Equal(0, (await Minime("init", "--name", "Ada")).ExitCode);
        var config = Path.Combine(Home, "config.yaml");
        var text = File.ReadAllText(config).Replace("model: minilm", "model: none", StringComparison.Ordinal);
        if (lexical is not null) text = text.Replace("lexical: auto ", $"lexical: {lexical} ", StringComparison.Ordinal);
        File.WriteAllText(config, text);
        _dir.Write("notes/retry.md", "# Retries\n\nUse exponential backoff with jitter for HTTP retries.");
        _dir.Write("notes/db.md", "# Database\n\nPrefer migrations that are backward compatible.");
        Assert.Equal(0, (await Minime("import", _dir.Combine("notes"))).ExitCode);
    }

    [Fact]
    public async Task A_one_shot_search_under_auto_answers_from_fts5_and_creates_no_lucene_folder()
    {
        await InitAndImportAsync(lexical: null);

        var search = await Minime("search", "backoff jitter");

        Assert.Equal(0, search.ExitCode);
        Assert.Contains("retry.md", search.Out, StringComparison.Ordinal);
        Assert.False(Directory.Exists(LexicalFolder), "a one-shot command opened the Lucene index");
    }

    [Fact]
    public async Task Lexical_lucene_makes_a_one_shot_search_use_the_lucene_folder_with_the_same_answer()
    {
        await InitAndImportAsync(lexical: "lucene");

        var search = await Minime("search", "backoff jitter");

        Assert.Equal(0, search.ExitCode);
        Assert.Contains("retry.md", search.Out, StringComparison.Ordinal);
        Assert.True(Directory.Exists(LexicalFolder), "memory.lexical lucene did not build memory.db.lexical");
    }

    [Theory]
    [InlineData(LexicalEngineKind.Auto, false, SqliteLexicalEngine.Fts5)]
    [InlineData(LexicalEngineKind.Auto, true, SqliteLexicalEngine.Lucene)]
    [InlineData(LexicalEngineKind.Lucene, false, SqliteLexicalEngine.Lucene)]
    [InlineData(LexicalEngineKind.Fts5, true, SqliteLexicalEngine.Fts5)]
    public void Auto_means_lucene_only_for_long_running_hosts(LexicalEngineKind kind, bool longRunning, SqliteLexicalEngine expected) =>
        Assert.Equal(expected, MemoryStoreFactory.LexicalEngine(kind, longRunning));
}
