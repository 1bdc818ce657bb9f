using System.Text.Json.Nodes;
using MiniMe.Tools.Approval;
using MiniMe.Tools.Tests.Support;
using MiniMe.Tracing;

namespace MiniMe.Tools.Tests.Paths;

/// <summary>A second name of a secret or of a file outside the root, made inside the root with link(2).</summary>
public sealed class HardLinkTests : IDisposable
{
    private readonly ToolWorkspace _w = new();

    public HardLinkTests()
    {
        LinuxFiles.HardLink(_w.PathOf(".env"), _w.PathOf("src/env-copy.txt"));
        LinuxFiles.HardLink(Path.Join(_w.Outside, "target.txt"), _w.PathOf("src/outside-copy.txt"));
    }

    public void Dispose() => _w.Dispose();

    [Theory]
    [InlineData("src/env-copy.txt")]
    [InlineData("src/outside-copy.txt")]
    public async Task Read_file_refuses_a_hard_link_and_says_why(string path)
    {
        var outcome = await _w.RunAsync("read_file", new JsonObject { ["path"] = path });

        Assert.Equal(OutcomeStatus.Refused, outcome.Status);
        Assert.Equal($"refused: '{path}' has 2 hard links; tools refuse files with more than one name, since another name may be a secret or outside the tools root.", outcome.Message);
        Assert.Null(outcome.Execution);
        Assert.Empty(_w.Events(TraceEventTypes.Approval));   // refused before it was run, as the allowlist refuses
    }

    [Fact]
    public async Task Search_repo_skips_hard_linked_files_and_counts_them()
    {
        _w.Write("src/lib/plain.cs", "// outside API_KEY mentioned here\n");
        var outcome = await _w.RunAsync("search_repo", """{"query": "API_KEY|outside", "regex": true}""");

        Assert.Equal(OutcomeStatus.Succeeded, outcome.Status);
        var output = outcome.Execution!.Output;
        Assert.Equal(["src/lib/plain.cs:1"], output["matches"]!.AsArray().Select(m => $"{m!["path"]}:{m["line"]}"));
        Assert.Equal(2, output["skippedHardLinked"]!.GetValue<int>());
        Assert.Contains("skipped 2 hard-linked files", outcome.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("src/env-copy.txt")]
    [InlineData("src/outside-copy.txt")]
    public async Task Write_file_refuses_to_write_through_a_hard_link(string path)
    {
        var before = _w.Snapshot();
        var outcome = await _w.RunAsync("write_file", new JsonObject { ["path"] = path, ["content"] = "pwned\n" });

        Assert.Equal(OutcomeStatus.Refused, outcome.Status);
        Assert.Contains("has 2 hard links", outcome.Message, StringComparison.Ordinal);
        Assert.Equal(before, _w.Snapshot());
        Assert.Equal("API_KEY=not-a-real-key\n", File.ReadAllText(_w.PathOf(".env")));
        Assert.Equal("outside\n", File.ReadAllText(Path.Join(_w.Outside, "target.txt")));
    }

    [Fact]
    public async Task Apply_patch_refuses_to_patch_through_a_hard_link()
    {
        var before = _w.Snapshot();
        var patch = "--- a/src/outside-copy.txt\n+++ b/src/outside-copy.txt\n@@ -1 +1 @@\n-outside\n+pwned\n";
        var outcome = await _w.RunAsync("apply_patch", new JsonObject { ["patch"] = patch });

        Assert.Equal(OutcomeStatus.Refused, outcome.Status);
        Assert.Contains("'src/outside-copy.txt' has 2 hard links", outcome.Message, StringComparison.Ordinal);
        Assert.Equal(before, _w.Snapshot());
    }

    [Fact]
    public async Task A_hard_link_made_after_the_diff_was_shown_is_not_written_through()
    {
        var gate = new Approval.CallbackGate(_ =>
        {
            File.WriteAllText(Path.Join(_w.Outside, "other.txt"), "outside\n");
            File.Delete(_w.PathOf("src/app.cs"));
            LinuxFiles.HardLink(Path.Join(_w.Outside, "other.txt"), _w.PathOf("src/app.cs"));
            return new ApprovalDecision.Accept(Approvers.User);
        });
        var outcome = await _w.RunAsync("write_file", """{"path": "src/app.cs", "content": "pwned\n"}""", ApprovalMode.Interactive, gate);

        Assert.Equal(OutcomeStatus.Refused, outcome.Status);
        Assert.Contains("'src/app.cs' has 2 hard links", outcome.Message, StringComparison.Ordinal);
        Assert.Equal("outside\n", File.ReadAllText(Path.Join(_w.Outside, "other.txt")));
        Assert.Equal("outside\n", File.ReadAllText(_w.PathOf("src/app.cs")));
    }
}
