using System.Text.Json.Nodes;
using MiniMe.Tools.Approval;
using MiniMe.Tools.Tests.Support;
using MiniMe.Tracing;

namespace MiniMe.Tools.Tests.Approval;

public sealed class FileToolTests
{
    [Fact]
    public async Task Write_file_inside_the_allowlist_creates_the_file_and_is_audited()
    {
        using var w = new ToolWorkspace();
        var outcome = await w.RunAsync("write_file", """{"path": "src/new/feature.cs", "content": "class Feature { }\n"}""");

        Assert.Equal(OutcomeStatus.Succeeded, outcome.Status);
        Assert.Equal("class Feature { }\n", File.ReadAllText(w.PathOf("src/new/feature.cs")));
        Assert.Contains("+class Feature { }", outcome.Preview!.Diff, StringComparison.Ordinal);
        Assert.StartsWith("--- /dev/null", outcome.Preview.Diff, StringComparison.Ordinal);
        var execution = Assert.Single(w.Events(TraceEventTypes.Execution));
        Assert.Equal(["src/new/feature.cs"], execution.Data["files_changed"]!.AsArray().Select(f => f!.GetValue<string>()));
        Assert.Empty(Directory.GetFiles(w.PathOf("src/new"), "*.tmp"));
    }

    [Fact]
    public async Task Write_file_replacing_a_file_shows_a_diff_and_keeps_its_permissions()
    {
        using var w = new ToolWorkspace();
        File.SetUnixFileMode(w.PathOf("src/app.cs"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var outcome = await w.RunAsync("write_file", """{"path": "src/app.cs", "content": "class App\n{\n    static void Main() { System.Console.WriteLine(); }\n}\n"}""");

        Assert.Equal(OutcomeStatus.Succeeded, outcome.Status);
        Assert.Contains("-    static void Main() { }\n+    static void Main() { System.Console.WriteLine(); }", outcome.Preview!.Diff, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(w.PathOf("src/app.cs")));
    }

    [Fact]
    public async Task Write_through_a_symlink_that_stays_inside_writes_the_real_file()
    {
        using var w = new ToolWorkspace();
        var outcome = await w.RunAsync("write_file", """{"path": "src/inside-link/util.cs", "content": "// via link\n"}""");
        Assert.Equal(OutcomeStatus.Succeeded, outcome.Status);
        Assert.Equal("// via link\n", File.ReadAllText(w.PathOf("src/lib/util.cs")));
    }

    [Fact]
    public async Task Apply_patch_changes_the_file()
    {
        using var w = new ToolWorkspace();
        var patch = "--- a/src/app.cs\n+++ b/src/app.cs\n@@ -1,4 +1,5 @@\n class App\n {\n+    // entry point\n     static void Main() { }\n }\n";
        var outcome = await w.RunAsync("apply_patch", new JsonObject { ["patch"] = patch });

        Assert.Equal(OutcomeStatus.Succeeded, outcome.Status);
        Assert.Equal("class App\n{\n    // entry point\n    static void Main() { }\n}\n", File.ReadAllText(w.PathOf("src/app.cs")));
        Assert.Equal(["src/app.cs"], outcome.Execution!.FilesChanged);
    }

    [Fact]
    public async Task Apply_patch_that_does_not_apply_fails_clearly_and_changes_nothing()
    {
        using var w = new ToolWorkspace();
        var before = w.Snapshot();
        var patch = "--- a/src/app.cs\n+++ b/src/app.cs\n@@ -1,2 +1,2 @@\n class App\n-{ // old\n+{ // new\n--- a/src/lib/util.cs\n+++ b/src/lib/util.cs\n@@ -1 +1 @@\n-static class Util { }\n+static class Util { static int X; }\n";
        var outcome = await w.RunAsync("apply_patch", new JsonObject { ["patch"] = patch });

        Assert.Equal(OutcomeStatus.Failed, outcome.Status);
        Assert.Contains("Hunk 1 of src/app.cs (@@ -1,2 +1,2 @@, patch line 3) does not apply: line 2 of the file is '{' but the hunk expects '{ // old'", outcome.Message, StringComparison.Ordinal);
        Assert.Equal(before, w.Snapshot());
    }

    [Fact]
    public async Task A_file_changed_after_it_was_shown_is_not_overwritten()
    {
        using var w = new ToolWorkspace();
        var gate = new CallbackGate(_ =>
        {
            w.Write("src/app.cs", "changed meanwhile\n");
            return new ApprovalDecision.Accept(Approvers.User);
        });
        var outcome = await w.RunAsync("write_file", """{"path": "src/app.cs", "content": "mine\n"}""", ApprovalMode.Interactive, gate);
        Assert.Equal(OutcomeStatus.Failed, outcome.Status);
        Assert.Contains("changed after the change was shown", outcome.Message, StringComparison.Ordinal);
        Assert.Equal("changed meanwhile\n", File.ReadAllText(w.PathOf("src/app.cs")));
    }

    [Fact]
    public async Task Read_file_returns_lines_and_needs_no_approval()
    {
        using var w = new ToolWorkspace();
        var gate = new CallbackGate(_ => throw new InvalidOperationException("read_file must not ask"));
        var outcome = await w.RunAsync("read_file", """{"path": "src/app.cs", "startLine": 2, "maxLines": 2}""", ApprovalMode.Interactive, gate);
        Assert.Equal(OutcomeStatus.Succeeded, outcome.Status);
        Assert.Equal("{\n    static void Main() { }\n", outcome.Execution!.Output["content"]!.GetValue<string>());
        Assert.Equal(4, outcome.Execution.Output["totalLines"]!.GetValue<int>());
        Assert.Equal("not_required", Assert.Single(w.Events(TraceEventTypes.Approval)).Data["decision"]!.GetValue<string>());
    }

    [Fact]
    public async Task Search_repo_finds_lines_but_never_secrets_links_or_the_minime_home()
    {
        using var w = new ToolWorkspace();
        w.Write("src/lib/more.cs", "// needle here\n");
        File.AppendAllText(w.PathOf(".env"), "needle=secret\n");
        File.AppendAllText(Path.Join(w.Outside, "target.txt"), "needle outside\n");
        File.AppendAllText(w.Home.ConfigPath, "# needle\n");
        var outcome = await w.RunAsync("search_repo", """{"query": "NEEDLE"}""");

        Assert.Equal(OutcomeStatus.Succeeded, outcome.Status);
        var matches = outcome.Execution!.Output["matches"]!.AsArray().Select(m => $"{m!["path"]}:{m["line"]}").ToList();
        Assert.Equal(["src/lib/more.cs:1"], matches);
    }

    [Fact]
    public async Task Schema_violations_are_invalid_not_executed()
    {
        using var w = new ToolWorkspace();
        Assert.Equal(OutcomeStatus.Invalid, (await w.RunAsync("write_file", """{"path": "src/x.cs"}""")).Status);
        Assert.Equal(OutcomeStatus.Invalid, (await w.RunAsync("write_file", """{"path": 3, "content": "x"}""")).Status);
        Assert.Equal(OutcomeStatus.Invalid, (await w.RunAsync("read_file", """{"path": "src/app.cs", "mode": "raw"}""")).Status);
        Assert.Equal(OutcomeStatus.Invalid, (await w.RunAsync("read_file", """{"path": "src/app.cs", "maxLines": 0}""")).Status);
        Assert.Equal(OutcomeStatus.Invalid, (await w.RunAsync("no_such_tool", "{}")).Status);
        Assert.False(File.Exists(w.PathOf("src/x.cs")));
    }
}

/// <summary>A gate whose answer the test decides.</summary>
internal sealed class CallbackGate(Func<ApprovalRequest, ApprovalDecision> decide) : IApprovalGate
{
    public List<ApprovalRequest> Requests { get; } = [];

    public Task<ApprovalDecision> DecideAsync(ApprovalRequest request, CancellationToken cancellationToken)
    {
        Requests.Add(request);
        return Task.FromResult(decide(request));
    }
}
