using MiniMe.Configuration;

namespace MiniMe.Providers;

/// <summary>
/// The provider configuration resolved against defaults and the environment: which server, which
/// model, and the API key read from its environment variable. The key is never part of
/// <see cref="ToString"/> or any message.
/// </summary>
public sealed class ProviderSettings
{
    public const string OpenAi = "openai";
    public const string Ollama = "ollama";
    public const string Anthropic = "anthropic";

    private ProviderSettings(LlmProvider kind, string provider, Uri endpoint, string model, string keyVariable, string? apiKey, LlmOptions options)
    {
        Kind = kind;
        Provider = provider;
        Endpoint = endpoint;
        Model = model;
        KeyVariable = keyVariable;
        ApiKey = apiKey;
        Options = options;
    }

    public LlmProvider Kind { get; }
    /// <summary>The provider as config.yaml spells it (openai, ollama, anthropic), for messages and switches.</summary>
    public string Provider { get; }
    public Uri Endpoint { get; }
    public string Model { get; }
    /// <summary>The environment variable the key is read from (OPENAI_API_KEY, ANTHROPIC_API_KEY or llm.apiKeyVariable).</summary>
    public string KeyVariable { get; }
    internal string? ApiKey { get; }
    public bool HasApiKey => ApiKey is not null;
    public LlmOptions Options { get; }

    /// <summary>True when the endpoint is a vendor's cloud service, where a key is mandatory.</summary>
    public bool IsHostedService => Endpoint.Host is "api.openai.com" or "api.anthropic.com";

    public override string ToString() => $"{Provider} {Model} at {Endpoint}";

    public static Uri DefaultEndpoint(string provider) => provider switch
    {
        OpenAi => new Uri("https://api.openai.com/v1/"),
        Ollama => new Uri("http://127.0.0.1:11434/"),
        Anthropic => new Uri("https://api.anthropic.com/"),
        _ => throw new ConfigException($"llm.provider '{provider}' is unknown; use openai, ollama or anthropic."),
    };

    public static string DefaultKeyVariable(string provider) => provider == Anthropic ? "ANTHROPIC_API_KEY" : "OPENAI_API_KEY";

    /// <summary>Resolves the settings; a missing model or a missing key for a hosted service is a <see cref="ConfigException"/>.</summary>
    public static ProviderSettings Resolve(LlmOptions options, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        environment ??= Environment.GetEnvironmentVariable;
        if (options.Provider == LlmProvider.None)
            throw new ConfigException("No LLM provider is configured (llm.provider: none). Set llm.provider in config.yaml or MINIME_LLM__PROVIDER to openai, ollama or anthropic.", category: ErrorCategory.ModelNotConfigured);
        if (!Enum.IsDefined(options.Provider))
            throw new ConfigException($"llm.provider: {SettingValues.NotOneOf(options.Provider.ToString(), SettingValues.Names(typeof(LlmProvider)))}", category: ErrorCategory.InvalidSettings);
        var provider = SettingValues.Name(options.Provider);
        var endpoint = options.Endpoint is { Length: > 0 } configured ? Normalize(provider, configured) : DefaultEndpoint(provider);
        if (string.IsNullOrWhiteSpace(options.Model))
            throw new ConfigException($"llm.model is not set for provider {provider}; set it in config.yaml or MINIME_LLM__MODEL (e.g. {ExampleModel(provider)}).", category: ErrorCategory.ModelNotConfigured);
        var keyVariable = options.ApiKeyVariable is { Length: > 0 } v ? v.Trim() : DefaultKeyVariable(provider);
        var key = environment(keyVariable) is { Length: > 0 } k ? k.Trim() : null;
        var settings = new ProviderSettings(options.Provider, provider, endpoint, options.Model.Trim(), keyVariable, key, options);
        if (provider != Ollama && key is null && settings.IsHostedService)
            throw new ConfigException($"{keyVariable} is not set; {provider} at {endpoint} needs an API key in that environment variable.");
        return settings;
    }

    private static string ExampleModel(string provider) => provider switch
    {
        Ollama => "llama3.1",
        Anthropic => "claude-sonnet-4-5",
        _ => "gpt-4o-mini",
    };

    /// <summary>
    /// Base URLs end with '/' so relative paths append; an OpenAI-compatible URL given without a path
    /// (http://127.0.0.1:8080) gets the conventional /v1.
    /// </summary>
    private static Uri Normalize(string provider, string endpoint)
    {
        if (!Uri.TryCreate(endpoint.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new ConfigException($"llm.endpoint '{endpoint}' is not an http(s) URL.");
        var builder = new UriBuilder(uri);
        if (provider == OpenAi && builder.Path is "" or "/") builder.Path = "/v1";
        if (!builder.Path.EndsWith('/')) builder.Path += "/";
        return builder.Uri;
    }
}
