using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using MiniMe.Configuration;
using MiniMe.Providers;
using MiniMe.Testing;

namespace MiniMe.Agents.Tests.Providers;

/// <summary>The real OpenAI provider code (SDK + resilient HttpClient + error translation) against a loopback server.</summary>
[Trait("Category", "Integration")]
public sealed class OpenAiProviderTests : IAsyncLifetime
{
    private LoopbackOpenAiServer _server = null!;

    public async Task InitializeAsync() => _server = await LoopbackOpenAiServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private LlmOptions Options(int maxRetries = 2, int timeoutSeconds = 30, string? keyVariable = null) => new()
    {
        Provider = LlmProvider.OpenAI,
        Endpoint = _server.BaseUrl.ToString(),
        Model = "loopback-model",
        MaxRetries = maxRetries,
        RetryBaseDelayMs = 1,
        TimeoutSeconds = timeoutSeconds,
        ApiKeyVariable = keyVariable,
    };

    private ProviderConnection Connect(LlmOptions? options = null, Func<string, string?>? env = null) =>
        ChatClientFactory.Create(options ?? Options(), env ?? (_ => null));

    [Fact]
    public async Task NonStreamingReturnsTextAndUsage()
    {
        _server.Enqueue(ScriptedReply.Text("Hello there", promptTokens: 11, completionTokens: 3));
        using var connection = Connect();
        var response = await connection.Chat.GetResponseAsync([new ChatMessage(ChatRole.System, "Be brief."), new ChatMessage(ChatRole.User, "Hi")],
            new ChatOptions { Temperature = 0.2f, MaxOutputTokens = 50 });

        Assert.Equal("Hello there", response.Text);
        Assert.Equal(11, response.Usage!.InputTokenCount);
        Assert.Equal(3, response.Usage.OutputTokenCount);
        Assert.Equal("loopback-model", response.ModelId);
        var request = Assert.Single(_server.ChatRequests);
        Assert.Equal("loopback-model", request.Body!["model"]!.GetValue<string>());
        Assert.Equal(2, request.Body["messages"]!.AsArray().Count);
        Assert.Equal(0.2, request.Body["temperature"]!.GetValue<double>(), 3);
        Assert.Null(request.Header("Authorization")); // no key: no credential is sent
    }

