using System.Net.Http.Json;
using MiniMe.Server.Tests.Support;

namespace MiniMe.Server.Tests;

[Trait("Category", "Integration")]
public sealed class IsolationTests
{
    [Fact]
    public async Task Two_users_never_see_each_others_conversations_runs_facts_memory_or_proposals()
    {
        var model = new ScriptedChatClient().Enqueue("Alice's answer.");
        await using var server = await TestServer.StartAsync(model, services: s => s.AddAskService());
        var alice = server.Client(server.CreateKey("alice-laptop", "alice"));
        var bob = server.Client(server.CreateKey("bob-laptop", "bob"));

        var chat = await alice.PostJsonAsync("/v1/chat", new { message = "My secret project is called Bluebird." });
        var conversationId = chat.GetProperty("conversation_id").GetString()!;
        var runId = chat.GetProperty("run_id").GetString()!;
        var fact = await alice.PostJsonAsync("/v1/memory/facts", new { text = "Alice prefers tabs" });
        var factId = fact.GetProperty("fact").GetProperty("id").GetInt64();
        await alice.PostJsonAsync("/v1/memory/import", new { documents = new[] { new { name = "bluebird.md", content = "# Bluebird\n\nThe bluebird service handles payments.\n" } } });
        var ask = await alice.PostJsonAsync("/v1/ask", new { task = "add a health check to bluebird" });
        var proposalId = ask.GetProperty("proposals")[0].GetProperty("id").GetString()!;

        // Alice sees her things.
        Assert.Single((await alice.GetJsonAsync("/v1/conversations")).EnumerateArray());
        Assert.Equal(2, (await alice.GetJsonAsync("/v1/runs")).GetArrayLength());
        Assert.Single((await alice.GetJsonAsync("/v1/memory/search?q=bluebird")).GetProperty("hits").EnumerateArray());
        Assert.Equal(2, (await alice.GetJsonAsync("/v1/proposals")).GetArrayLength());

        // Bob sees none of them, and cannot reach them by id.
        Assert.Empty((await bob.GetJsonAsync("/v1/conversations")).EnumerateArray());
        Assert.Empty((await bob.GetJsonAsync("/v1/runs")).EnumerateArray());
        Assert.Empty((await bob.GetJsonAsync("/v1/memory/facts")).EnumerateArray());
        Assert.Empty((await bob.GetJsonAsync("/v1/memory/search?q=bluebird")).GetProperty("hits").EnumerateArray());
        Assert.Empty((await bob.GetJsonAsync("/v1/proposals")).EnumerateArray());
        await (await bob.GetAsync($"/v1/conversations/{conversationId}")).AssertProblemAsync(404);
        await (await bob.DeleteAsync($"/v1/conversations/{conversationId}")).AssertProblemAsync(404);
        await (await bob.GetAsync($"/v1/runs/{runId}")).AssertProblemAsync(404);
        await (await bob.GetAsync($"/v1/memory/facts/{factId}")).AssertProblemAsync(404);
        await (await bob.DeleteAsync($"/v1/memory/facts/{factId}")).AssertProblemAsync(404);
        await (await bob.PostAsJsonAsync($"/v1/proposals/{proposalId}/approve", new { })).AssertProblemAsync(404);
        using var hijack = await bob.PostAsJsonAsync("/v1/chat", new { message = "continue", conversation_id = conversationId });
        await hijack.AssertProblemAsync(404);

        // Alice's data is untouched by Bob's attempts; and her files live apart from the owner's.
        Assert.Equal(2, (await alice.GetJsonAsync($"/v1/conversations/{conversationId}")).GetProperty("messages").GetArrayLength());
        Assert.Equal(2, (await alice.GetJsonAsync("/v1/proposals")).GetArrayLength());
        Assert.True(File.Exists(Path.Combine(server.Workspace.Root, "users", "alice", "memory.db")));
        Assert.True(File.Exists(Path.Combine(server.Workspace.Root, "users", "alice", "traces", runId + ".jsonl")));
        Assert.False(File.Exists(Path.Combine(server.Workspace.TracesDirectory, runId + ".jsonl")));
    }

    [Fact]
    public async Task The_owner_sees_the_workspace_runs_the_cli_made()
    {
        await using var server = await TestServer.StartAsync();
        new MiniMe.Tracing.TraceStore(server.Workspace.TracesDirectory).Append("20260101-000000-abcdef", MiniMe.Tracing.TraceEventTypes.TaskStart,
            new System.Text.Json.Nodes.JsonObject { ["task"] = "from the cli", ["mode"] = "dry_run" });
        var owner = await server.Client(server.CreateKey("mine")).GetJsonAsync("/v1/runs");
        Assert.Equal("from the cli", owner[0].GetProperty("task").GetString());
        Assert.Empty((await server.Client(server.CreateKey("other", "carol")).GetJsonAsync("/v1/runs")).EnumerateArray());
    }
}

internal static class TestServices
{
    public static void AddAskService(this Microsoft.Extensions.DependencyInjection.IServiceCollection services) =>
        Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton<Ask.IAskService, ScriptedTeamAskService>(services);
}
