using System.Text.Json.Nodes;
using MiniMe.Actions;
using MiniMe.Cli;
using MiniMe.Cli.Hosting;
using MiniMe.Tools.Approval;
using MiniMe.Tools.Tests.Support;

namespace MiniMe.Tools.Tests.Cli;

/// <summary>Files an approved tool action writes or deletes are re-indexed in memory (the UserSpace hook), end to end through `minime tool run`.</summary>
public sealed class ToolReindexTests : IDisposable
{
    private readonly string _project = Directory.CreateTempSubdirectory("minime-reindex-").FullName;
    private readonly string _trust = Directory.CreateTempSubdirectory("minime-reindex-trust-").FullName;

    private string Home => Path.Join(_project, ".minime");

    public ToolReindexTests()
    {
        Directory.CreateDirectory(Path.Join(_project, "src"));
        File.WriteAllText(Path.Join(_project, "src", "app.cs"), "class App { /* the albatross */ }\n");
        File.WriteAllText(Path.Join(_project, "src", "notes.md"), "Notes about the build.\n");
        Directory.CreateDirectory(Path.Join(_project, "docs"));
        File.WriteAllText(Path.Join(_project, "docs", "old.md"), "Docs.\n");
        Assert.Equal(0, Run("init", "--name", "tester").Code);
        Assert.Equal(0, Run("import", Path.Join(_project, "src")).Code);
    }

    public void Dispose()
    {
        Directory.Delete(_project, recursive: true);
        Directory.Delete(_trust, recursive: true);
    }

    private sealed record Result(int Code, string Out, string Error);

    private Result Run(params string[] args)
    {
        var console = new CapturedConsole();
        var error = new StringWriter();
        var context = new CliContext(console.Console, error, interactive: false, new StringReader(""), inputInteractive: false, trustFile: Path.Join(_trust, "trust.json"));
        var code = CliApp.RunAsync([.. args, "--home", Home], context).GetAwaiter().GetResult();
        return new Result(code, console.Text, error.ToString());
    }

    private List<string> Search(string word)
    {
        var result = Run("search", word, "--json");
        Assert.Equal(0, result.Code);
        return JsonNode.Parse(result.Out)!.AsArray().Select(h => h!["source"]!.GetValue<string>()).ToList();
    }

    private string At(string relative) => Path.GetFullPath(Path.Join(_project, relative));

    [Fact]
    public void An_approved_write_to_a_stored_file_is_searchable_by_its_new_text()
    {
        Assert.Equal([At("src/app.cs")], Search("albatross"));

        var result = Run("tool", "run", "write_file", "--args", """{"path": "src/app.cs", "content": "class App { /* the flamingo */ }\n"}""", "--yes");

        Assert.Equal(0, result.Code);
        Assert.Equal([At("src/app.cs")], Search("flamingo"));
        Assert.Empty(Search("albatross"));
    }

    [Fact]
    public void A_new_file_in_an_imported_folder_is_indexed_and_one_elsewhere_is_not()
    {
        Assert.Equal(0, Run("tool", "run", "write_file", "--args", """{"path": "src/added.md", "content": "The pangolin design.\n"}""", "--yes").Code);
        Assert.Equal(0, Run("tool", "run", "write_file", "--args", """{"path": "docs/new.md", "content": "The okapi design.\n"}""", "--yes").Code);

        Assert.Equal([At("src/added.md")], Search("pangolin"));
        Assert.Empty(Search("okapi"));   // docs/ was never imported
    }

    [Fact]
    public void A_file_an_approved_patch_deletes_leaves_memory()
    {
        var patch = "--- a/src/app.cs\n+++ /dev/null\n@@ -1 +0,0 @@\n-class App { /* the albatross */ }\n";
        var result = Run("tool", "run", "apply_patch", "--args", new JsonObject { ["patch"] = patch }.ToJsonString(), "--yes");

        Assert.Equal(0, result.Code);
        Assert.False(File.Exists(At("src/app.cs")));
        Assert.Empty(Search("albatross"));
        var list = JsonNode.Parse(Run("documents", "list", "--json").Out)!["documents"]!.AsArray();
        Assert.Equal([At("src/notes.md")], list.Select(d => d!["source"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_failing_reindex_never_fails_the_action_and_is_a_warning()
    {
        using var w = new ToolWorkspace();
        var host = ToolHost.Create(w.Home, w.Options, retriever: null, w.Traces, w.Trust, new FailingObserver());

        var outcome = await host.Runner.RunAsync(new ActionProposal("p1", "write_file", (JsonObject)JsonNode.Parse("""{"path": "src/app.cs", "content": "changed\n"}""")!, "test"),
            ApprovalMode.Yes, new NonInteractiveGate(), new SilentPresenter(), w.RunId, CancellationToken.None);

        Assert.Equal(OutcomeStatus.Succeeded, outcome.Status);
        Assert.Equal("changed\n", File.ReadAllText(w.PathOf("src/app.cs")));
        Assert.Contains(outcome.Execution!.Warnings!, warning => warning.Contains("memory not updated for src/app.cs: the store is locked", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_observer_is_told_the_full_paths_an_approved_action_changed()
    {
        using var w = new ToolWorkspace();
        var observer = new RecordingObserver();
        var host = ToolHost.Create(w.Home, w.Options, retriever: null, w.Traces, w.Trust, observer);

        await host.Runner.RunAsync(new ActionProposal("p1", "write_file", (JsonObject)JsonNode.Parse("""{"path": "src/app.cs", "content": "changed\n"}""")!, "test"),
            ApprovalMode.Yes, new NonInteractiveGate(), new SilentPresenter(), w.RunId, CancellationToken.None);
        await host.Runner.RunAsync(new ActionProposal("p2", "write_file", (JsonObject)JsonNode.Parse("""{"path": "src/app.cs", "content": "changed\n"}""")!, "test"),
            ApprovalMode.DryRun, new NonInteractiveGate(), new SilentPresenter(), w.RunId, CancellationToken.None);

        var (root, paths) = Assert.Single(observer.Calls);   // the dry run changed nothing and told nothing
        Assert.Equal(host.Root, root);
        Assert.Equal([Path.GetFullPath(Path.Join(host.Root, "src/app.cs"))], paths);
    }

    private sealed class FailingObserver : IWorkspaceChangeObserver
    {
        public Task FilesChangedAsync(string root, IReadOnlyList<string> paths, CancellationToken cancellationToken) =>
            throw new IOException("the store is locked");
    }

    private sealed class RecordingObserver : IWorkspaceChangeObserver
    {
        public List<(string Root, IReadOnlyList<string> Paths)> Calls { get; } = [];

        public Task FilesChangedAsync(string root, IReadOnlyList<string> paths, CancellationToken cancellationToken)
        {
            Calls.Add((root, paths));
            return Task.CompletedTask;
        }
    }
}
