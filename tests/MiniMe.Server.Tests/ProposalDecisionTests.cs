using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using MiniMe.Server.Ask;
using MiniMe.Server.Storage;
using MiniMe.Server.Tests.Support;
using MiniMe.Testing;
using MiniMe.Tracing;

namespace MiniMe.Server.Tests;

/// <summary>
/// Approvals as `minime serve` wires them (the agent team over a scripted model, the tool runner behind
/// decisions, real commands), raced and broken on purpose.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ProposalDecisionTests
{
    // The command records that it ran, then holds until the test creates "go", so every racing request arrives while it runs.
    private const string MarkScript = "echo ran >> runs.txt\nwhile [ ! -e go ]; do sleep 0.05; done\n";

    private const string Allowlist = """
        read:
          include: ["**"]
        write:
          include: ["src/**"]
        commands:
          - program: sh
            args: ["scripts/mark.sh"]
        """;

    private static async Task<TestServer> StartAsync()
    {
        var model = new MiniMe.Testing.ScriptedChatClient
        {
            Responder = call => AgentReplies.For(AgentReplies.AgentOf(call.SystemText),
                integration: """{"summary":"Run the marker.","proposals":[{"tool":"run_command","arguments":{"argv":["sh","scripts/mark.sh"]},"rationale":"leave a marker"}]}"""),
        };
        var server = await TestServer.StartAsync(model);
        await File.WriteAllTextAsync(server.Workspace.AllowlistPath, Allowlist);
        Directory.CreateDirectory(Path.Combine(server.Root, "scripts"));
        await File.WriteAllTextAsync(Path.Combine(server.Root, "scripts", "mark.sh"), MarkScript);
        server.TrustWorkspace();
        return server;
    }

    private static async Task<(string RunId, string ProposalId)> ProposeAsync(HttpClient client)
    {
        var ask = await client.PostJsonAsync("/v1/ask", new { task = AgentReplies.TeamTask });
        var proposal = Assert.Single((await client.GetJsonAsync("/v1/proposals")).EnumerateArray());
        Assert.Equal("run_command", proposal.GetProperty("tool").GetString());
        return (ask.GetProperty("run_id").GetString()!, proposal.GetProperty("id").GetString()!);
    }

    private static string[] Runs(TestServer server) =>
        File.Exists(Path.Combine(server.Root, "runs.txt")) ? File.ReadAllLines(Path.Combine(server.Root, "runs.txt")) : [];

    private static void Go(TestServer server) => File.WriteAllText(Path.Combine(server.Root, "go"), "");

    [Fact]
    public async Task Eight_simultaneous_approvals_run_the_command_once_and_the_other_seven_get_409()
    {
        await using var server = await StartAsync();
        var client = server.Client(server.CreateKey("k"));
        var (runId, id) = await ProposeAsync(client);

        var approvals = Enumerable.Range(0, 8).Select(_ => client.PostAsJsonAsync($"/v1/proposals/{id}/approve", new { })).ToList();
        // Seven answer at once when the claim is atomic; the winner holds until "go". (Without the
        // claim all eight would be running the command: give up waiting after 30 s and let them end.)
        using (var patience = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            while (approvals.Count(a => a.IsCompleted) < 7 && !patience.IsCancellationRequested)
                await Task.Delay(20, CancellationToken.None);
        Go(server);
        var responses = await Task.WhenAll(approvals);

        try
        {
            var won = Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
            var decided = await won.ReadAsync();
            Assert.True(decided.GetProperty("executed").GetBoolean(), decided.GetProperty("message").GetString());
            Assert.Equal("approved", decided.GetProperty("proposal").GetProperty("status").GetString());
            foreach (var lost in responses.Where(r => r != won))
                Assert.Contains("already being decided", await lost.AssertProblemAsync(409), StringComparison.Ordinal);
        }
        finally
        {
            foreach (var response in responses) response.Dispose();
        }
        Assert.Equal(["ran"], Runs(server));
        var trace = new TraceStore(server.Workspace.TracesDirectory).Read(runId);
        Assert.Single(trace, e => e.EventType == TraceEventTypes.Execution);
        using var again = await client.PostAsJsonAsync($"/v1/proposals/{id}/approve", new { });
        Assert.Contains("already approved", await again.AssertProblemAsync(409), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Decision_that_fails_before_anything_runs_leaves_the_proposal_pending()
    {
        await using var server = await StartAsync();
        var client = server.Client(server.CreateKey("k"));
        var (_, id) = await ProposeAsync(client);
        await File.WriteAllTextAsync(server.Workspace.AllowlistPath, "commands: [unclosed\n");

        using var broken = await client.PostAsJsonAsync($"/v1/proposals/{id}/approve", new { });

        Assert.Contains("Nothing was run and the proposal is still pending", await broken.AssertProblemAsync(500), StringComparison.Ordinal);
        Assert.Empty(Runs(server));
        Assert.Equal(id, Assert.Single((await client.GetJsonAsync("/v1/proposals")).EnumerateArray()).GetProperty("id").GetString());
        await File.WriteAllTextAsync(server.Workspace.AllowlistPath, Allowlist);
        Go(server);
        var approved = await client.PostJsonAsync($"/v1/proposals/{id}/approve", new { });
        Assert.True(approved.GetProperty("executed").GetBoolean(), approved.GetProperty("message").GetString());
        Assert.Equal(["ran"], Runs(server));
    }

    [Fact]
    public async Task Decision_aborted_while_the_command_runs_ends_failed_and_is_never_run_again()
    {
        await using var server = await StartAsync();
        var client = server.Client(server.CreateKey("k"));
        var (_, id) = await ProposeAsync(client);

        using (var abort = new CancellationTokenSource())
        {
            var approval = client.PostAsJsonAsync($"/v1/proposals/{id}/approve", new { }, abort.Token);
            using (var patience = new CancellationTokenSource(TimeSpan.FromMinutes(1)))
                while (Runs(server).Length == 0) await Task.Delay(20, patience.Token);
            await abort.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => approval);
        }

        // The server sees the abort, kills the command and records the end.
        List<JsonElement> failed;
        using (var patience = new CancellationTokenSource(TimeSpan.FromMinutes(1)))
            while ((failed = [.. (await client.GetJsonAsync("/v1/proposals?status=failed")).EnumerateArray()]).Count == 0)
                await Task.Delay(20, patience.Token);
        var proposal = Assert.Single(failed);
        Assert.Equal(id, proposal.GetProperty("id").GetString());
        Assert.StartsWith("cancelled (the request was aborted) while being decided", proposal.GetProperty("note").GetString(), StringComparison.Ordinal);
        using var again = await client.PostAsJsonAsync($"/v1/proposals/{id}/approve", new { });
        Assert.Contains("already failed", await again.AssertProblemAsync(409), StringComparison.Ordinal);
        Assert.Equal(["ran"], Runs(server));
    }

    [Fact]
    public async Task Claim_left_by_a_server_that_died_mid_decision_ends_failed_instead_of_stuck()
    {
        await using var server = await StartAsync();
        var client = server.Client(server.CreateKey("k"));
        var (_, id) = await ProposeAsync(client);
        // What a server killed mid-decision leaves behind: the row claimed by a process that is gone.
        using (var gone = Process.Start(new ProcessStartInfo("/bin/true") { UseShellExecute = false })!)
        {
            await gone.WaitForExitAsync();
            var claimer = $"{gone.Id.ToString(CultureInfo.InvariantCulture)}:0";
            using var connection = server.Services.GetRequiredService<ServerDatabase>().Open();
            using var command = connection.Command("UPDATE proposals SET status = 'deciding', claimed_by = @claimer WHERE id = @id")
                .With("@claimer", claimer)
                .With("@id", id);
            Assert.Equal(1, command.ExecuteNonQuery());
        }

        using var blocked = await client.PostAsJsonAsync($"/v1/proposals/{id}/approve", new { });

        Assert.Contains("already failed", await blocked.AssertProblemAsync(409), StringComparison.Ordinal);
        var proposal = Assert.Single((await client.GetJsonAsync("/v1/proposals?status=failed")).EnumerateArray());
        Assert.Contains("the server stopped while this was being decided", proposal.GetProperty("note").GetString(), StringComparison.Ordinal);
        Assert.Empty((await client.GetJsonAsync("/v1/proposals?status=deciding")).EnumerateArray());
        Assert.Empty(Runs(server));
    }
}
