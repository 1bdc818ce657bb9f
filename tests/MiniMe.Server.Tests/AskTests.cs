using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using MiniMe.Server.Ask;
using MiniMe.Server.Tests.Support;
using MiniMe.Tracing;

namespace MiniMe.Server.Tests;

[Trait("Category", "Integration")]
public sealed class AskTests
{
    [Fact]
    public async Task Ask_without_the_agent_team_is_a_traced_dry_run_with_masks_and_context()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client(server.CreateKey("k"));
        var ask = await client.PostJsonAsync("/v1/ask", new { task = "add an index to the orders table migration" });
        Assert.Equal("dry_run", ask.GetProperty("status").GetString());
        Assert.Equal(AskService.Notice, ask.GetProperty("notice").GetString());
        Assert.Equal("data", ask.GetProperty("domain").GetString());
        Assert.True(ask.GetProperty("masks").GetProperty("retrieval_k").GetInt32() > 0);
        Assert.True(ask.GetProperty("context").GetProperty("total_tokens").GetInt32() > 0);
        Assert.Empty(ask.GetProperty("proposals").EnumerateArray());
        Assert.True(new TraceStore(server.Workspace.TracesDirectory).Exists(ask.GetProperty("run_id").GetString()!));
        using var empty = await client.PostAsJsonAsync("/v1/ask", new { task = "" });
        await empty.AssertProblemAsync(400);
    }

    [Fact]
    public async Task Proposals_wait_for_approval_and_each_decision_is_recorded_once()
    {
        // The decision's bookkeeping, not its execution: the decider only records (execution is tested below).
        await using var server = await TestServer.StartAsync(services: s =>
        {
            s.AddAskService();
            s.AddSingleton<IProposalDecider, RecordingProposalDecider>();
        });
        var client = server.Client(server.CreateKey("k"));
        var ask = await client.PostJsonAsync("/v1/ask", new { task = "document the health check and run the tests" });
        var runId = ask.GetProperty("run_id").GetString()!;
        var pending = await client.GetJsonAsync("/v1/proposals");
        Assert.Equal(["write_file", "run_command"], pending.EnumerateArray().Select(p => p.GetProperty("tool").GetString()).Order().Reverse());
        var write = pending.EnumerateArray().Single(p => p.GetProperty("tool").GetString() == "write_file").GetProperty("id").GetString();
        var run = pending.EnumerateArray().Single(p => p.GetProperty("tool").GetString() == "run_command").GetProperty("id").GetString();

        var approved = await client.PostJsonAsync($"/v1/proposals/{write}/approve", new { });
        Assert.Equal("approved", approved.GetProperty("proposal").GetProperty("status").GetString());
        Assert.False(approved.GetProperty("executed").GetBoolean());
        Assert.Equal(RecordingProposalDecider.NotExecuted, approved.GetProperty("message").GetString());

        var rejected = await client.PostJsonAsync($"/v1/proposals/{run}/reject", new { reason = "tests are slow; run them in CI" });
        Assert.Equal("rejected", rejected.GetProperty("proposal").GetProperty("status").GetString());

        using var twice = await client.PostAsJsonAsync($"/v1/proposals/{write}/reject", new { });
        Assert.Contains("already approved", await twice.AssertProblemAsync(409), StringComparison.Ordinal);
        Assert.Empty((await client.GetJsonAsync("/v1/proposals")).EnumerateArray());
        Assert.Single((await client.GetJsonAsync("/v1/proposals?status=rejected")).EnumerateArray());

        var trace = new TraceStore(server.Workspace.TracesDirectory).Read(runId);
        Assert.Equal(2, trace.Count(e => e.EventType == TraceEventTypes.Approval));
        Assert.Contains(trace, e => e.EventType == TraceEventTypes.Feedback);
        Assert.Contains("tests are slow", await File.ReadAllTextAsync(server.Workspace.FeedbackPath), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_owner_approval_executes_only_in_a_trusted_workspace(bool trusted)
    {
        await using var server = await TestServer.StartAsync(trusted: trusted, services: s => s.AddAskService());
        var client = server.Client(server.CreateKey("k"));
        var ask = await client.PostJsonAsync("/v1/ask", new { task = "document the health check and run the tests" });
        var write = (await client.GetJsonAsync("/v1/proposals")).EnumerateArray().Single(p => p.GetProperty("tool").GetString() == "write_file").GetProperty("id").GetString();

        var approved = await client.PostJsonAsync($"/v1/proposals/{write}/approve", new { });

        var message = approved.GetProperty("message").GetString()!;
        var written = Path.Combine(server.Root, "docs", "health.md");
        var execution = new TraceStore(server.Workspace.TracesDirectory).Read(ask.GetProperty("run_id").GetString()!).Single(e => e.EventType == TraceEventTypes.Execution);
        Assert.Equal(trusted, approved.GetProperty("executed").GetBoolean());
        Assert.Equal(trusted, File.Exists(written));
        Assert.Equal(trusted ? "succeeded" : "refused", execution.Data["status"]!.GetValue<string>());
        if (!trusted)
            Assert.Equal("not executed: this workspace is not trusted (its .minime was not created by MiniMe on this machine); review and trust it with `minime trust`", message);
    }
}
