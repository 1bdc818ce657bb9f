using System.Net;
using Microsoft.Extensions.AI;
using MiniMe.Configuration;
using MiniMe.Providers;
using MiniMe.Testing;

namespace MiniMe.Agents.Tests.Providers;

/// <summary>The real Anthropic provider code (the Anthropic SDK's IChatClient over the resilient HttpClient) against the loopback server's Messages API.</summary>
[Trait("Category", "Integration")]
public sealed class AnthropicProviderTests : IAsyncLifetime
{
    private LoopbackOpenAiServer _server = null!;

    public async Task InitializeAsync() => _server = await LoopbackOpenAiServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private ProviderConnection Connect(int maxRetries = 2) => ChatClientFactory.Create(new LlmOptions
    {
        Provider = LlmProvider.Anthropic,
        Endpoint = _server.RootUrl.ToString(),
        Model = "loopback-model",
        MaxRetries = maxRetries,
        RetryBaseDelayMs = 1,
    }, name => name == "ANTHROPIC_API_KEY" ? "sk-ant-loopback-key-0123456789" : null);

    [Fact]
    public async Task NonStreamingReturnsTextUsageAndSendsTheKey()
    {
        _server.Enqueue(ScriptedReply.Text("Hello from Claude", promptTokens: 14, completionTokens: 4));
        using var connection = Connect();
        var response = await connection.Chat.GetResponseAsync([new ChatMessage(ChatRole.System, "Be brief."), new ChatMessage(ChatRole.User, "Hi")]);

        Assert.Equal("Hello from Claude", response.Text);
        Assert.Equal(14, response.Usage!.InputTokenCount);
        Assert.Equal(4, response.Usage.OutputTokenCount);
        var request = Assert.Single(_server.ChatRequests);
        Assert.Equal("/v1/messages", request.Path);
        Assert.Equal("sk-ant-loopback-key-0123456789", request.Header("Authorization")?.Replace("Bearer ", "", StringComparison.Ordinal));
        Assert.Equal("loopback-model", request.Body!["model"]!.GetValue<string>());
    }

    [Fact]
    public async Task StreamsTypedSseEvents()
    {
        _server.Enqueue(ScriptedReply.Text("{\"a\": \"streamed from claude\"}", promptTokens: 21, completionTokens: 6) with { ChunkSize = 6 });
        using var connection = Connect();
        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in connection.Chat.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "go")]))
            updates.Add(u);

        var response = updates.ToChatResponse();
        Assert.Equal("{\"a\": \"streamed from claude\"}", response.Text);
        Assert.True(updates.Count(u => u.Text.Length > 0) >= 4);
        Assert.Equal(6, response.Usage!.OutputTokenCount);
        Assert.True(_server.ChatRequests[0].Streaming);
    }

    [Fact]
    public async Task RateLimitIsRetriedByOurPipelineNotTheSdk()
    {
        _server.Enqueue(ScriptedReply.Error(HttpStatusCode.TooManyRequests, retryAfter: "0"), ScriptedReply.Text("after the retry"));
        using var connection = Connect();
        var response = await connection.Chat.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")]);
        Assert.Equal("after the retry", response.Text);
        Assert.Equal(2, _server.ChatRequests.Count);
    }

    [Fact]
    public async Task RejectedKeyIsTyped()
    {
        _server.Enqueue(ScriptedReply.Error(HttpStatusCode.Unauthorized));
        using var connection = Connect();
        var error = await Assert.ThrowsAsync<LlmUnavailableException>(() => connection.Chat.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")]));
        Assert.Contains("rejected the credentials (HTTP 401); check ANTHROPIC_API_KEY", error.Message);
        Assert.DoesNotContain("sk-ant", error.Message);
    }

    [Fact]
    public async Task TheTeamRunsOverAnthropic()
    {
        _server.Responder = r => AgentReplies.For(AgentReplies.AgentOf(r.Body!["system"]?.ToJsonString() ?? ""));
        using var connection = Connect();
        using var h = new TeamHarness();
        var request = TeamHarness.Request();
        var result = await new AgentTeam(TeamHarness.Pipeline(connection.Chat), TeamHarness.DefaultOptions with { Model = "loopback-model" }, h.Traces)
            .RunAsync(request, null, CancellationToken.None);
        Assert.Equal(2, result.Proposals.Count);
        Assert.Equal(4, _server.ChatRequests.Count);
        Assert.False(request.Meter.Estimated);
    }
}
