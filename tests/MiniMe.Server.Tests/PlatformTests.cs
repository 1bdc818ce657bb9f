using System.Text.Json;
using MiniMe.Server.Tests.Support;

namespace MiniMe.Server.Tests;

[Trait("Category", "Integration")]
public sealed class PlatformTests
{
    [Fact]
    public async Task OpenApi_document_lists_the_api_with_the_bearer_scheme()
    {
        await using var server = await TestServer.StartAsync();
        var document = await server.Client(server.CreateKey("k")).GetJsonAsync("/openapi/v1.json");
        var paths = document.GetProperty("paths");
        foreach (var path in new[] { "/health", "/v1/chat", "/v1/chat/stream", "/v1/conversations", "/v1/conversations/{id}", "/v1/memory/search", "/v1/memory/facts", "/v1/profile", "/v1/memory/import", "/v1/documents", "/v1/runs", "/v1/runs/{id}", "/v1/ask", "/v1/proposals/{id}/approve" })
            Assert.True(paths.TryGetProperty(path, out _), $"missing {path}");
        Assert.Equal("bearer", document.GetProperty("components").GetProperty("securitySchemes").GetProperty("ApiKey").GetProperty("scheme").GetString());
        Assert.True(paths.GetProperty("/v1/chat").GetProperty("post").TryGetProperty("security", out _));
        Assert.False(paths.GetProperty("/health").GetProperty("get").TryGetProperty("security", out _));
    }

    [Fact]
    public async Task Metrics_expose_requests_latency_tokens_cost_and_retrieval()
    {
        var model = new ScriptedChatClient().Enqueue("Fine.");
        await using var server = await TestServer.StartAsync(model);
        var client = server.Client(server.CreateKey("k"));
        await client.PostJsonAsync("/v1/chat", new { message = "How are the deployments going?" });
        await client.GetJsonAsync("/v1/memory/search?q=deployments");

        // The exporter caches a scrape briefly; read until the chat shows up.
        string text = "";
        for (var attempt = 0; attempt < 50 && !text.Contains("minime_model_tokens", StringComparison.Ordinal); attempt++)
        {
            if (attempt > 0) await Task.Delay(200);
            text = await client.GetStringAsync("/metrics");
        }
        Assert.Contains("minime_server_requests_total{", text, StringComparison.Ordinal);
        Assert.Contains("route=\"/v1/chat/\"", text, StringComparison.Ordinal);
        Assert.Contains("minime_server_request_duration_seconds_bucket{", text, StringComparison.Ordinal);
        Assert.Matches("minime_model_tokens_total\\{[^}]*agent=\"chat\"[^}]*direction=\"completion\"[^}]*model=\"scripted-model\"[^}]*\\} [1-9]", text);
        Assert.Contains("minime_retrieval_duration_seconds_count{", text, StringComparison.Ordinal);
        Assert.Contains("origin=\"search\"", text, StringComparison.Ordinal);
        Assert.Contains("minime_model_cost_usd_total{", text, StringComparison.Ordinal);
        Assert.Contains("minime_model_call_duration_seconds_bucket{", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_web_ui_is_served_without_a_key()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client();
        using var page = await client.GetAsync("/");
        Assert.Contains("<title>MiniMe</title>", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Contains("export", await client.GetStringAsync("/vendor/marked.esm.js"), StringComparison.Ordinal);
        Assert.Contains("sanitize", await client.GetStringAsync("/vendor/purify.es.mjs"), StringComparison.Ordinal);
        Assert.Contains("Chart", await client.GetStringAsync("/vendor/chart.umd.min.js"), StringComparison.Ordinal);
        Assert.Contains("renderMarkdown", await client.GetStringAsync("/js/markdown.js"), StringComparison.Ordinal);
    }

    [Fact]
    public void Server_options_reject_bad_values_with_the_setting_name()
    {
        var options = new ServerOptions { RateLimitPermits = 0, MaxImportBytes = 10 };
        var error = Assert.Throws<MiniMe.Configuration.InvalidSettingsException>(() => options.Validate("config.yaml"));
        Assert.Contains("server.rateLimitPermits", error.Message, StringComparison.Ordinal);
        Assert.Contains("server.maxImportBytes", error.Message, StringComparison.Ordinal);
    }
}
