using System.ClientModel;
using System.ClientModel.Primitives;
using Anthropic;
using Microsoft.Extensions.AI;
using MiniMe.Configuration;
using OllamaSharp;
using OpenAI;

namespace MiniMe.Providers;

/// <summary>
/// Builds the <see cref="IChatClient"/> for llm.provider: the vendor SDK's Microsoft.Extensions.AI
/// adapter over a resilient HttpClient (<see cref="ResilientHttp"/>), wrapped by
/// <see cref="ProviderErrorChatClient"/>. The caller owns the returned connection.
/// </summary>
public static class ChatClientFactory
{
    /// <param name="transport">Innermost HTTP handler (tests); null uses the network stack.</param>
    public static ProviderConnection Create(LlmOptions options, Func<string, string?>? environment = null, HttpMessageHandler? transport = null) =>
        Create(ProviderSettings.Resolve(options, environment), transport);

    public static ProviderConnection Create(ProviderSettings settings, HttpMessageHandler? transport = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var options = settings.Options;
        switch (settings.Kind)
        {
            case LlmProvider.OpenAI:
            {
                var http = ResilientHttp.Create(options, transport, anonymous: !settings.HasApiKey);
                var client = new OpenAIClient(new ApiKeyCredential(settings.ApiKey ?? "no-key"), new OpenAIClientOptions
                {
                    Endpoint = settings.Endpoint,
                    Transport = new HttpClientPipelineTransport(http),
                    RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
                    NetworkTimeout = Timeout.InfiniteTimeSpan,
                });
                var chat = client.GetChatClient(settings.Model).AsIChatClient();
                return new ProviderConnection(settings, Wrap(chat, settings), new OpenAiModelCatalog(client), http);
            }
            case LlmProvider.Ollama:
            {
                var http = ResilientHttp.Create(options, transport, baseAddress: settings.Endpoint);
                var client = new OllamaApiClient(http, settings.Model);
                return new ProviderConnection(settings, Wrap(client, settings), new OllamaModelCatalog(client), http, client);
            }
            case LlmProvider.Anthropic:
            {
                var http = ResilientHttp.Create(options, transport);
                var client = new AnthropicClient(new Anthropic.Core.ClientOptions
                {
                    ApiKey = settings.ApiKey, // the SDK sends it as a bearer token; null: none, and no environment look-up
                    BaseUrl = settings.Endpoint.ToString().TrimEnd('/'),
                    HttpClient = http,
                    MaxRetries = 0,
                    Timeout = Timeout.InfiniteTimeSpan,
                });
                var chat = client.AsIChatClient(settings.Model, options.MaxOutputTokens);
                return new ProviderConnection(settings, Wrap(chat, settings), new AnthropicModelCatalog(client), http, client);
            }
            default:
                throw new ConfigException($"llm.provider '{settings.Provider}' is unknown; use openai, ollama or anthropic.");
        }
    }

    private static IChatClient Wrap(IChatClient inner, ProviderSettings settings) =>
        new ChatClientBuilder(inner)
            .ConfigureOptions(o => o.ModelId ??= settings.Model)
            .Use(client => new ProviderErrorChatClient(client, settings))
            .Build();
}

/// <summary>A usable provider: the chat client, the model listing, and what to dispose.</summary>
public sealed class ProviderConnection(ProviderSettings settings, IChatClient chat, IModelCatalog models, params IDisposable[] owned) : IDisposable
{
    public ProviderSettings Settings { get; } = settings;
    public IChatClient Chat { get; } = chat;
    public IModelCatalog Models { get; } = models;

    public void Dispose()
    {
        Chat.Dispose();
        foreach (var d in owned) d.Dispose();
    }
}
