using System.Net;
using Microsoft.Extensions.AI;
using MiniMe.Configuration;
using MiniMe.ModelCalls;
using MiniMe.Providers;
using MiniMe.Testing;
using MiniMe.Tracing;

namespace MiniMe.Agents.Tests.ModelCalls;

/// <summary>HTTP retries of the real provider (Polly in ResilientHttp) show on the model call and in its agent_call.</summary>
[Trait("Category", "Integration")]
public sealed class HttpRetryTraceTests : IAsyncLifetime
{
    private LoopbackOpenAiServer _server = null!;

    public async Task InitializeAsync() => _server = await LoopbackOpenAiServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private ProviderConnection Connect() => ChatClientFactory.Create(new LlmOptions
    {
        Provider = LlmProvider.OpenAI,
        Endpoint = _server.BaseUrl.ToString(),
        Model = "loopback-model",
        MaxRetries = 3,
        RetryBaseDelayMs = 1,
        ApiKeyVariable = "MINIME_TEST_UNSET_KEY",
    }, _ => null);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_503_answered_by_a_retry_is_one_model_call_with_one_http_retry(bool streaming)
    {
        _server.Enqueue(ScriptedReply.Error(HttpStatusCode.ServiceUnavailable), ScriptedReply.Text("after a retry", promptTokens: 12, completionTokens: 4));
        using var connection = Connect();
        using var h = new TeamHarness();
        var client = TeamHarness.Pipeline(connection.Chat);
        List<ChatMessage> prompt = [new(ChatRole.User, "hi")];

        using (var call = ModelCall.Begin(new ModelCallInfo(TeamHarness.RunId, AgentNames.Architect, Traces: h.Traces)))
        {
            var text = streaming
                ? (await client.GetStreamingResponseAsync(prompt).ToChatResponseAsync()).Text
                : (await client.GetResponseAsync(prompt)).Text;
            Assert.Equal("after a retry", text);
            Assert.Equal(1, call.HttpRetries);
        }

        Assert.Equal(2, _server.ChatRequests.Count);
        var data = Assert.Single(h.EventsOf(TraceEventTypes.AgentCall)).Data;
        Assert.Equal(1, data["http_retries"]!.GetValue<int>());
        Assert.Equal(0, data["retries"]!.GetValue<int>()); // no schema re-ask
        Assert.Equal(16, data["prompt_tokens"]!.GetValue<long>() + data["completion_tokens"]!.GetValue<long>());
    }

    [Fact]
    public async Task The_team_reports_http_retries_per_agent_call()
    {
        _server.Enqueue(ScriptedReply.Error(HttpStatusCode.ServiceUnavailable), ScriptedReply.Error(HttpStatusCode.TooManyRequests, retryAfter: "0"));
        _server.Responder = r => AgentReplies.For(AgentReplies.AgentOf(r.MessagesText));
        using var connection = Connect();
        using var h = new TeamHarness();
        var finished = new List<AgentCallRecord>();
        await new AgentTeam(TeamHarness.Pipeline(connection.Chat), TeamHarness.DefaultOptions with { Model = "loopback-model" }, h.Traces)
            .RunAsync(TeamHarness.Request(), (e, _) =>
            {
                if (e is AgentFinished f) finished.Add(f.Call);
                return ValueTask.CompletedTask;
            }, CancellationToken.None);

        Assert.Equal([2, 0, 0, 0], h.EventsOf(TraceEventTypes.AgentCall).Select(e => e.Data["http_retries"]!.GetValue<int>()));
        Assert.Equal([2, 0, 0, 0], finished.Select(c => c.HttpRetries));
    }
}
