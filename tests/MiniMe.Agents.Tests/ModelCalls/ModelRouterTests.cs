using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.AI;
using MiniMe.Configuration;
using MiniMe.ModelCalls;
using MiniMe.Providers;
using MiniMe.Testing;
using MiniMe.Tracing;

namespace MiniMe.Agents.Tests.ModelCalls;

/// <summary>
/// The router over real providers: two loopback OpenAI-compatible servers as the named models "a" and
/// "b", each behind its own model pipeline; fallbacks, per-agent choice and router rules decide which
/// server a call reaches.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ModelRouterTests : IAsyncLifetime
{
    private LoopbackOpenAiServer _a = null!;
    private LoopbackOpenAiServer _b = null!;
    private readonly List<ProviderConnection> _connections = [];

    public async Task InitializeAsync()
    {
        _a = await LoopbackOpenAiServer.StartAsync();
        _b = await LoopbackOpenAiServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var c in _connections) c.Dispose();
        await _a.DisposeAsync();
        await _b.DisposeAsync();
    }

    private static NamedModelOptions Model(string name, string endpoint) => new()
    {
        Name = name,
        Provider = LlmProvider.OpenAI,
        Endpoint = endpoint,
        Model = "loopback-model",
        ApiKeyVariable = "MINIME_TEST_UNSET_KEY",
    };

    private static LlmOptions Llm(string aEndpoint, string bEndpoint) => new()
    {
        MaxRetries = 1,
        RetryBaseDelayMs = 1,
        Models = [Model("a", aEndpoint), Model("b", bEndpoint)],
    };

    private ModelRouter Router(LlmOptions llm, RouterOptions? rules = null) => new(
        NamedModels.Of(llm), llm, rules ?? new RouterOptions(),
        model =>
        {
            var connection = ChatClientFactory.Create(model.Options, _ => null);
            _connections.Add(connection);
            return TeamHarness.Pipeline(connection.Chat);
        },
        ProviderErrors.Fallback);

    /// <summary>A port nothing listens on: connecting is refused.</summary>
    private static string DeadEndpoint()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"http://127.0.0.1:{port}/v1";
    }

    [Theory]
    [InlineData("dead", false)]
    [InlineData("dead", true)]
    [InlineData("500", false)]
    [InlineData("500", true)]
    [InlineData("429", false)]
    [InlineData("429", true)]
    public async Task A_failing_first_model_falls_back_to_the_second_and_the_trace_says_why(string failure, bool streaming)
    {
        var aEndpoint = failure == "dead" ? DeadEndpoint() : _a.BaseUrl.ToString();
        var status = failure switch { "500" => HttpStatusCode.InternalServerError, "429" => HttpStatusCode.TooManyRequests, _ => HttpStatusCode.OK };
        if (status != HttpStatusCode.OK) _a.Responder = _ => ScriptedReply.Error(status, retryAfter: "0");
        _b.Enqueue(ScriptedReply.Text("from b", promptTokens: 10, completionTokens: 2));
        var llm = Llm(aEndpoint, _b.BaseUrl.ToString());
        llm.Fallbacks = ["b"];
        llm.Agents.Architect = "a";
        var client = new RoutedChatClient(Router(llm));
        using var h = new TeamHarness();
        List<ChatMessage> prompt = [new(ChatRole.User, "hi")];

        using (var call = ModelCall.Begin(new ModelCallInfo(TeamHarness.RunId, AgentNames.Architect, Traces: h.Traces)))
        {
            var text = streaming
                ? (await client.GetStreamingResponseAsync(prompt).ToChatResponseAsync()).Text
                : (await client.GetResponseAsync(prompt)).Text;
            Assert.Equal("from b", text);
            Assert.Equal("b", call.ModelName);
        }
        h.Traces.Flush(TeamHarness.RunId);

        if (status != HttpStatusCode.OK) Assert.Equal(2, _a.ChatRequests.Count); // its own retry first
        Assert.Single(_b.ChatRequests);
        var fallback = Assert.Single(h.EventsOf(TraceEventTypes.ModelFallback)).Data;
        Assert.Equal("a", fallback["from"]!.GetValue<string>());
        Assert.Equal("b", fallback["to"]!.GetValue<string>());
        Assert.Equal(failure switch { "dead" => "unreachable", "500" => "http_5xx", _ => "rate_limited" }, fallback["reason"]!.GetValue<string>());
        Assert.Equal(status == HttpStatusCode.OK ? null : (int)status, fallback["status"]?.GetValue<int>());
        Assert.Equal(AgentNames.Architect, fallback["agent"]!.GetValue<string>());
        var calls = h.EventsOf(TraceEventTypes.AgentCall).Select(e => (e.Data["model_name"]!.GetValue<string>(), e.Data["status"]!.GetValue<string>()));
        Assert.Equal([("a", "failed"), ("b", "completed")], calls);
    }

    [Fact]
    public async Task A_stream_that_fails_after_its_first_token_does_not_fall_back()
    {
        _a.Enqueue(ScriptedReply.Text("the first words, then nothing") with { StallAfterFirstChunk = TimeSpan.FromSeconds(30) });
        var llm = Llm(_a.BaseUrl.ToString(), _b.BaseUrl.ToString());
        llm.Models[0].TimeoutSeconds = 1;
        llm.Fallbacks = ["b"];
        var client = new RoutedChatClient(Router(llm));
        using var h = new TeamHarness();
        var received = new System.Text.StringBuilder();

        using (ModelCall.Begin(new ModelCallInfo(TeamHarness.RunId, AgentNames.Builder, Traces: h.Traces)))
        {
            var error = await Assert.ThrowsAsync<LlmUnavailableException>(async () =>
            {
                await foreach (var update in client.GetStreamingResponseAsync([new(ChatRole.User, "hi")])) received.Append(update.Text);
            });
            Assert.Contains("stopped streaming", error.Message, StringComparison.Ordinal);
        }
        h.Traces.Flush(TeamHarness.RunId);

        Assert.NotEmpty(received.ToString()); // a token had arrived: too late to fall back
        Assert.StartsWith(received.ToString(), "the first words, then nothing", StringComparison.Ordinal);
        Assert.Empty(_b.ChatRequests);
        Assert.Empty(h.EventsOf(TraceEventTypes.ModelFallback));
    }

    [Fact]
    public async Task Rejected_credentials_do_not_fall_back()
    {
        _a.Responder = _ => ScriptedReply.Error(HttpStatusCode.Unauthorized);
        var llm = Llm(_a.BaseUrl.ToString(), _b.BaseUrl.ToString());
        llm.Fallbacks = ["b"];
        var client = new RoutedChatClient(Router(llm));
        using var h = new TeamHarness();

        using (ModelCall.Begin(new ModelCallInfo(TeamHarness.RunId, AgentNames.Builder, Traces: h.Traces)))
        {
            var error = await Assert.ThrowsAsync<LlmUnavailableException>(() => client.GetResponseAsync([new(ChatRole.User, "hi")]));
            Assert.Contains("HTTP 401", error.Message, StringComparison.Ordinal);
        }
        h.Traces.Flush(TeamHarness.RunId);

        Assert.Empty(_b.ChatRequests);
        Assert.Empty(h.EventsOf(TraceEventTypes.ModelFallback));
    }

    [Fact]
    public async Task Each_agent_calls_the_model_llm_agents_names()
    {
        _a.Responder = r => AgentReplies.For(AgentReplies.AgentOf(r.MessagesText));
        _b.Responder = r => AgentReplies.For(AgentReplies.AgentOf(r.MessagesText));
        var llm = Llm(_a.BaseUrl.ToString(), _b.BaseUrl.ToString());
        llm.Agents = new AgentModelOptions { Architect = "a", Builder = "b", Critic = "b", Integrator = "a" };
        using var h = new TeamHarness();

        await new AgentTeam(new RoutedChatClient(Router(llm)), TeamHarness.DefaultOptions, h.Traces).RunAsync(TeamHarness.Request(), null, CancellationToken.None);

        var onA = _a.ChatRequests.Select(r => AgentReplies.AgentOf(r.MessagesText)).Distinct().Order();
        var onB = _b.ChatRequests.Select(r => AgentReplies.AgentOf(r.MessagesText)).Distinct().Order();
        Assert.Equal([AgentNames.Architect, AgentNames.Integrator], onA);
        Assert.Equal([AgentNames.Builder, AgentNames.Critic], onB);
        foreach (var e in h.EventsOf(TraceEventTypes.AgentCall))
        {
            var agent = e.Data["agent"]!.GetValue<string>();
            Assert.Equal(agent is AgentNames.Architect or AgentNames.Integrator ? "a" : "b", e.Data["model_name"]!.GetValue<string>());
            Assert.Equal("loopback-model", e.Data["model"]!.GetValue<string>()); // the server's model id, not the team's scripted-model
        }
    }

    [Fact]
    public async Task A_rule_by_complexity_sends_a_complex_task_to_the_big_model()
    {
        _a.Responder = _ => ScriptedReply.Text("small");
        _b.Responder = _ => ScriptedReply.Text("big");
        var llm = Llm(_a.BaseUrl.ToString(), _b.BaseUrl.ToString());
        llm.Models[1].Name = "big";
        llm.Agents.Critic = "big";
        var router = Router(llm, new RouterOptions
        {
            Rules =
            [
                new RouterRule { When = new RouterCondition { Complexity = TaskComplexity.High }, Model = "big" },
                new RouterRule { When = new RouterCondition { BudgetBelowTokens = 5000 }, Model = "a" },
            ],
        });
        var client = new RoutedChatClient(router);
        List<ChatMessage> prompt = [new(ChatRole.User, "hi")];

        async Task<string> AskAsync(double complexity)
        {
            using var routing = ModelRouting.Begin(complexity: complexity);
            using var call = ModelCall.Begin(new ModelCallInfo(null, AgentNames.Builder));
            return (await client.GetResponseAsync(prompt)).Text;
        }

        Assert.Equal("big", await AskAsync(0.8));
        Assert.Equal("small", await AskAsync(0.2));
        Assert.Equal((1, 1), (_a.ChatRequests.Count, _b.ChatRequests.Count));
        Assert.Equal("a", router.DefaultModel);
        Assert.Equal("big", router.Choose(new ModelRequest(AgentNames.Builder, Complexity: 0.9, BudgetLeftTokens: 100))); // the first matching rule wins
        Assert.Equal("big", router.Choose(new ModelRequest(AgentNames.Critic, Complexity: 0.5, BudgetLeftTokens: 100_000))); // llm.agents
        Assert.Equal("a", router.Choose(new ModelRequest(AgentNames.Critic, Complexity: 0.5, BudgetLeftTokens: 100))); // a rule before llm.agents
        Assert.Equal("big", router.Choose(new ModelRequest(AgentNames.Builder, Model: "big", Complexity: 0.1)));
        Assert.Throws<ConfigException>(() => router.Choose(new ModelRequest(Model: "huge")));
    }
}
