using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using MiniMe.Server.Tests.Support;
using MiniMe.Testing;
using MiniMe.Tracing;

namespace MiniMe.Server.Tests;

/// <summary>
/// Decisions through the API as `minime serve` wires them (the agent team over a scripted model, the
/// tool runner behind decisions): what a rejection or an edit leaves in feedback.jsonl, what an edited
/// approval writes to disk, and the previews a pending proposal carries.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ApiCorrectionsTests
{
    private const string Original = "first line\nsecond line\n";
    private const string Proposed = "first line\nsecond line, proposed\n";

    // The integrator proposes a rewrite of src/notes.txt and a patch of src/other.txt, both existing files.
    private const string Integration = """
        {"summary":"Update the notes.","proposals":[
          {"tool":"write_file","arguments":{"path":"src/notes.txt","content":"first line\nsecond line, proposed\n"},"rationale":"reword the notes"},
          {"tool":"apply_patch","arguments":{"patch":"--- a/src/other.txt\n+++ b/src/other.txt\n@@ -1,2 +1,2 @@\n alpha\n-beta\n+gamma\n"},"rationale":"fix the other file"}]}
        """;

    private static async Task<TestServer> StartAsync()
    {
        var model = new MiniMe.Testing.ScriptedChatClient { Responder = call => AgentReplies.For(AgentReplies.AgentOf(call.SystemText), integration: Integration) };
        var server = await TestServer.StartAsync(model);
        Directory.CreateDirectory(Path.Combine(server.Root, "src"));
        await File.WriteAllTextAsync(NotesPath(server), Original);
        await File.WriteAllTextAsync(Path.Combine(server.Root, "src", "other.txt"), "alpha\nbeta\n");
        return server;
    }

    private static string NotesPath(TestServer server) => Path.Combine(server.Root, "src", "notes.txt");

    /// <summary>A client of the owner, and the ask whose team proposed the write_file and the apply_patch, pending.</summary>
    private static async Task<(HttpClient Client, string RunId, JsonElement Ask, Dictionary<string, JsonElement> Pending)> ProposeAsync(TestServer server)
    {
        var client = server.Client(server.CreateKey("k"));
        var ask = await client.PostJsonAsync("/v1/ask", new { task = AgentReplies.TeamTask });
        var pending = (await client.GetJsonAsync("/v1/proposals")).EnumerateArray().ToDictionary(p => p.GetProperty("tool").GetString()!);
        Assert.Equal(["apply_patch", "write_file"], pending.Keys.Order(StringComparer.Ordinal));
        return (client, ask.GetProperty("run_id").GetString()!, ask, pending);
    }

    private static string Id(JsonElement proposal) => proposal.GetProperty("id").GetString()!;

    /// <summary>The correction pairs in the owner's feedback.jsonl: each line's delta and correction.</summary>
    private static List<(JsonObject Delta, string? Correction)> Corrections(TestServer server) => Corrections(server.Workspace.FeedbackPath);

    private static List<(JsonObject Delta, string? Correction)> Corrections(string feedbackPath) =>
        File.Exists(feedbackPath)
            ? [.. File.ReadAllLines(feedbackPath).Where(l => l.Length > 0).Select(l =>
            {
                var line = JsonNode.Parse(l)!.AsObject();
                return (line["delta"]!.AsObject(), line["correction"]?.GetValue<string>());
            })]
            : [];

    [Fact]
    public async Task Rejecting_with_a_reason_keeps_exactly_one_correction_pair_even_when_the_rejection_is_sent_again()
    {
        await using var server = await StartAsync();
        var (client, runId, _, pending) = await ProposeAsync(server);
        var write = Id(pending["write_file"]);

        var rejected = await client.PostJsonAsync($"/v1/proposals/{write}/reject", new { reason = "  keep the second line as it is  " });

        Assert.Equal("rejected", rejected.GetProperty("proposal").GetProperty("status").GetString());
        Assert.False(rejected.GetProperty("executed").GetBoolean());
        using (var again = await client.PostAsJsonAsync($"/v1/proposals/{write}/reject", new { reason = "still no" }))
            Assert.Contains("already rejected", await again.AssertProblemAsync(409), StringComparison.Ordinal);
        using (var approve = await client.PostAsJsonAsync($"/v1/proposals/{write}/approve", new { }))
            Assert.Contains("already rejected", await approve.AssertProblemAsync(409), StringComparison.Ordinal);

        var (delta, correction) = Assert.Single(Corrections(server));
        Assert.Equal("action_rejected", delta["kind"]!.GetValue<string>());
        Assert.Equal(write, delta["proposal_id"]!.GetValue<string>());
        Assert.Equal("write_file", delta["tool"]!.GetValue<string>());
        Assert.Equal("keep the second line as it is", delta["reason"]!.GetValue<string>());
        Assert.Equal(Proposed, delta["proposed"]!["content"]!.GetValue<string>());
        Assert.Equal("keep the second line as it is", correction);
        var trace = new TraceStore(server.Workspace.TracesDirectory).Read(runId);
        Assert.Single(trace, e => e.EventType == TraceEventTypes.Feedback);
        Assert.Single(trace, e => e.EventType == TraceEventTypes.Approval);
        Assert.DoesNotContain(trace, e => e.EventType == TraceEventTypes.Execution);
        Assert.Equal(Original, await File.ReadAllTextAsync(NotesPath(server)));
    }

    [Fact]
    public async Task Approving_with_edited_arguments_writes_the_edited_content_once_and_keeps_one_edit_correction()
    {
        await using var server = await StartAsync();
        var (client, runId, _, pending) = await ProposeAsync(server);
        var write = Id(pending["write_file"]);
        const string edited = "first line\nsecond line, as I want it\n";

        var approved = await client.PostJsonAsync($"/v1/proposals/{write}/approve", new { arguments = new { path = "src/notes.txt", content = edited } });

        var message = approved.GetProperty("message").GetString()!;
        Assert.True(approved.GetProperty("executed").GetBoolean(), message);
        Assert.StartsWith("executed", message, StringComparison.Ordinal);
        Assert.DoesNotContain("edited more than", message, StringComparison.Ordinal);
        Assert.Equal("approved", approved.GetProperty("proposal").GetProperty("status").GetString());
        Assert.Equal(edited, await File.ReadAllTextAsync(NotesPath(server)));

        var (delta, correction) = Assert.Single(Corrections(server));
        Assert.Equal("action_edited", delta["kind"]!.GetValue<string>());
        Assert.Equal(Proposed, delta["proposed"]!["content"]!.GetValue<string>());
        Assert.Equal(edited, delta["edited"]!["content"]!.GetValue<string>());
        Assert.Equal(edited, JsonNode.Parse(correction!)!["content"]!.GetValue<string>());

        var trace = new TraceStore(server.Workspace.TracesDirectory).Read(runId);
        var execution = Assert.Single(trace, e => e.EventType == TraceEventTypes.Execution);
        Assert.Equal("succeeded", execution.Data["status"]!.GetValue<string>());
        Assert.True(execution.Data["edited"]!.GetValue<bool>());
        Assert.Equal(edited, execution.Data["args"]!["content"]!.GetValue<string>());
        Assert.Single(trace, e => e.EventType == TraceEventTypes.Feedback);

        // Deciding again runs nothing and records nothing.
        await File.WriteAllTextAsync(NotesPath(server), Original);
        using (var again = await client.PostAsJsonAsync($"/v1/proposals/{write}/approve", new { arguments = new { path = "src/notes.txt", content = "third\n" } }))
            Assert.Contains("already approved", await again.AssertProblemAsync(409), StringComparison.Ordinal);
        Assert.Equal(Original, await File.ReadAllTextAsync(NotesPath(server)));
        Assert.Single(Corrections(server));
    }

    [Fact]
    public async Task An_approval_whose_edit_changes_nothing_is_a_plain_approval_without_a_correction()
    {
        await using var server = await StartAsync();
        var (client, _, _, pending) = await ProposeAsync(server);

        var approved = await client.PostJsonAsync($"/v1/proposals/{Id(pending["write_file"])}/approve",
            new { arguments = new { path = "src/notes.txt", content = Proposed } });

        Assert.True(approved.GetProperty("executed").GetBoolean(), approved.GetProperty("message").GetString());
        Assert.Equal(Proposed, await File.ReadAllTextAsync(NotesPath(server)));
        Assert.Empty(Corrections(server));
    }

    [Fact]
    public async Task Edited_arguments_the_allowlist_refuses_answer_403_record_nothing_and_leave_the_proposal_pending()
    {
        await using var server = await StartAsync();
        var (client, _, _, pending) = await ProposeAsync(server);
        var write = Id(pending["write_file"]);

        using (var refused = await client.PostAsJsonAsync($"/v1/proposals/{write}/approve", new { arguments = new { path = "../outside.txt", content = "x" } }))
            Assert.Contains("still pending", await refused.AssertProblemAsync(403), StringComparison.Ordinal);
        using (var invalid = await client.PostAsJsonAsync($"/v1/proposals/{write}/approve", new { arguments = new { path = "src/notes.txt" } }))
            Assert.Contains("still pending", await invalid.AssertProblemAsync(400), StringComparison.Ordinal);

        Assert.Empty(Corrections(server));
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(server.Root)!, "outside.txt")));
        Assert.Equal(Original, await File.ReadAllTextAsync(NotesPath(server)));
        Assert.Equal("pending", (await client.GetJsonAsync($"/v1/proposals/{write}")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Pending_file_changes_carry_the_unified_diff_in_the_ask_answer_the_list_and_the_proposal()
    {
        await using var server = await StartAsync();
        var (client, _, ask, pending) = await ProposeAsync(server);
        var write = Id(pending["write_file"]);
        var patch = Id(pending["apply_patch"]);

        foreach (var preview in new[]
                 {
                     pending["write_file"].GetProperty("preview"),
                     (await client.GetJsonAsync($"/v1/proposals/{write}")).GetProperty("preview"),
                     ask.GetProperty("proposals").EnumerateArray().Single(p => Id(p) == write).GetProperty("preview"),
                 })
        {
            Assert.Equal("file_change", preview.GetProperty("kind").GetString());
            var diff = preview.GetProperty("diff").GetString()!;
            Assert.Contains("--- a/src/notes.txt", diff, StringComparison.Ordinal);
            Assert.Contains("+++ b/src/notes.txt", diff, StringComparison.Ordinal);
            Assert.Contains("@@ ", diff, StringComparison.Ordinal);
            Assert.Contains("\n-second line\n", "\n" + diff, StringComparison.Ordinal);
            Assert.Contains("\n+second line, proposed\n", "\n" + diff, StringComparison.Ordinal);
            Assert.False(preview.TryGetProperty("problem", out _));
        }

        var patched = (await client.GetJsonAsync($"/v1/proposals/{patch}")).GetProperty("preview");
        Assert.Equal("file_change", patched.GetProperty("kind").GetString());
        var patchDiff = patched.GetProperty("diff").GetString()!;
        Assert.Contains("src/other.txt", patchDiff, StringComparison.Ordinal);
        Assert.Contains("\n-beta\n", "\n" + patchDiff, StringComparison.Ordinal);
        Assert.Contains("\n+gamma\n", "\n" + patchDiff, StringComparison.Ordinal);
        Assert.Equal("alpha\nbeta\n", await File.ReadAllTextAsync(Path.Combine(server.Root, "src", "other.txt")));

        // Decided, a proposal has no preview any more (the file may have changed since).
        await client.PostJsonAsync($"/v1/proposals/{patch}/approve", new { });
        Assert.Equal("alpha\ngamma\n", await File.ReadAllTextAsync(Path.Combine(server.Root, "src", "other.txt")));
        Assert.False((await client.GetJsonAsync($"/v1/proposals/{patch}")).TryGetProperty("preview", out _));
    }

    [Fact]
    public async Task Another_users_rejection_and_edit_are_kept_in_that_users_feedback_and_nothing_runs()
    {
        await using var server = await TestServer.StartAsync(services: s => s.AddAskService());
        var alice = server.Client(server.CreateKey("alice-laptop", "alice"));
        await alice.PostJsonAsync("/v1/ask", new { task = "document the health check and run the tests" });
        var pending = (await alice.GetJsonAsync("/v1/proposals")).EnumerateArray().ToDictionary(p => p.GetProperty("tool").GetString()!);

        await alice.PostJsonAsync($"/v1/proposals/{Id(pending["run_command"])}/reject", new { reason = "CI runs them" });
        var edited = await alice.PostJsonAsync($"/v1/proposals/{Id(pending["write_file"])}/approve",
            new { arguments = new { path = "docs/health.md", content = "# Health, edited\n" } });

        Assert.False(edited.GetProperty("executed").GetBoolean());
        Assert.Contains("tools run only for the workspace owner", edited.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(server.Root, "docs", "health.md")));
        var corrections = Corrections(Path.Combine(server.Workspace.Root, "users", "alice", "feedback.jsonl"));
        Assert.Equal(["action_rejected", "action_edited"], corrections.Select(c => c.Delta["kind"]!.GetValue<string>()));
        Assert.Equal("CI runs them", corrections[0].Correction);
        Assert.Equal("# Health, edited\n", corrections[1].Delta["edited"]!["content"]!.GetValue<string>());
        Assert.Empty(Corrections(server));
    }

    [Fact]
    public async Task The_scripted_teams_proposals_are_valid_for_their_tools()
    {
        // The stand-in for the agent team behind other tests must propose what a tool accepts: a preview, or the allowlist's refusal, never invalid arguments.
        await using var server = await TestServer.StartAsync(services: s => s.AddAskService());
        var client = server.Client(server.CreateKey("k"));
        await client.PostJsonAsync("/v1/ask", new { task = "document the health check and run the tests" });
        var pending = (await client.GetJsonAsync("/v1/proposals")).EnumerateArray().ToDictionary(p => p.GetProperty("tool").GetString()!);

        Assert.Equal("file_change", pending["write_file"].GetProperty("preview").GetProperty("kind").GetString());
        var command = pending["run_command"].GetProperty("preview");
        var problem = command.TryGetProperty("problem", out var p) ? p.GetString()! : "";
        Assert.False(problem.StartsWith("invalid", StringComparison.Ordinal), problem);
        Assert.True(problem.StartsWith("refused", StringComparison.Ordinal) || command.GetProperty("kind").GetString() == "command", problem);
        Assert.Equal(["dotnet", "test"], pending["run_command"].GetProperty("arguments").GetProperty("argv").EnumerateArray().Select(a => a.GetString()));
    }
}
