using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using MiniMe.Hooks;
using MiniMe.Server.Tests.Support;
using MiniMe.Testing;
using MiniMe.Tracing;

namespace MiniMe.Server.Tests;

/// <summary>An in-process hook registered through the composition root, seen by POST /v1/ask and by an API approval.</summary>
public sealed class HookApiTests
{
    private const string Allowlist = """
        read:
          include: ["**"]
        write:
          include: ["src/**"]
        commands:
          - program: sh
            args: ["scripts/mark.sh"]
        """;

    private sealed class NoScriptsHook : IRunHook
    {
        public ConcurrentQueue<string> Seen { get; } = new();
        public string Name => "no-scripts";

        public ValueTask<HookVerdict> OnEventAsync(HookEvent e, CancellationToken cancellationToken)
        {
            Seen.Enqueue(e.Name);
            return ValueTask.FromResult(e.Name == HookEvents.BeforeTool && e.Payload["arguments"]!["argv"]!.ToJsonString().Contains("scripts/", StringComparison.Ordinal)
                ? HookVerdict.Denied("scripts need a human at the terminal")
                : HookVerdict.Allowed);
        }
    }

    [Fact]
    public async Task A_registered_hook_sees_the_run_and_an_approved_command_it_denies_answers_vetoed_and_does_not_run()
    {
        var hook = new NoScriptsHook();
        var model = new MiniMe.Testing.ScriptedChatClient
        {
            Responder = call => AgentReplies.For(AgentReplies.AgentOf(call.SystemText),
                integration: """{"summary":"Run the marker.","proposals":[{"tool":"run_command","arguments":{"argv":["sh","scripts/mark.sh"]},"rationale":"leave a marker"}]}"""),
        };
        await using var server = await TestServer.StartAsync(model, services: s => s.AddSingleton<IRunHook>(hook));
        await File.WriteAllTextAsync(server.Workspace.AllowlistPath, Allowlist);
        Directory.CreateDirectory(Path.Combine(server.Root, "scripts"));
        await File.WriteAllTextAsync(Path.Combine(server.Root, "scripts", "mark.sh"), "echo ran >> runs.txt\n");
        server.TrustWorkspace();
        var client = server.Client(server.CreateKey("k"));

        var ask = await client.PostJsonAsync("/v1/ask", new { task = AgentReplies.TeamTask });
        var runId = ask.GetProperty("run_id").GetString()!;
        Assert.Equal(HookEvents.BeforeRun, hook.Seen.First());
        Assert.Contains(HookEvents.BeforeAgentCall, hook.Seen);
        Assert.Contains(HookEvents.AfterRun, hook.Seen);
        var id = Assert.Single((await client.GetJsonAsync("/v1/proposals")).EnumerateArray()).GetProperty("id").GetString()!;

        var decided = await client.PostJsonAsync($"/v1/proposals/{id}/approve", new { });

        Assert.False(decided.GetProperty("executed").GetBoolean());
        Assert.Equal("vetoed by hook no-scripts: scripts need a human at the terminal", decided.GetProperty("message").GetString());
        Assert.False(File.Exists(Path.Combine(server.Root, "runs.txt")));
        var trace = new TraceStore(server.Workspace.TracesDirectory).Read(runId);
        var execution = Assert.Single(trace, e => e.EventType == TraceEventTypes.Execution);
        Assert.Equal("vetoed", execution.Data["status"]!.GetValue<string>());
        var deny = Assert.Single(trace, e => e.EventType == TraceEventTypes.Hook && e.Data["verdict"]!.GetValue<string>() == "deny");
        Assert.Equal("before_tool", deny.Data["event"]!.GetValue<string>());
        Assert.Equal("scripts need a human at the terminal", deny.Data["reason"]!.GetValue<string>());
    }
}
