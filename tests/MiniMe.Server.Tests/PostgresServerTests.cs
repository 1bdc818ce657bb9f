using System.Net;
using System.Text.Json;
using MiniMe.Server.Auth;
using MiniMe.Server.Storage;
using MiniMe.Server.Tests.Support;
using MiniMe.Tests.Support;
using Npgsql;

namespace MiniMe.Server.Tests;

/// <summary>
/// memory.store postgres puts the server's own state in PostgreSQL too: two servers over one database
/// share keys and conversations, the CLI's `keys` writes where the servers read, and no server.db is
/// ever created.
/// </summary>
[Trait("Category", "Integration")]
[Collection(PostgresCollection.Name)]
[RequiresPostgres]
public sealed class PostgresServerTests(PostgresServerFixture postgres) : IAsyncLifetime
{
    private string _connectionString = "";

    public async Task InitializeAsync() => _connectionString = await postgres.CreateDatabaseAsync();

    public Task DisposeAsync() => postgres.DropDatabaseAsync(_connectionString);

    private Dictionary<string, string?> Settings => new()
    {
        ["memory:store"] = "postgres",
        ["memory:connectionString"] = _connectionString,
    };

    [ContractFact]
    public async Task Two_servers_over_one_database_share_keys_and_conversations_and_write_no_server_db()
    {
        await using var one = await TestServer.StartAsync(new ScriptedChatClient().Enqueue("We deploy with helm."), settings: Settings);
        await using var two = await TestServer.StartAsync(new ScriptedChatClient().Enqueue("Roll back with helm rollback."), settings: Settings);
        var key = one.CreateKey("laptop");
        var first = one.Client(key);
        var second = two.Client(key);

        var reply = await first.PostJsonAsync("/v1/chat", new { message = "How do we deploy?" });
        var id = reply.GetProperty("conversation_id").GetString()!;
        var listed = await second.GetJsonAsync("/v1/conversations");
        await second.PostJsonAsync("/v1/chat", new { message = "And roll back?", conversation_id = id });
        var detail = await first.GetJsonAsync($"/v1/conversations/{id}");

        Assert.Equal(id, Assert.Single(listed.EnumerateArray()).GetProperty("id").GetString());
        Assert.Equal(
            ["How do we deploy?", "We deploy with helm.", "And roll back?", "Roll back with helm rollback."],
            detail.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("content").GetString()));
        Assert.Equal((1, 1, 4), (await CountAsync("api_keys"), await CountAsync("conversations"), await CountAsync("messages")));
        Assert.False(File.Exists(Path.Combine(one.Workspace.Root, SqliteServerDatabase.FileName)), "server one wrote server.db");
        Assert.False(File.Exists(Path.Combine(two.Workspace.Root, SqliteServerDatabase.FileName)), "server two wrote server.db");

        two.Keys.Revoke("laptop");
        using var revoked = await first.GetAsync("/v1/me");
        Assert.Equal(HttpStatusCode.Unauthorized, revoked.StatusCode);
    }

    [ContractFact]
    public async Task Keys_cli_with_memory_store_postgres_keeps_the_key_in_postgres_and_creates_no_server_db()
    {
        var home = Path.Combine(Path.GetTempPath(), "minime-server-tests", Guid.NewGuid().ToString("N"));
        var trust = Directory.CreateTempSubdirectory("minime-keys-trust-").FullName;
        try
        {
            Task<(int Code, string Out, string Error)> Run(params string[] args) => CliRun.RunAsync(home, Path.Combine(trust, "trust.json"), args);
            Assert.Equal(0, (await Run("init", "--name", "nima")).Code);
            var config = Path.Combine(home, "config.yaml");
            File.WriteAllText(config, File.ReadAllText(config)
                .Replace("store: sqlite", "store: postgres", StringComparison.Ordinal)
                .Replace("# connectionString:", $"connectionString: '{_connectionString}' #", StringComparison.Ordinal));

            var created = await Run("keys", "create", "laptop", "--json");
            Assert.True(created.Code == 0, created.Error);
            var secret = JsonDocument.Parse(created.Out).RootElement.GetProperty("key").GetString()!;
            await using (var database = new PostgresServerDatabase(_connectionString))
                Assert.Equal(("laptop", "nima"), new ApiKeyStore(database).Authenticate(secret) is { } k ? (k.Name, k.UserId) : default);
            Assert.Contains("laptop", (await Run("keys", "list")).Out, StringComparison.Ordinal);
            Assert.Equal(0, (await Run("keys", "revoke", "laptop")).Code);

            Assert.Equal(1, await CountAsync("api_keys"));
            Assert.Equal(0, await CountAsync("api_keys WHERE revoked_at IS NULL"));
            Assert.False(File.Exists(Path.Combine(home, SqliteServerDatabase.FileName)), "keys wrote server.db");
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(home, recursive: true); } catch (IOException) { }
            try { Directory.Delete(trust, recursive: true); } catch (IOException) { }
        }
    }

    private async Task<long> CountAsync(string table)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM {PostgresServerDatabase.SchemaName}.{table}", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
