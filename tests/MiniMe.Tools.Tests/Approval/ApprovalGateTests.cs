using System.Text.Json.Nodes;
using MiniMe.Actions;
using MiniMe.Cli.Approval;
using MiniMe.Tools.Approval;
using MiniMe.Tools.Tests.Support;
using MiniMe.Tracing;

namespace MiniMe.Tools.Tests.Approval;

public sealed class ApprovalGateTests
{
    private const string WriteArgs = """{"path": "src/hello.txt", "content": "hello\n"}""";

    private static ConsoleApprovalGate Gate(CapturedConsole console, string answers, string? editor = null) =>
        new(console.Console, new StringReader(answers), editor);

    private static List<JsonObject> Feedback(ToolWorkspace w) =>
        File.Exists(w.Home.FeedbackPath)
            ? File.ReadAllLines(w.Home.FeedbackPath).Select(l => (JsonObject)JsonNode.Parse(l)!).ToList()
            : [];

    [Fact]
    public async Task User_accepts_and_the_action_runs()
    {
        using var w = new ToolWorkspace();
        var console = new CapturedConsole();
        var outcome = await w.RunAsync("write_file", WriteArgs, ApprovalMode.Interactive, Gate(console, "a\n"));

        Assert.Equal(OutcomeStatus.Succeeded, outcome.Status);
        Assert.True(File.Exists(w.PathOf("src/hello.txt")));
        Assert.Contains("+++ b/src/hello.txt", console.Text, StringComparison.Ordinal);
        Assert.Contains("+hello", console.Text, StringComparison.Ordinal);
        var approval = Assert.Single(w.Events(TraceEventTypes.Approval));
        Assert.Equal("accepted", approval.Data["decision"]!.GetValue<string>());
        Assert.Equal("user", approval.Data["who"]!.GetValue<string>());
        Assert.False(approval.Data["edited"]!.GetValue<bool>());
        Assert.Empty(Feedback(w));
    }

    [Fact]
    public async Task User_rejects_with_a_reason_nothing_runs_and_a_correction_pair_is_stored()
    {
        using var w = new ToolWorkspace();
        var before = w.Snapshot(includeFeedback: false);
        var outcome = await w.RunAsync("write_file", WriteArgs, ApprovalMode.Interactive, Gate(new CapturedConsole(), "r\nwrong directory, use docs/\n"));

        Assert.Equal(OutcomeStatus.Rejected, outcome.Status);
        Assert.Equal("rejected: wrong directory, use docs/", outcome.Message);
        Assert.Equal(before, w.Snapshot(includeFeedback: false));
        var approval = Assert.Single(w.Events(TraceEventTypes.Approval));
        Assert.Equal("rejected", approval.Data["decision"]!.GetValue<string>());
        Assert.Equal("user", approval.Data["who"]!.GetValue<string>());
        Assert.Empty(w.Events(TraceEventTypes.Execution));
        var pair = Assert.Single(Feedback(w));
        Assert.Equal("test-run", pair["run_id"]!.GetValue<string>());
        Assert.Equal("action_rejected", pair["delta"]!["kind"]!.GetValue<string>());
        Assert.Equal("src/hello.txt", pair["delta"]!["proposed"]!["path"]!.GetValue<string>());
        Assert.Equal("wrong directory, use docs/", pair["correction"]!.GetValue<string>());
        Assert.Single(w.Events(TraceEventTypes.Feedback));
    }

