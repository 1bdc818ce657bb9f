using System.Net;
using Microsoft.Extensions.AI;
using MiniMe.Configuration;
using MiniMe.Providers;
using MiniMe.Testing;

namespace MiniMe.Agents.Tests.Providers;

/// <summary>The real Ollama provider code (OllamaSharp over the resilient HttpClient) against the loopback server's Ollama dialect.</summary>
[Trait("Category", "Integration")]
public sealed class OllamaProviderTests : IAsyncLifetime
{
    private LoopbackOpenAiServer _server = null!;

    public async Task InitializeAsync() => _server = await LoopbackOpenAiServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private ProviderConnection Connect(int maxRetries = 2, int timeoutSeconds = 30) => ChatClientFactory.Create(new LlmOptions
    {
        Provider = LlmProvider.Ollama,
        Endpoint = _server.RootUrl.ToString(),
        Model = "loopback-model",
        MaxRetries = maxRetries,
        RetryBaseDelayMs = 1,
        TimeoutSeconds = timeoutSeconds,
    }, _ => null);

    [Fact]
    public async Task StreamsNdjsonWithUsage()
    {
        _server.Enqueue(ScriptedReply.Text("{\"a\": \"streamed from ollama\"}", promptTokens: 30, completionTokens: 8) with { ChunkSize = 5 });
        using var connection = Connect();
        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in connection.Chat.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "go")], new ChatOptions { ResponseFormat = ChatResponseFormat.Json, Temperature = 0.1f }))
            updates.Add(u);

        var response = updates.ToChatResponse();
        Assert.True(updates.Count(u => u.Text.Length > 0) >= 5);
        Assert.Equal("{\"a\": \"streamed from ollama\"}", response.Text);
        Assert.Equal(30, response.Usage!.InputTokenCount);
        Assert.Equal(8, response.Usage.OutputTokenCount);
        var request = Assert.Single(_server.ChatRequests);
        Assert.Equal("/api/chat", request.Path);
        Assert.Equal("loopback-model", request.Body!["model"]!.GetValue<string>());
        Assert.Equal("json", request.Body["format"]!.GetValue<string>());
    }

    [Fact]
    public async Task RetriesAfterAServerError()
    {
        _server.Enqueue(ScriptedReply.Error(HttpStatusCode.ServiceUnavailable), ScriptedReply.Text("recovered"));
        using var connection = Connect();
        var response = await connection.Chat.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "hi")]).ToChatResponseAsync();
        Assert.Equal("recovered", response.Text);
        Assert.Equal(2, _server.ChatRequests.Count);
    }

    [Fact]
    public async Task PersistentErrorIsTyped()
    {
        _server.Responder = _ => ScriptedReply.Error(HttpStatusCode.InternalServerError);
        using var connection = Connect(maxRetries: 1);
        var error = await Assert.ThrowsAsync<LlmUnavailableException>(() => connection.Chat.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "hi")]).ToChatResponseAsync());
        Assert.Contains("ollama endpoint", error.Message);
        Assert.Contains("HTTP 500", error.Message);
    }

    [Fact]
    public async Task ListsLocalModels()
    {
        using var connection = Connect();
        Assert.Equal(["loopback-model"], await connection.Models.ListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task TheTeamRunsOverOllama()
    {
        _server.Responder = r => AgentReplies.For(AgentReplies.AgentOf(r.MessagesText));
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
