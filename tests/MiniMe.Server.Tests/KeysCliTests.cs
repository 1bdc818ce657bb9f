using System.Text.Json;
using MiniMe.Server.Auth;
using MiniMe.Server.Storage;
using MiniMe.Server.Tests.Support;

namespace MiniMe.Server.Tests;

public sealed class KeysCliTests : IDisposable
{
    private readonly string _home = Path.Combine(Path.GetTempPath(), "minime-server-tests", Guid.NewGuid().ToString("N"));
    private readonly string _trust = Directory.CreateTempSubdirectory("minime-keys-trust-").FullName;

    private Task<(int Code, string Out, string Error)> RunAsync(params string[] args) => CliRun.RunAsync(_home, Path.Combine(_trust, "trust.json"), args);

    [Fact]
    public async Task Keys_create_list_revoke()
    {
        Assert.Equal(0, (await RunAsync("init", "--name", "nima")).Code);
        var created = await RunAsync("keys", "create", "laptop", "--json");
        Assert.Equal(0, created.Code);
        var json = JsonDocument.Parse(created.Out).RootElement;
        var secret = json.GetProperty("key").GetString()!;
        Assert.StartsWith(ApiKeyStore.Prefix, secret, StringComparison.Ordinal);
        Assert.Equal("nima", json.GetProperty("user").GetString());

        var store = new ApiKeyStore(new SqliteServerDatabase(Path.Combine(_home, SqliteServerDatabase.FileName)));
        Assert.Equal("laptop", store.Authenticate(secret)?.Name);

        var list = await RunAsync("keys", "list", "--json");
        Assert.Contains("laptop", list.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, list.Out, StringComparison.Ordinal);

        var duplicate = await RunAsync("keys", "create", "laptop");
        Assert.Equal(2, duplicate.Code);
        Assert.Contains("exists", duplicate.Error, StringComparison.Ordinal);
        Assert.Equal(2, (await RunAsync("keys", "create", "../evil")).Code);

        Assert.Equal(0, (await RunAsync("keys", "revoke", "laptop")).Code);
        Assert.Null(store.Authenticate(secret));
        Assert.Equal(1, (await RunAsync("keys", "revoke", "laptop")).Code);
        Assert.Equal(2, (await RunAsync("serve", "--urls", "ftp://example")).Code);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_home, recursive: true); } catch (IOException) { }
        try { Directory.Delete(_trust, recursive: true); } catch (IOException) { }
    }
}
