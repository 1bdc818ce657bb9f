using System.Net.Http.Json;
using System.Text.Json;
using MiniMe.Server.Tests.Support;
using MiniMe.Testing;

namespace MiniMe.Server.Tests;

/// <summary>GET /v1/evidence/{kind}/{id} on real Kestrel, behind the API keys, over what the API itself recorded.</summary>
[Trait("Category", "Integration")]
public sealed class EvidenceApiTests
{
    private static IEnumerable<JsonElement> Walk(JsonElement nodes) =>
        nodes.EnumerateArray().SelectMany(n => new[] { n }.Concat(Walk(n.GetProperty("children"))));

    [Fact]
    public async Task A_proposal_its_run_and_the_rejection_are_linked_and_the_fact_tree_matches_the_cli()
    {
        var model = new MiniMe.Testing.ScriptedChatClient
        {
            Responder = call => AgentReplies.For(AgentReplies.AgentOf(call.SystemText),
                integration: """{"summary":"Note it.","proposals":[{"tool":"run_command","arguments":{"argv":["sh","scripts/note.sh"]},"rationale":"leave a note"}]}"""),
        };
        await using var server = await TestServer.StartAsync(model);
        var client = server.Client(server.CreateKey("k"));
        await client.PostJsonAsync("/v1/memory/import", new { documents = new[] { new { name = "retry.md", content = "# Retries\n\nThe HTTP client retries with exponential backoff.\n" } } });
        var fact = (await client.PostJsonAsync("/v1/memory/facts", new { text = "I prefer exponential backoff for retries" })).GetProperty("fact").GetProperty("id").GetInt64();
        var run = (await client.PostJsonAsync("/v1/ask", new { task = AgentReplies.TeamTask + " with exponential backoff retries" })).GetProperty("run_id").GetString()!;
        var proposal = Assert.Single((await client.GetJsonAsync("/v1/proposals")).EnumerateArray()).GetProperty("id").GetString()!;
        await client.PostJsonAsync($"/v1/proposals/{proposal}/reject", new { reason = "not now" });

        var tree = await client.GetJsonAsync($"/v1/evidence/run/{run}?depth=2");
        Assert.Equal($"run:{run}", tree.GetProperty("node").GetString());
        var uses = tree.GetProperty("uses").EnumerateArray().ToList();
        var proposed = Assert.Single(uses, u => u.GetProperty("kind").GetString() == "proposal");
        Assert.Equal(($"proposal:{proposal}", "proposed", "run_command"),
            (proposed.GetProperty("node").GetString(), proposed.GetProperty("phrase").GetString(), proposed.GetProperty("detail").GetString()));
        var decision = Assert.Single(proposed.GetProperty("children").EnumerateArray());
        Assert.Equal($"decision:{proposal}", decision.GetProperty("node").GetString());

        var decided = await client.GetJsonAsync($"/v1/evidence/decision/{proposal}");
        var by = Assert.Single(decided.GetProperty("origins").EnumerateArray(), o => o.GetProperty("relation").GetString() == "approved_by");
        Assert.Equal(("user:owner", "rejected"), (by.GetProperty("node").GetString(), by.GetProperty("detail").GetString()));

        // The fact's tree through the API is the one `minime why --json` prints over the same workspace.
        var api = await client.GetJsonAsync($"/v1/evidence/fact/{fact}");
        Assert.Contains(Walk(api.GetProperty("uses")), u => u.GetProperty("node").GetString() == $"run:{run}");
        var cli = await CliRun.RunAsync(server.Workspace.Root, server.TrustFile, "why", $"fact:{fact}", "--json");
        Assert.True(cli.Code == 0, cli.Error);
        Assert.Equal(JsonSerializer.Serialize(api), JsonSerializer.Serialize(JsonDocument.Parse(cli.Out).RootElement));
    }

    [Fact]
    public async Task Keys_are_required_and_bad_or_unknown_ids_are_problems()
    {
        await using var server = await TestServer.StartAsync();
        using (var anonymous = await server.Client().GetAsync("/v1/evidence/fact/1"))
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, anonymous.StatusCode);
        var client = server.Client(server.CreateKey("k"));
        using (var bad = await client.GetAsync("/v1/evidence/fact/abc"))
            Assert.Contains("a fact id is a positive number", await bad.AssertProblemAsync(400), StringComparison.Ordinal);
        using (var kind = await client.GetAsync("/v1/evidence/passwd/1"))
            Assert.Contains("'passwd' is not a kind", await kind.AssertProblemAsync(400), StringComparison.Ordinal);
        using (var traversal = await client.GetAsync("/v1/evidence/run/..%2F..%2Fetc"))
            Assert.True((int)traversal.StatusCode is 400 or 404, $"{(int)traversal.StatusCode}");
        using (var depth = await client.GetAsync("/v1/evidence/fact/1?depth=50"))
            Assert.Contains("depth must be between 1 and 10 (got 50)", await depth.AssertProblemAsync(400), StringComparison.Ordinal);
        using (var missing = await client.GetAsync("/v1/evidence/fact/999"))
            Assert.Contains("no fact #999", await missing.AssertProblemAsync(404), StringComparison.Ordinal);
        var openApi = await client.GetJsonAsync("/openapi/v1.json");
        Assert.True(openApi.GetProperty("paths").GetProperty("/v1/evidence/{kind}/{id}").GetProperty("get").TryGetProperty("security", out _));
    }
}
