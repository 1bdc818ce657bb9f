using MiniMe.Configuration;
using MiniMe.Providers;

using Microsoft.Extensions.AI;

namespace MiniMe.Agents.Tests.Providers;

public class ProviderSettingsTests
{
    private static Func<string, string?> Env(params (string Name, string Value)[] vars) =>
        name => vars.FirstOrDefault(v => v.Name == name).Value;

    [Theory]
    [InlineData(LlmProvider.OpenAI, null, "https://api.openai.com/v1/")]
    [InlineData(LlmProvider.OpenAI, "http://127.0.0.1:8080", "http://127.0.0.1:8080/v1/")]
    [InlineData(LlmProvider.OpenAI, "http://127.0.0.1:8080/v1", "http://127.0.0.1:8080/v1/")]
    [InlineData(LlmProvider.Ollama, null, "http://127.0.0.1:11434/")]
    [InlineData(LlmProvider.Anthropic, null, "https://api.anthropic.com/")]
    public void EndpointsDefaultAndNormalize(LlmProvider provider, string? endpoint, string expected)
    {
        var settings = ProviderSettings.Resolve(new LlmOptions { Provider = provider, Endpoint = endpoint, Model = "m" }, Env(("OPENAI_API_KEY", "k"), ("ANTHROPIC_API_KEY", "k")));
        Assert.Equal(expected, settings.Endpoint.ToString());
    }

    [Fact]
    public void MissingModelNamesTheSetting()
    {
        var e = Assert.Throws<ConfigException>(() => ProviderSettings.Resolve(new LlmOptions { Provider = LlmProvider.Ollama }, Env()));
        Assert.Contains("llm.model", e.Message);
        Assert.Contains("MINIME_LLM__MODEL", e.Message);
    }

    [Fact]
    public void HostedServiceNeedsAKeyButALocalServerDoesNot()
    {
        var e = Assert.Throws<ConfigException>(() => ProviderSettings.Resolve(new LlmOptions { Provider = LlmProvider.Anthropic, Model = "claude" }, Env()));
        Assert.Contains("ANTHROPIC_API_KEY is not set", e.Message);
        var local = ProviderSettings.Resolve(new LlmOptions { Provider = LlmProvider.OpenAI, Endpoint = "http://127.0.0.1:1234/v1", Model = "m" }, Env());
        Assert.False(local.HasApiKey);
    }

    [Fact]
    public void KeyComesFromTheConfiguredVariableAndNeverFromToString()
    {
        var settings = ProviderSettings.Resolve(
            new LlmOptions { Provider = LlmProvider.OpenAI, Model = "m", ApiKeyVariable = "MY_KEY" },
            Env(("MY_KEY", "sk-secret-value-123456789")));
        Assert.True(settings.HasApiKey);
        Assert.Equal("MY_KEY", settings.KeyVariable);
        Assert.DoesNotContain("secret", settings.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void NoneIsNotAProvider()
    {
        var e = Assert.Throws<ConfigException>(() => ProviderSettings.Resolve(new LlmOptions(), Env()));
        Assert.Contains("llm.provider: none", e.Message);
    }

    [Fact]
    public void OllamaAndAnthropicClientsComeFromTheirSdks()
    {
        using var ollama = ChatClientFactory.Create(new LlmOptions { Provider = LlmProvider.Ollama, Model = "llama3.1" }, Env());
        Assert.NotNull(ollama.Chat.GetService<OllamaSharp.OllamaApiClient>());
        Assert.Equal("llama3.1", ollama.Chat.GetService<Microsoft.Extensions.AI.ChatClientMetadata>()?.DefaultModelId);
        using var anthropic = ChatClientFactory.Create(new LlmOptions { Provider = LlmProvider.Anthropic, Model = "claude-sonnet-4-5" }, Env(("ANTHROPIC_API_KEY", "k")));
        Assert.Equal("anthropic", anthropic.Chat.GetService<Microsoft.Extensions.AI.ChatClientMetadata>()?.ProviderName);
    }
}
