using System.Net;
using System.Net.Http.Json;
using MiniMe.Server.Tests.Support;

namespace MiniMe.Server.Tests;

[Trait("Category", "Integration")]
public sealed class LimitsTests
{
    [Fact]
    public async Task Requests_over_the_rate_limit_get_429_problem_with_retry_after_per_key()
    {
        await using var server = await TestServer.StartAsync(tweak: o => { o.RateLimitPermits = 3; o.RateLimitWindowSeconds = 3600; });
        var client = server.Client(server.CreateKey("busy"));
        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/me")).StatusCode);
        using var limited = await client.GetAsync("/v1/me");
        var detail = await limited.AssertProblemAsync(429);
        Assert.Contains("3 requests per 3600 s", detail, StringComparison.Ordinal);
        Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero);

        // Another key has its own budget, and health is never limited.
        Assert.Equal(HttpStatusCode.OK, (await server.Client(server.CreateKey("calm")).GetAsync("/v1/me")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);
    }

    [Fact]
    public async Task A_body_over_the_limit_gets_413_problem_and_import_has_its_own_limit()
    {
        await using var server = await TestServer.StartAsync(tweak: o => { o.MaxRequestBytes = 2048; o.MaxImportBytes = 64 * 1024; });
        var client = server.Client(server.CreateKey("big"));
        // Declared length: refused before the body is read. Chunked (no length): Kestrel stops
        // reading at the limit. Either way the server may answer and close while the client is still
        // writing (a broken pipe on the client side), so a few attempts are allowed; one must show
        // the 413 problem.
        async Task<string?> RefusedAsync(Func<Task<HttpResponseMessage>> send)
        {
            for (var attempt = 0; attempt < 5; attempt++)
            {
                try
                {
                    using var response = await send();
                    return await response.AssertProblemAsync(413);
                }
                catch (HttpRequestException e) when (e.InnerException is IOException)
                {
                    // The server refused the body by closing the connection mid-upload; try again.
                }
            }
            return null;
        }
        var body = System.Text.Json.JsonSerializer.Serialize(new { message = new string('a', 4096) });
        Assert.Contains("at most 2048", await RefusedAsync(() => client.PostAsync("/v1/chat", new StringContent(body, System.Text.Encoding.UTF8, "application/json"))), StringComparison.Ordinal);
        Assert.Contains("2048 bytes", await RefusedAsync(() => client.PostAsJsonAsync("/v1/chat", new { message = new string('a', 4096) })), StringComparison.Ordinal);

        var text = string.Join("\n\n", Enumerable.Range(0, 200).Select(i => $"Paragraph {i} about deployment pipelines and rollbacks."));
        var report = await client.PostJsonAsync("/v1/memory/import", new { documents = new[] { new { name = "big.md", content = text } } });
        Assert.Equal(1, report.GetProperty("files_imported").GetInt32());

        Assert.Contains("65536", await RefusedAsync(() => client.PostAsJsonAsync("/v1/memory/import", new { documents = new[] { new { name = "huge.md", content = new string('b', 70 * 1024) } } })), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Malformed_json_and_bad_input_are_400_problems()
    {
        await using var server = await TestServer.StartAsync(new ScriptedChatClient());
        var client = server.Client(server.CreateKey("k"));
        using var malformed = await client.PostAsync("/v1/chat", new StringContent("{\"message\": ", System.Text.Encoding.UTF8, "application/json"));
        await malformed.AssertProblemAsync(400);
        using var empty = await client.PostAsJsonAsync("/v1/chat", new { message = "  " });
        Assert.Contains("empty", await empty.AssertProblemAsync(400), StringComparison.Ordinal);
        using var badK = await client.GetAsync("/v1/memory/search?q=deploy&k=0");
        Assert.Contains("k must be", await badK.AssertProblemAsync(400), StringComparison.Ordinal);
        using var unknownRoute = await client.GetAsync("/v1/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, unknownRoute.StatusCode);
        using var hostileName = await client.PostAsJsonAsync("/v1/memory/import", new { documents = new[] { new { name = "../../etc/passwd", content = "x" } } });
        Assert.Contains("plain file name", await hostileName.AssertProblemAsync(400), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(server.Workspace.Root, "..", "..", "etc", "passwd")));
    }
}