    [Fact]
    public async Task User_edits_the_arguments_the_edit_is_shown_again_then_runs_and_is_stored()
    {
        using var w = new ToolWorkspace();
        var console = new CapturedConsole();
        var answers = "e\n{\"path\": \"docs/hello.md\", \"content\": \"# hello\\n\"}\na\n";
        var outcome = await w.RunAsync("write_file", WriteArgs, ApprovalMode.Interactive, Gate(console, answers));

        Assert.Equal(OutcomeStatus.Succeeded, outcome.Status);
        Assert.True(outcome.Edited);
        Assert.False(File.Exists(w.PathOf("src/hello.txt")));
        Assert.Equal("# hello\n", File.ReadAllText(w.PathOf("docs/hello.md")));
        Assert.Contains("+++ b/docs/hello.md", console.Text, StringComparison.Ordinal);
        var approvals = w.Events(TraceEventTypes.Approval);
        Assert.Equal(["edited", "accepted"], approvals.Select(a => a.Data["decision"]!.GetValue<string>()));
        Assert.True(approvals[1].Data["edited"]!.GetValue<bool>());
        var execution = Assert.Single(w.Events(TraceEventTypes.Execution));
        Assert.Equal("docs/hello.md", execution.Data["args"]!["path"]!.GetValue<string>());
        var pair = Assert.Single(Feedback(w));
        Assert.Equal("action_edited", pair["delta"]!["kind"]!.GetValue<string>());
        Assert.Equal("src/hello.txt", pair["delta"]!["proposed"]!["path"]!.GetValue<string>());
        Assert.Equal("docs/hello.md", pair["delta"]!["edited"]!["path"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_edit_is_checked_against_the_allowlist_again()
    {
        using var w = new ToolWorkspace();
        var before = w.Snapshot(includeFeedback: false);
        var answers = "e\n{\"path\": \"../outside/pwned.txt\", \"content\": \"x\"}\na\n";
        var outcome = await w.RunAsync("write_file", WriteArgs, ApprovalMode.Interactive, Gate(new CapturedConsole(), answers));

        Assert.Equal(OutcomeStatus.Refused, outcome.Status);
        Assert.Equal(before, w.Snapshot(includeFeedback: false));
    }

    [Fact]
    public async Task Editing_in_the_editor_replaces_the_arguments()
    {
        using var w = new ToolWorkspace();
        var editor = Path.Join(w.Base, "editor.sh");
        File.WriteAllText(editor, "#!/bin/sh\nprintf '{\"path\": \"src/edited.txt\", \"content\": \"from editor\\\\n\"}' > \"$1\"\n");
        File.SetUnixFileMode(editor, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var outcome = await w.RunAsync("write_file", WriteArgs, ApprovalMode.Interactive, Gate(new CapturedConsole(), "e\na\n", editor));

        Assert.Equal(OutcomeStatus.Succeeded, outcome.Status);
        Assert.Equal("from editor\n", File.ReadAllText(w.PathOf("src/edited.txt")));
    }

    [Fact]
    public async Task Commands_are_shown_as_the_exact_argument_vector()
    {
        using var w = new ToolWorkspace();
        var console = new CapturedConsole();
        await w.RunAsync("run_command", """{"argv": ["git", "status", "--short", "-b"]}""", ApprovalMode.Interactive, Gate(console, "r\n\n"));
        Assert.Contains("""argv: ["git","status","--short","-b"]""", console.Text, StringComparison.Ordinal);
        Assert.Contains("NOT sandboxed", console.Text, StringComparison.Ordinal);
        Assert.Equal(0, w.Host.Context.Runner.StartedCount);
    }

    [Fact]
    public async Task End_of_input_runs_nothing_and_stores_no_correction()
    {
        using var w = new ToolWorkspace();
        var outcome = await w.RunAsync("write_file", WriteArgs, ApprovalMode.Interactive, Gate(new CapturedConsole(), ""));
        Assert.Equal(OutcomeStatus.Rejected, outcome.Status);
        Assert.Equal("policy", Assert.Single(w.Events(TraceEventTypes.Approval)).Data["who"]!.GetValue<string>());
        Assert.False(File.Exists(w.PathOf("src/hello.txt")));
        Assert.Empty(Feedback(w));
    }

    [Fact]
    public async Task Non_interactive_without_yes_runs_nothing_and_records_the_decision()
    {
        using var w = new ToolWorkspace();
        var outcome = await w.RunAsync("write_file", WriteArgs, ApprovalMode.Interactive, new NonInteractiveGate());
        Assert.Equal(OutcomeStatus.Rejected, outcome.Status);
        Assert.Equal(NonInteractiveGate.Reason, outcome.Message);
        var approval = Assert.Single(w.Events(TraceEventTypes.Approval));
        Assert.Equal("rejected", approval.Data["decision"]!.GetValue<string>());
        Assert.Equal("policy", approval.Data["who"]!.GetValue<string>());
        Assert.False(File.Exists(w.PathOf("src/hello.txt")));
        Assert.Empty(Feedback(w));
    }

    [Fact]
    public async Task Dry_run_shows_but_does_not_execute()
    {
        using var w = new ToolWorkspace();
        var outcome = await w.RunAsync("write_file", WriteArgs, ApprovalMode.DryRun);
        Assert.Equal(OutcomeStatus.NotRun, outcome.Status);
        Assert.Contains("+hello", outcome.Preview!.Diff, StringComparison.Ordinal);
        Assert.False(File.Exists(w.PathOf("src/hello.txt")));
        Assert.Equal("dry_run", Assert.Single(w.Events(TraceEventTypes.Approval)).Data["decision"]!.GetValue<string>());
        Assert.Empty(w.Events(TraceEventTypes.Execution));
    }

    [Fact]
    public async Task Analysis_only_runs_no_tool_at_all()
    {
        using var w = new ToolWorkspace();
        var outcome = await w.RunAsync("read_file", """{"path": "src/app.cs"}""", ApprovalMode.AnalysisOnly);
        Assert.Equal(OutcomeStatus.NotRun, outcome.Status);
        Assert.Null(outcome.Execution);
        Assert.Equal("analysis_only", Assert.Single(w.Events(TraceEventTypes.Approval)).Data["decision"]!.GetValue<string>());
    }

    [Fact]
    public async Task Processor_handles_proposals_in_order_and_yes_never_bypasses_the_allowlist()
    {
        using var w = new ToolWorkspace();
        var processor = w.Host.CreateProcessor(new NonInteractiveGate(), new SilentPresenter());
        ActionProposal[] proposals =
        [
            new("p1", "write_file", (JsonObject)JsonNode.Parse("""{"path": "src/one.txt", "content": "1\n"}""")!, "first"),
            new("p2", "write_file", (JsonObject)JsonNode.Parse("""{"path": ".minime/allowlist.yaml", "content": "commands: []\n"}""")!, "hostile"),
            new("p3", "run_command", (JsonObject)JsonNode.Parse("""{"argv": ["git", "status"]}""")!, "third"),
        ];
        var outcomes = await processor.ProcessAsync(proposals, ApprovalMode.Yes, w.RunId, CancellationToken.None);

        Assert.Equal(["p1", "p2", "p3"], outcomes.Select(o => o.Proposal.Id));
        Assert.Equal([OutcomeStatus.Succeeded, OutcomeStatus.Refused, OutcomeStatus.Succeeded], outcomes.Select(o => o.Status));
        Assert.Equal(ToolWorkspace.DefaultAllowlist, File.ReadAllText(w.Home.AllowlistPath));
    }

    [Fact]
    public void Secret_options_in_argument_vectors_are_masked_for_the_trace()
    {
        var args = (JsonObject)JsonNode.Parse("""{"argv": ["tool", "--api-key=sk-abc", "--token", "abc123", "--name", "x"], "content": "short"}""")!;
        var prepared = TraceArguments.Prepare(args);
        Assert.Equal(["tool", "--api-key=[REDACTED]", "--token", "[REDACTED]", "--name", "x"], prepared["argv"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Equal("sk-abc", args["argv"]![1]!.GetValue<string>()[10..]);
    }
}
