using System.Net;
using MiniMe.Configuration;
using MiniMe.Providers;
using MiniMe.Testing;

namespace MiniMe.Agents.Tests.Providers;

[Trait("Category", "Integration")]
public sealed class ProviderDoctorTests : IAsyncLifetime
{
    private LoopbackOpenAiServer _server = null!;

    public async Task InitializeAsync() => _server = await LoopbackOpenAiServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private LlmOptions Options(string model = "loopback-model") => new() { Provider = LlmProvider.OpenAI, Endpoint = _server.BaseUrl.ToString(), Model = model, RetryBaseDelayMs = 1 };

    [Fact]
    public async Task HealthyServerPassesEveryCheck()
    {
        _server.Enqueue(ScriptedReply.Text("OK", 12, 1));
        var checks = await ProviderDoctor.CheckAsync(Options(), _ => null);

        Assert.True(ProviderDoctor.IsHealthy(checks));
        Assert.Equal(["provider", "api key", "endpoint", "model", "test call"], checks.Select(c => c.Name));
        Assert.Equal(CheckStatus.Warning, checks[1].Status); // no key: fine for a local server
        Assert.Contains("1 model listed", checks[2].Detail);
        Assert.Contains("\"OK\", 12+1 tokens", checks[4].Detail);
    }

    [Fact]
    public async Task KeyPresenceIsReportedButNeverItsValue()
    {
        _server.Enqueue(ScriptedReply.Text("OK"));
        var options = Options();
        options.ApiKeyVariable = "DOCTOR_KEY";
        var checks = await ProviderDoctor.CheckAsync(options, n => n == "DOCTOR_KEY" ? "sk-doctor-secret-value-1234567890" : null);
        var key = Assert.Single(checks, c => c.Name == "api key");
        Assert.Equal(CheckStatus.Ok, key.Status);
        Assert.Equal("DOCTOR_KEY is set", key.Detail);
        Assert.DoesNotContain(checks, c => c.Detail.Contains("secret", StringComparison.Ordinal));
    }

    [Fact]
    public async Task UnknownModelIsAWarningWithTheListedModels()
    {
        _server.Enqueue(ScriptedReply.Text("OK"));
        var checks = await ProviderDoctor.CheckAsync(Options("gpt-9"), _ => null);
        var model = Assert.Single(checks, c => c.Name == "model");
        Assert.Equal(CheckStatus.Warning, model.Status);
        Assert.Contains("loopback-model", model.Detail);
    }

    [Fact]
    public async Task UnreachableEndpointFailsWithAFix()
    {
        var options = Options();
        options.Endpoint = "http://127.0.0.1:1/v1";
        var checks = await ProviderDoctor.CheckAsync(options, _ => null);
        Assert.False(ProviderDoctor.IsHealthy(checks));
        var endpoint = checks[^1];
        Assert.Equal("endpoint", endpoint.Name);
        Assert.Contains("connection refused", endpoint.Detail);
        Assert.NotNull(endpoint.Fix);
    }

    [Fact]
    public async Task FailingTestCallIsReported()
    {
        _server.Enqueue(ScriptedReply.Error(HttpStatusCode.NotFound));
        var checks = await ProviderDoctor.CheckAsync(Options(), _ => null);
        Assert.Equal(CheckStatus.Failed, checks[^1].Status);
        Assert.Contains("HTTP 404", checks[^1].Detail);
    }

    [Fact]
    public async Task ProviderNoneFails()
    {
        var checks = await ProviderDoctor.CheckAsync(new LlmOptions(), _ => null);
        Assert.False(ProviderDoctor.IsHealthy(checks));
        Assert.Contains("MINIME_LLM__PROVIDER", Assert.Single(checks).Fix);
    }
}
