using System.Net;
using System.Net.Http.Headers;
using MiniMe.Server.Tests.Support;

namespace MiniMe.Server.Tests;

[Trait("Category", "Integration")]
public sealed class AuthTests
{
    [Fact]
    public async Task Health_needs_no_key()
    {
        await using var server = await TestServer.StartAsync();
        var health = await server.Client().GetJsonAsync("/health");
        Assert.Equal("ok", health.GetProperty("status").GetString());
    }

    [Theory]
    [InlineData("/v1/me")]
    [InlineData("/v1/conversations")]
    [InlineData("/v1/runs")]
    [InlineData("/v1/memory/facts")]
    [InlineData("/openapi/v1.json")]
    [InlineData("/metrics")]
    public async Task Every_endpoint_but_health_answers_401_problem_without_a_key(string path)
    {
        await using var server = await TestServer.StartAsync();
        using var response = await server.Client().GetAsync(path);
        var detail = await response.AssertProblemAsync(401);
        Assert.Contains("minime keys create", detail, StringComparison.Ordinal);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task Wrong_scheme_unknown_key_and_revoked_key_are_401()
    {
        await using var server = await TestServer.StartAsync();
        var basic = server.Client();
        basic.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", "dXNlcjpwYXNz");
        Assert.Contains("Bearer", await (await basic.GetAsync("/v1/me")).AssertProblemAsync(401), StringComparison.Ordinal);

        var unknown = server.Client("mm_" + new string('x', 43));
        Assert.Contains("not valid", await (await unknown.GetAsync("/v1/me")).AssertProblemAsync(401), StringComparison.Ordinal);

        var key = server.CreateKey("laptop");
        var client = server.Client(key);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/me")).StatusCode);
        server.Keys.Revoke("laptop");
        await (await client.GetAsync("/v1/me")).AssertProblemAsync(401);
    }

    private static byte[] ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    [Fact]
    public async Task A_key_acts_for_its_user()
    {
        await using var server = await TestServer.StartAsync();
        var owner = await server.Client(server.CreateKey("mine")).GetJsonAsync("/v1/me");
        Assert.Equal("owner", owner.GetProperty("user_id").GetString());
        Assert.True(owner.GetProperty("workspace_owner").GetBoolean());
        Assert.False(owner.GetProperty("chat_model").GetBoolean());

        var bob = await server.Client(server.CreateKey("bobs", "bob")).GetJsonAsync("/v1/me");
        Assert.Equal("bob", bob.GetProperty("user_id").GetString());
        Assert.False(bob.GetProperty("workspace_owner").GetBoolean());
    }

    [Fact]
    public async Task Keys_are_stored_hashed()
    {
        await using var server = await TestServer.StartAsync();
        var secret = server.CreateKey("laptop");
        var database = Path.Combine(server.Workspace.Root, "server.db");
        var text = string.Concat(new[] { database, database + "-wal" }.Where(File.Exists)
            .Select(f => System.Text.Encoding.UTF8.GetString(ReadShared(f))));
        Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        Assert.Contains(Auth.ApiKeyStore.Hash(secret), text, StringComparison.Ordinal);
    }
}
