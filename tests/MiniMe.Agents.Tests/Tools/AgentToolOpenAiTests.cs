using System.Text.Json.Nodes;
using MiniMe.Configuration;
using MiniMe.Providers;
using MiniMe.Testing;
using MiniMe.Tracing;

namespace MiniMe.Agents.Tests.Tools;

/// <summary>The Builder's read_file call through the real OpenAI provider code (tools in the request, tool_calls in the stream, the tool message back) against a loopback server.</summary>
[Trait("Category", "Integration")]
public sealed class AgentToolOpenAiTests : IAsyncLifetime
{
    private readonly TeamHarness _h = new();
    private LoopbackOpenAiServer _server = null!;
    private RepoWorkspace _repo = null!;

    public async Task InitializeAsync()
    {
        _server = await LoopbackOpenAiServer.StartAsync();
        _repo = new RepoWorkspace(_h.Traces);
        _repo.Write("src/Greeter.cs", "public static class Greeter\n{\n    public static string Hello() => \"hello there\";\n}\n");
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _repo.DisposeAsync();
        _h.Dispose();
    }

    [Fact]
    public async Task TheBuilderReadsTheCurrentFileOverTheOpenAiProtocolAndItsPatchApplies()
    {
        var diff = "--- a/src/Greeter.cs\n+++ b/src/Greeter.cs\n@@ -1,4 +1,4 @@\n public static class Greeter\n {\n-    public static string Hello() => \"hello there\";\n+    public static string Hello() => \"welcome\";\n }\n";
        _server.Enqueue(
            ScriptedReply.ToolCall("read_file", """{"path":"src/Greeter.cs"}"""),
            ScriptedReply.Text(new JsonObject
            {
                ["summary"] = "Change the greeting",
                ["files"] = new JsonArray(),
                ["patches"] = new JsonArray(new JsonObject { ["path"] = "src/Greeter.cs", ["diff"] = diff }),
            }.ToJsonString()));
        using var connection = ChatClientFactory.Create(new LlmOptions
        {
            Provider = LlmProvider.OpenAI,
            Endpoint = _server.BaseUrl.ToString(),
            Model = "loopback-model",
            MaxRetries = 0,
            TimeoutSeconds = 30,
        }, _ => null);
        var team = new AgentTeam(TeamHarness.Pipeline(connection.Chat), TeamHarness.DefaultOptions, _h.Traces, _repo.Toolbox);

        var result = await team.RunAsync(TeamHarness.Request(TeamHarness.Masks(architect: 0, critic: 0, integrator: 0, maxIterations: 1)), null, CancellationToken.None);

        var requests = _server.ChatRequests;
        Assert.Equal(2, requests.Count);
        var offered = requests[0].Body!["tools"]!.AsArray().Select(t => t!["function"]!["name"]!.GetValue<string>()).Order().ToList();
        Assert.Equal(["changed_files", "read_file", "retrieve_memory", "search_repo"], offered);
        var toolMessage = requests[1].Body!["messages"]!.AsArray().Last()!;
        Assert.Equal("tool", toolMessage["role"]!.GetValue<string>());
        Assert.Contains("hello there", toolMessage["content"]!.ToJsonString());
        Assert.Null(Assert.Single(result.Proposals).Review);
        Assert.Null(Assert.Single(result.Reviews).Violations.FirstOrDefault(v => v.RuleId == CurrentFiles.StalePatchRule));
        Assert.Equal(2, _h.EventsOf(TraceEventTypes.AgentCall).Count); // each round trip is its own model call
        Assert.Equal("read_file", Assert.Single(_h.EventsOf(TraceEventTypes.AgentToolCall)).Data["tool"]!.GetValue<string>());
    }
}
