using System.Text.Json;
using MiniMe.Cli;
using MiniMe.Cli.Hosting;
using MiniMe.Configuration;
using MiniMe.Server.Auth;
using MiniMe.Server.Storage;
using Spectre.Console;

namespace MiniMe.Server.Tests;

public sealed class KeysCliTests : IDisposable
{
    private readonly string _home = Path.Combine(Path.GetTempPath(), "minime-server-tests", Guid.NewGuid().ToString("N"));
    private readonly string _trust = Directory.CreateTempSubdirectory("minime-keys-trust-").FullName;

    private async Task<(int Code, string Out, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Interactive = InteractionSupport.No, Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = 200;
        var code = await CliApp.RunAsync([.. args, "--home", _home], new CliContext(console, error, interactive: false, trustFile: Path.Combine(_trust, "trust.json")));
        return (code, output.ToString(), error.ToString());
    }

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

        var store = new ApiKeyStore(ServerDatabase.For(new Workspace(_home)));
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