    [Fact]
    public async Task StreamingReadsSseChunksAndUsage()
    {
        const string text = "{\"summary\": \"streamed in many small pieces\"}";
        _server.Enqueue(ScriptedReply.Text(text, promptTokens: 20, completionTokens: 9) with { ChunkSize = 4 });
        using var connection = Connect();
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in connection.Chat.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "go")], new ChatOptions { ResponseFormat = ChatResponseFormat.Json }))
            updates.Add(update);

        Assert.True(updates.Count(u => u.Text.Length > 0) >= 10);
        var response = updates.ToChatResponse();
        Assert.Equal(text, response.Text);
        Assert.Equal(20, response.Usage!.InputTokenCount);
        Assert.Equal(9, response.Usage.OutputTokenCount);
        var request = Assert.Single(_server.ChatRequests);
        Assert.True(request.Streaming);
        Assert.Equal("json_object", request.Body!["response_format"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task ApiKeyIsSentAsABearerToken()
    {
        _server.Enqueue(ScriptedReply.Text("ok"));
        using var connection = Connect(Options(keyVariable: "TEST_KEY"), name => name == "TEST_KEY" ? "sk-loopback-test-key" : null);
        await connection.Chat.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")]);
        Assert.Equal("Bearer sk-loopback-test-key", _server.ChatRequests[0].Header("Authorization"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ToolCallsAreParsedAndAnsweredThroughFunctionInvocation(bool streaming)
    {
        _server.Enqueue(ScriptedReply.ToolCall("get_weather", """{"city":"Oslo"}"""), ScriptedReply.Text("It is sunny in Oslo."));
        using var connection = Connect();
        string? askedCity = null;
        var weather = AIFunctionFactory.Create((string city) => { askedCity = city; return $"sunny in {city}"; }, "get_weather", "Weather for a city");
        using var client = new ChatClientBuilder(connection.Chat).UseFunctionInvocation().Build();
        var options = new ChatOptions { Tools = [weather] };
        List<ChatMessage> messages = [new(ChatRole.User, "Weather in Oslo?")];
        var text = streaming
            ? (await client.GetStreamingResponseAsync(messages, options).ToChatResponseAsync()).Text
            : (await client.GetResponseAsync(messages, options)).Text;

        Assert.Equal("Oslo", askedCity);
        Assert.Equal("It is sunny in Oslo.", text);
        var requests = _server.ChatRequests;
        Assert.Equal(2, requests.Count);
        Assert.Equal("get_weather", requests[0].Body!["tools"]![0]!["function"]!["name"]!.GetValue<string>());
        var toolMessage = requests[1].Body!["messages"]!.AsArray().Last()!;
        Assert.Equal("tool", toolMessage["role"]!.GetValue<string>());
        Assert.Equal("call_1", toolMessage["tool_call_id"]!.GetValue<string>());
        Assert.Contains("sunny in Oslo", toolMessage["content"]!.ToJsonString());
    }

    [Fact]
    public async Task RateLimitIsRetriedThenSucceeds()
    {
        _server.Enqueue(ScriptedReply.Error(HttpStatusCode.TooManyRequests, retryAfter: "0"), ScriptedReply.Error(HttpStatusCode.ServiceUnavailable), ScriptedReply.Text("finally"));
        using var connection = Connect(Options(maxRetries: 3));
        var response = await connection.Chat.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")]);
        Assert.Equal("finally", response.Text);
        Assert.Equal(3, _server.ChatRequests.Count);
    }

    [Fact]
    public async Task StreamingRequestIsRetriedAfterRateLimit()
    {
        _server.Enqueue(ScriptedReply.Error(HttpStatusCode.TooManyRequests, retryAfter: "0"), ScriptedReply.Text("streamed after retry"));
        using var connection = Connect();
        var response = await connection.Chat.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "hi")]).ToChatResponseAsync();
        Assert.Equal("streamed after retry", response.Text);
        Assert.Equal(2, _server.ChatRequests.Count);
    }

    [Fact]
    public async Task ServerErrorsAfterTheRetriesAreATypedError()
    {
        _server.Responder = _ => ScriptedReply.Error(HttpStatusCode.InternalServerError);
        using var connection = Connect(Options(maxRetries: 2));
        var error = await Assert.ThrowsAsync<LlmUnavailableException>(() => connection.Chat.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")]));
        Assert.Contains("HTTP 500 after 2 retries", error.Message);
        Assert.Contains(_server.BaseUrl.ToString(), error.Message);
        Assert.Equal(3, _server.ChatRequests.Count);
    }

    [Fact]
    public async Task RejectedCredentialsAreNotRetried()
    {
        _server.Enqueue(ScriptedReply.Error(HttpStatusCode.Unauthorized));
        using var connection = Connect();
        var error = await Assert.ThrowsAsync<LlmUnavailableException>(() => connection.Chat.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")]));
        Assert.Contains("rejected the credentials (HTTP 401)", error.Message);
        Assert.Contains("OPENAI_API_KEY (it is not set)", error.Message);
        Assert.Single(_server.ChatRequests);
    }

    [Fact]
    public async Task SlowServerTimesOutWithAClearError()
    {
        _server.Enqueue(ScriptedReply.Text("too late").After(TimeSpan.FromSeconds(30)));
        using var connection = Connect(Options(maxRetries: 0, timeoutSeconds: 1));
        var error = await Assert.ThrowsAsync<LlmUnavailableException>(() => connection.Chat.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")]));
        Assert.Contains("did not answer within 1 s (1 attempt)", error.Message);
        Assert.Contains("llm.timeoutSeconds", error.Message);
    }

    [Fact]
    public async Task TimedOutAttemptIsRetried()
    {
        _server.Enqueue(ScriptedReply.Text("too late").After(TimeSpan.FromSeconds(30)), ScriptedReply.Text("on time"));
        // 3 s per attempt, not 1: the retry must still answer in time on a loaded CI machine.
        using var connection = Connect(Options(maxRetries: 1, timeoutSeconds: 3));
        var response = await connection.Chat.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")]);
        Assert.Equal("on time", response.Text);
        Assert.Equal(2, _server.ChatRequests.Count);
    }

    [Fact]
    public async Task StalledStreamTimesOutWithAClearError()
    {
        _server.Enqueue(ScriptedReply.Text("first chunk then nothing") with { StallAfterFirstChunk = TimeSpan.FromSeconds(30) });
        using var connection = Connect(Options(maxRetries: 0, timeoutSeconds: 1));
        var error = await Assert.ThrowsAsync<LlmUnavailableException>(async () =>
        {
            await foreach (var _ in connection.Chat.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "hi")]))
            {
            }
        });
        Assert.Contains("stopped streaming for 1 s", error.Message);
    }

    [Fact]
    public async Task CancellationIsNotTranslated()
    {
        _server.Enqueue(ScriptedReply.Text("slow").After(TimeSpan.FromSeconds(30)));
        using var connection = Connect();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => connection.Chat.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")], cancellationToken: cts.Token));
    }

    [Fact]
    public async Task UnreachableEndpointSaysSoInOneLine()
    {
        var options = Options(maxRetries: 0);
        options.Endpoint = "http://127.0.0.1:1/v1";
        using var connection = Connect(options);
        var error = await Assert.ThrowsAsync<LlmUnavailableException>(() => connection.Chat.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")]));
        Assert.StartsWith("Cannot reach the openai endpoint http://127.0.0.1:1/v1/ (connection refused)", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public async Task ModelsAreListed()
    {
        _server.Models.Add("other-model");
        using var connection = Connect();
        Assert.Equal(["loopback-model", "other-model"], await connection.Models.ListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task TheTeamRunsOverTheRealProvider()
    {
        _server.Responder = r => AgentReplies.For(AgentReplies.AgentOf(r.MessagesText));
        using var connection = Connect();
        using var h = new TeamHarness();
        var team = new AgentTeam(TeamHarness.Pipeline(connection.Chat), TeamHarness.DefaultOptions with { Model = "loopback-model" }, h.Traces);
        var request = TeamHarness.Request();
        var result = await team.RunAsync(request, null, CancellationToken.None);

        Assert.Equal(2, result.Proposals.Count);
        Assert.Equal(4, _server.ChatRequests.Count);
        Assert.All(_server.ChatRequests, r => Assert.True(r.Streaming));
        Assert.Equal(request.Meter.TotalTokens, h.EventsOf(MiniMe.Tracing.TraceEventTypes.AgentCall).Sum(e => e.Data["prompt_tokens"]!.GetValue<long>() + e.Data["completion_tokens"]!.GetValue<long>()));
        Assert.False(request.Meter.Estimated); // usage came from the server's SSE usage chunk
    }
}
