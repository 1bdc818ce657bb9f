using Microsoft.Extensions.DependencyInjection;
using MiniMe.Configuration;
using MiniMe.Memory.Facts;
using MiniMe.Server.Facts;
using MiniMe.Server.Tests.Support;
using MiniMe.Storage.Sqlite;

namespace MiniMe.Server.Tests;

/// <summary>The API's facts as `minime serve` wires them: the CLI's fact service in each user's memory.</summary>
[Trait("Category", "Integration")]
public sealed class FactServiceTests
{
    private static Task<TestServer> StartAsync() =>
        TestServer.StartAsync();

    [Fact]
    public async Task A_contradiction_supersedes_and_the_cli_sees_the_same_facts()
    {
        await using var server = await StartAsync();
        var client = server.Client(server.CreateKey("k"));
        var first = await client.PostJsonAsync("/v1/memory/facts", new { text = "My favorite editor is vim", category = "preference" });
        Assert.Equal("added", first.GetProperty("outcome").GetString());
        var again = await client.PostJsonAsync("/v1/memory/facts", new { text = "my favorite editor is vim." });
        Assert.Equal("reinforced", again.GetProperty("outcome").GetString());
        var changed = await client.PostJsonAsync("/v1/memory/facts", new { text = "My favorite editor is emacs", category = "preference" });
        Assert.Equal("superseded", changed.GetProperty("outcome").GetString());

        var listed = (await client.GetJsonAsync("/v1/memory/facts")).EnumerateArray().Select(f => f.GetProperty("text").GetString()).ToList();
        Assert.Equal(["My favorite editor is emacs"], listed);

        // The same store `minime facts` reads: the old fact is kept as history, not deleted.
        var options = ConfigurationLoader.Load(server.Workspace);
        var service = new FactService(new SqliteFactStore(server.Workspace.ResolvePath(options.Memory.Path)), options.Facts);
        var all = await service.ListAsync(new FactQuery(Limit: 10), CancellationToken.None);
        Assert.Contains(all, f => f.Text == "My favorite editor is vim" && f.Status == FactStatus.Superseded);
    }

    [Fact]
    public async Task Delete_retracts_and_another_users_facts_are_invisible()
    {
        await using var server = await StartAsync();
        var owner = server.Client(server.CreateKey("owner-key"));
        var other = server.Client(server.CreateKey("other-key", user: "alice"));
        var fact = await owner.PostJsonAsync("/v1/memory/facts", new { text = "I deploy on Fridays never" });
        var id = fact.GetProperty("fact").GetProperty("id").GetInt64();

        using (var peek = await other.GetAsync($"/v1/memory/facts/{id}"))
            Assert.Equal(System.Net.HttpStatusCode.NotFound, peek.StatusCode);
        Assert.Empty((await other.GetJsonAsync("/v1/memory/facts")).EnumerateArray());

        using (var delete = await owner.DeleteAsync($"/v1/memory/facts/{id}"))
            Assert.True(delete.IsSuccessStatusCode);
        Assert.Empty((await owner.GetJsonAsync("/v1/memory/facts")).EnumerateArray());
    }
}
