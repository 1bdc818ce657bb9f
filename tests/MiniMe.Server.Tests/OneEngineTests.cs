using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using MiniMe.Hosting;
using MiniMe.Hosting.Users;
using MiniMe.Server.Tests.Support;
using MiniMe.Tracing;

namespace MiniMe.Server.Tests;

/// <summary>
/// The server is the CLI's engine behind HTTP: the same composition root, so the same store, the same
/// facts in the context, the same run stages. Each test here failed when the server wired its own copy.
/// </summary>
[Trait("Category", "Integration")]
public sealed class OneEngineTests
{
    [Fact]
    public async Task The_server_uses_the_memory_store_config_names_and_says_when_it_cannot_reach_it()
    {
        // PostgreSQL at a port nothing listens on: the CLI's `minime search` fails to connect, and so must the server,
        // instead of quietly answering from memory.db.
        await using var server = await TestServer.StartAsync(settings: new Dictionary<string, string?>
        {
            ["memory:store"] = "postgres",
            ["memory:connectionString"] = "Host=127.0.0.1;Port=1;Database=minime;Username=minime;Timeout=2",
        });
        // The keys are in that PostgreSQL too, so even checking the key fails to connect.
        var client = server.Client(Auth.ApiKeyStore.Prefix + "any");

        using var response = await client.GetAsync("/v1/memory/search?q=deploy");

        Assert.False(response.IsSuccessStatusCode);
        var detail = await response.Content.ReadAsStringAsync();
        Assert.Contains("cannot connect to PostgreSQL", detail, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(server.Workspace.Root, "memory.db")), "the server opened the SQLite memory instead");
        Assert.False(File.Exists(Path.Combine(server.Workspace.Root, "server.db")), "the server kept its keys in server.db instead");
    }

    [Fact]
    public async Task Chat_puts_the_users_facts_into_the_context_and_shows_them_as_sources()
    {
        var model = new ScriptedChatClient().Enqueue("You prefer dark mode.");
        await using var server = await TestServer.StartAsync(model);
        var client = server.Client(server.CreateKey("k"));
        var fact = await client.PostJsonAsync("/v1/memory/facts", new { text = "Prefers dark display mode in every editor.", category = "preference" });
        var factId = fact.GetProperty("fact").GetProperty("id").GetInt64();

        var reply = await client.PostJsonAsync("/v1/chat", new { message = "Which display mode do I prefer?" });

        var system = Assert.Single(model.Requests)[0].Text;
        Assert.Contains("Prefers dark display mode in every editor.", system, StringComparison.Ordinal);
        var source = reply.GetProperty("sources").EnumerateArray().Single(s => s.GetProperty("kind").GetString() == "fact");
        Assert.Equal(factId, source.GetProperty("id").GetInt64());
        var retrieval = new TraceStore(server.Workspace.TracesDirectory).Read(reply.GetProperty("run_id").GetString()!)
            .Single(e => e.EventType == TraceEventTypes.Retrieval);
        Assert.Equal(factId, retrieval.Data["facts"]![0]!["id"]!.GetValue<long>());
    }

    [Fact]
    public async Task Ask_over_the_api_puts_the_users_facts_into_the_context_as_the_cli_does()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client(server.CreateKey("k"));
        await client.PostJsonAsync("/v1/memory/facts", new { text = "Deploys always go through the staging cluster first.", category = "process" });

        var ask = await client.PostJsonAsync("/v1/ask", new { task = "plan the deploys to the staging cluster", dry_run = true });

        var context = new TraceStore(server.Workspace.TracesDirectory).Read(ask.GetProperty("run_id").GetString()!)
            .Single(e => e.EventType == TraceEventTypes.ContextAssembly);
        Assert.Contains(context.Data["blocks"]!.AsArray(), b => b!["id"]!.GetValue<string>().StartsWith("fact:", StringComparison.Ordinal) && b["kept"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Every_user_is_a_scope_of_the_one_root_sharing_its_singletons()
    {
        await using var server = await TestServer.StartAsync();
        var spaces = server.Services.GetRequiredService<UserSpaces>();

        var owner = spaces.Get(TestServer.Owner);
        var dana = spaces.Get("dana");

        Assert.Same(owner, spaces.Get(TestServer.Owner));
        Assert.True(owner.IsOwner);
        Assert.False(dana.IsOwner);
        Assert.Equal(server.Workspace.TracesDirectory, owner.Traces.Location);
        Assert.StartsWith(Path.Combine(server.Workspace.Root, "users", "dana"), dana.DatabasePath, StringComparison.Ordinal);
        Assert.Same(server.Services.GetRequiredService<EmbeddingModel>(), server.Services.GetRequiredService<EmbeddingModel>());
        Assert.Throws<InvalidInputException>(() => spaces.Get("../escape"));
    }
}
