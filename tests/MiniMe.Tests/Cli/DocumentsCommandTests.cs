using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MiniMe.Tests.Support;

namespace MiniMe.Tests.Cli;

/// <summary>`minime documents list/remove` and pruning on re-import, through the real CLI in-process.</summary>
public sealed class DocumentsCommandTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    private string Home => _dir.Combine(".minime");

    private string Database => Path.Combine(Home, "memory.db");

    public void Dispose() => _dir.Dispose();

    private Task<CliResult> Minime(params string[] args) => CliRunner.RunAsync([.. args, "--home", Home]);

    private static string Flat(string output) => Regex.Replace(output, @"\s+", " ");

    private async Task InitAndImportAsync()
    {
        Assert.Equal(0, (await Minime("init", "--name", "Ada")).ExitCode);
        _dir.Write("notes/retry.md", "# Retries\n\nUse exponential backoff with jitter for HTTP retries.\n\n## Limits\n\nCap attempts at five.");
        _dir.Write("notes/db.md", "# Database\n\nPrefer migrations that are backward compatible.");
        _dir.Write("notes/deep/zeppelin.md", "The zeppelin service is retired.");
        _dir.Write("other/x.md", "Something else entirely.");
        Assert.Equal(0, (await Minime("import", _dir.Combine("notes"), "--tags", "team,notes")).ExitCode);
        Assert.Equal(0, (await Minime("import", _dir.Combine("other"), "--domain", "ops")).ExitCode);
    }

    private async Task<JsonObject> ListJson(params string[] path)
    {
        var result = await Minime(["documents", "list", .. path, "--json"]);
        Assert.Equal(0, result.ExitCode);
        return JsonNode.Parse(result.Out)!.AsObject();
    }

    [Fact]
    public async Task Documents_list_json_has_every_document_with_its_fields_and_totals()
    {
        await InitAndImportAsync();
        var json = await ListJson();

        var documents = json["documents"]!.AsArray();
        Assert.Equal(
            [_dir.Combine("notes/db.md"), _dir.Combine("notes/deep/zeppelin.md"), _dir.Combine("notes/retry.md"), _dir.Combine("other/x.md")],
            documents.Select(d => d!["source"]!.GetValue<string>()));
        var retry = documents[2]!.AsObject();
        Assert.True(retry["chunks"]!.GetValue<int>() >= 1);
        Assert.Equal(new FileInfo(_dir.Combine("notes/retry.md")).Length, retry["size_bytes"]!.GetValue<long>());
        Assert.Equal(["team", "notes"], retry["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.False(string.IsNullOrEmpty(retry["domain"]!.GetValue<string>()));
        Assert.True(DateTimeOffset.TryParse(retry["imported_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture, out _));
        Assert.Equal("ops", documents[3]!["domain"]!.GetValue<string>());
        var total = json["total"]!.AsObject();
        Assert.Equal(4, total["documents"]!.GetValue<int>());
        Assert.Equal(documents.Sum(d => d!["chunks"]!.GetValue<long>()), total["chunks"]!.GetValue<long>());
        Assert.Equal(documents.Sum(d => d!["size_bytes"]!.GetValue<long>()), total["size_bytes"]!.GetValue<long>());
    }

    [Fact]
    public async Task Documents_list_filters_by_a_folder_or_a_file_and_prints_a_table_with_totals()
    {
        await InitAndImportAsync();
        Assert.Equal(3, (await ListJson(_dir.Combine("notes")))["total"]!["documents"]!.GetValue<int>());
        Assert.Equal(3, (await ListJson(_dir.Combine("notes") + "/"))["total"]!["documents"]!.GetValue<int>());
        Assert.Equal(1, (await ListJson(_dir.Combine("notes/db.md")))["total"]!["documents"]!.GetValue<int>());
        // A folder is a folder: "not" is no prefix of "notes/".
        Assert.Equal(0, (await ListJson(_dir.Combine("not")))["total"]!["documents"]!.GetValue<int>());

        var table = await Minime("documents", "list", _dir.Combine("notes"));
        Assert.Equal(0, table.ExitCode);
        Assert.Contains("zeppelin.md", table.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("x.md", table.Out, StringComparison.Ordinal);
        Assert.Contains("3 documents,", Flat(table.Out), StringComparison.Ordinal);
        Assert.Contains("team, notes", table.Out, StringComparison.Ordinal);
        Assert.Equal(0, (await Minime("documents")).ExitCode);
    }

    [Fact]
    public async Task Documents_remove_takes_a_file_or_a_folder_out_of_memory_and_never_touches_the_files()
    {
        await InitAndImportAsync();
        var file = await Minime("documents", "remove", _dir.Combine("notes/db.md"));
        Assert.Equal(0, file.ExitCode);
        Assert.Contains("Removed 1 document", Flat(file.Out), StringComparison.Ordinal);
        Assert.True(File.Exists(_dir.Combine("notes/db.md")));

        var folder = await Minime("documents", "remove", _dir.Combine("notes"), "--json");
        Assert.Equal(0, folder.ExitCode);
        var json = JsonNode.Parse(folder.Out)!.AsObject();
        Assert.Equal([_dir.Combine("notes/deep/zeppelin.md"), _dir.Combine("notes/retry.md")], json["removed"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.Equal(2, json["documents"]!.GetValue<int>());
        Assert.True(json["chunks"]!.GetValue<int>() >= 2);
        Assert.True(File.Exists(_dir.Combine("notes/retry.md")));

        Assert.Equal([_dir.Combine("other/x.md")], (await ListJson())["documents"]!.AsArray().Select(d => d!["source"]!.GetValue<string>()));
        var search = await Minime("search", "zeppelin", "--json");
        Assert.Empty(JsonNode.Parse(search.Out)!.AsArray());
        Assert.Equal(1L, MemoryFile.CountDocuments(Database));
    }

    [Fact]
    public async Task Documents_remove_of_an_unknown_path_fails_with_one_line_and_removes_nothing()
    {
        await InitAndImportAsync();
        var result = await Minime("documents", "remove", _dir.Combine("notes/db.md"), _dir.Combine("nowhere"));

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: nothing in memory at " + _dir.Combine("nowhere"), line, StringComparison.Ordinal);
        Assert.Equal(4L, MemoryFile.CountDocuments(Database));
        Assert.Equal(2, (await Minime("documents", "remove")).ExitCode);   // PATH is required: usage
    }

    [Fact]
    public async Task Import_reports_the_documents_it_removed_because_their_files_are_gone()
    {
        await InitAndImportAsync();
        File.Delete(_dir.Combine("notes/db.md"));
        Directory.Delete(_dir.Combine("notes/deep"), recursive: true);

        var result = await Minime("import", _dir.Combine("notes"));

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("removed 2 documents whose files are gone", Flat(result.Out), StringComparison.Ordinal);
        var verbose = await Minime("import", _dir.Combine("notes"), "--verbose");
        Assert.DoesNotContain("whose files are gone", verbose.Out, StringComparison.Ordinal);   // nothing left to prune
        Assert.Equal(2L, MemoryFile.CountDocuments(Database));
        var search = await Minime("search", "zeppelin", "--json");
        Assert.Empty(JsonNode.Parse(search.Out)!.AsArray());
    }
}
