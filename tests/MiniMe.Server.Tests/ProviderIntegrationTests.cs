using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using MiniMe.Configuration;
using MiniMe.Providers;
using MiniMe.Server.Ask;
using MiniMe.Server.Tests.Support;
using MiniMe.Testing;
using MiniMe.Tracing;

namespace MiniMe.Server.Tests;

/// <summary>
/// The server as `minime serve` wires it: the real OpenAI-compatible provider (HTTP, JSON, SSE) against
/// the loopback model server, the agent team behind /v1/ask, and the tool runner behind approvals.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ProviderIntegrationTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private LoopbackOpenAiServer _model = null!;
    private ProviderConnection _connection = null!;

    public async Task InitializeAsync()
    {
        _model = await LoopbackOpenAiServer.StartAsync();
        _connection = ChatClientFactory.Create(
            new LlmOptions { Provider = LlmProvider.OpenAI, Endpoint = _model.BaseUrl.ToString(), Model = "loopback-model", ApiKeyVariable = "MINIME_TEST_UNSET_KEY", RetryBaseDelayMs = 1 });
    }

    public async Task DisposeAsync()
    {
        _connection.Dispose();
        await _model.DisposeAsync();
    }

    private Task<TestServer> StartAsync() => TestServer.StartAsync(_connection.Chat);

    [Fact]
    public async Task Chat_stream_relays_the_providers_sse_tokens()
    {
        _model.Enqueue(ScriptedReply.Text("Use exponential backoff with jitter."));
        await using var server = await StartAsync();
        var client = server.Client(server.CreateKey("k"));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/stream") { Content = JsonContent.Create(new { message = "How should I retry?" }) };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var sse = new SseReader(await response.Content.ReadAsStreamAsync());
        using var timeout = new CancellationTokenSource(Patience);
        var events = await sse.RestAsync(timeout.Token);

        var text = string.Concat(events.Where(e => e.GetProperty("type").GetString() == "delta").Select(e => e.GetProperty("text").GetString()));
        Assert.Equal("Use exponential backoff with jitter.", text);
        Assert.Equal("done", events[^1].GetProperty("type").GetString());
        var sent = Assert.Single(_model.ChatRequests);
        Assert.Contains("How should I retry?", sent.MessagesText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ask_runs_the_team_and_an_approved_proposal_executes_within_the_allowlist()
    {
        _model.Responder = r => AgentReplies.For(AgentReplies.AgentOf(r.MessagesText));
        await using var server = await StartAsync();
        var client = server.Client(server.CreateKey("k"));

        var ask = await client.PostJsonAsync("/v1/ask", new { task = AgentReplies.TeamTask });
        Assert.Equal("completed", ask.GetProperty("status").GetString());
        var runId = ask.GetProperty("run_id").GetString()!;
        var pending = (await client.GetJsonAsync("/v1/proposals")).EnumerateArray().ToList();
        Assert.Equal(2, pending.Count);
        var write = pending.Single(p => p.GetProperty("tool").GetString() == "write_file").GetProperty("id").GetString();
        var run = pending.Single(p => p.GetProperty("tool").GetString() == "run_command").GetProperty("id").GetString();

        var approved = await client.PostJsonAsync($"/v1/proposals/{write}/approve", new { });
        Assert.True(approved.GetProperty("executed").GetBoolean(), approved.GetProperty("message").GetString());
        Assert.Equal("public static class Greeter {}", await File.ReadAllTextAsync(Path.Combine(server.Root, "src", "Greeter.cs")));

        // `dotnet test` runs repository code: the default allowlist refuses it before anyone is asked, so approving it runs nothing.
        var refused = await client.PostJsonAsync($"/v1/proposals/{run}/approve", new { });
        Assert.False(refused.GetProperty("executed").GetBoolean());
        Assert.Contains("refused", refused.GetProperty("message").GetString(), StringComparison.Ordinal);

        var trace = new TraceStore(server.Workspace.TracesDirectory).Read(runId);
        Assert.Equal(4, trace.Count(e => e.EventType == TraceEventTypes.AgentCall));
        Assert.Single(trace, e => e.EventType == TraceEventTypes.Approval);
        Assert.Equal(["succeeded", "refused"], trace.Where(e => e.EventType == TraceEventTypes.Execution).Select(e => e.Data["status"]!.GetValue<string>()));
    }

    [Fact]
    public async Task An_approved_proposal_outside_the_allowlist_is_refused_and_writes_nothing()
    {
        _model.Responder = r => AgentReplies.For(AgentReplies.AgentOf(r.MessagesText),
            integration: """{"summary":"s","proposals":[{"tool":"write_file","arguments":{"path":"../outside.txt","content":"x"},"rationale":"r"}]}""");
        await using var server = await StartAsync();
        var client = server.Client(server.CreateKey("k"));
        await client.PostJsonAsync("/v1/ask", new { task = AgentReplies.TeamTask });
        var pending = (await client.GetJsonAsync("/v1/proposals")).EnumerateArray().ToList();
        Assert.Single(pending);
        var outcome = await client.PostJsonAsync($"/v1/proposals/{pending[0].GetProperty("id").GetString()}/approve", new { });
        Assert.False(outcome.GetProperty("executed").GetBoolean());
        Assert.StartsWith("refused", outcome.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(server.Root)!, "outside.txt")));
    }
}
