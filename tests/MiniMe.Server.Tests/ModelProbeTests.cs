using System.Net;
using System.Net.Sockets;
using MiniMe.Configuration;
using MiniMe.Providers;
using MiniMe.Testing;

namespace MiniMe.Server.Tests;

/// <summary>The quick endpoint check `minime serve` warns with: one attempt, a short timeout, one line.</summary>
[Trait("Category", "Integration")]
public sealed class ModelProbeTests
{
    private static LlmOptions OpenAi(string endpoint) =>
        new() { Provider = LlmProvider.OpenAI, Endpoint = endpoint, Model = "loopback-model", ApiKeyVariable = "MINIME_TEST_UNSET_KEY", RetryBaseDelayMs = 1 };

    [Fact]
    public async Task A_listening_model_server_passes_and_no_provider_is_not_checked()
    {
        await using var model = await LoopbackOpenAiServer.StartAsync();
        Assert.Null(await ProviderDoctor.ProbeEndpointAsync(OpenAi(model.BaseUrl.ToString()), TimeSpan.FromSeconds(10)));
        Assert.Contains(model.Requests, r => r.Path.EndsWith("/models", StringComparison.Ordinal));
        Assert.Null(await ProviderDoctor.ProbeEndpointAsync(new LlmOptions(), TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task A_closed_port_is_connection_refused_after_one_attempt()
    {
        var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();

        var error = await ProviderDoctor.ProbeEndpointAsync(OpenAi($"http://127.0.0.1:{port}/v1"), TimeSpan.FromSeconds(3));

        Assert.NotNull(error);
        Assert.StartsWith($"Cannot reach the openai endpoint http://127.0.0.1:{port}/v1/ (connection refused)", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public async Task A_server_that_never_answers_times_out_with_a_probe_message()
    {
        // Accepts connections (the backlog) and never answers a byte.
        var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        try
        {
            var port = ((IPEndPoint)silent.LocalEndpoint).Port;
            var error = await ProviderDoctor.ProbeEndpointAsync(OpenAi($"http://127.0.0.1:{port}/v1"), TimeSpan.FromSeconds(1));

            Assert.NotNull(error);
            Assert.Equal($"The openai endpoint http://127.0.0.1:{port}/v1/ did not answer within 1 s; is it starting, or behind a slow network? `minime doctor` checks it at length.", error.Message);
        }
        finally
        {
            silent.Stop();
        }
    }
}
