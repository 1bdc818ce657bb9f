using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using MiniMe.Configuration;
using MiniMe.Hosting;
using MiniMe.Hosting.Users;
using MiniMe.Memory.Facts;
using MiniMe.Tests.Support;
using Npgsql;

namespace MiniMe.Tests.Memory.Facts;

/// <summary>`minime remember` and `minime facts` on a workspace with memory.store: postgres: the facts live in PostgreSQL and no SQLite file appears.</summary>
[Trait("Category", "Integration")]
[Collection(PostgresCollection.Name)]
public sealed class PostgresFactsCliTests(PostgresServerFixture server) : IDisposable
{
    private readonly TempDirectory _dir = new();

    private string Home => _dir.Combine(".minime");

    private string MemoryFile => Path.Combine(Home, "memory.db");

    public void Dispose() => _dir.Dispose();

    private async Task<CliResult> Ok(params string[] args)
    {
        var result = await CliRunner.RunAsync([.. args, "--home", Home]);
        Assert.True(result.ExitCode == 0, $"minime {string.Join(' ', args)} exited {result.ExitCode}: {result.Error}");
        return result;
    }

    /// <summary>A workspace whose config names PostgreSQL; the memory.db `init` always creates is removed, so any SQLite file afterwards is new.</summary>
    private async Task<string> PostgresWorkspaceAsync()
    {
        await Ok("init", "--name", "Ada");
        var connectionString = await server.CreateDatabaseAsync();
        File.WriteAllText(Path.Combine(Home, "config.yaml"), $"""
            memory:
              store: postgres
              path: memory.db
              connectionString: "{connectionString}"
            """ + "\n");
        foreach (var file in Directory.GetFiles(Home, "memory.db*")) File.Delete(file);
        return connectionString;
    }

    private static async Task<List<(string Text, string Status, int SeenCount)>> RowsAsync(string connectionString, string table = "facts")
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT text, status, seen_count FROM {table} ORDER BY id", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(string, string, int)>();
        while (await reader.ReadAsync()) rows.Add((reader.GetString(0), reader.GetString(1), reader.GetInt32(2)));
        return rows;
    }

    [PostgresFact]
    public async Task Remember_and_facts_write_postgres_and_create_no_sqlite_file()
    {
        var connectionString = await PostgresWorkspaceAsync();

        Assert.Contains("Remembered #1 \"prefers dark mode\" in ui", (await Ok("remember", "prefers", "dark", "mode", "--category", "ui")).Out, StringComparison.Ordinal);
        Assert.Contains("seen 2 times", (await Ok("remember", "I prefer dark mode.")).Out, StringComparison.Ordinal);
        await Ok("remember", "lives in Oslo");
        await Ok("remember", "lives in Bergen");
        var listed = JsonNode.Parse((await Ok("facts", "list", "--json")).Out)!.AsArray();
        await Ok("facts", "forget", "1", "--yes");
        var history = JsonNode.Parse((await Ok("facts", "history", "1", "--json")).Out)!;

        Assert.Equal(["lives in Bergen", "prefers dark mode"], listed.Select(f => f!["text"]!.GetValue<string>()));
        Assert.Equal(["created", "reinforced", "retracted"], history["history"]!.AsArray().Select(e => e!["change"]!.GetValue<string>()));
        Assert.Equal(
            [("prefers dark mode", "retracted", 2), ("lives in Oslo", "superseded", 1), ("lives in Bergen", "active", 1)],
            await RowsAsync(connectionString));
        Assert.False(File.Exists(MemoryFile), "a memory.db appeared although memory.store is postgres");
        Assert.Empty(Directory.GetFiles(Home, "memory.db*"));
    }

    [PostgresFact]
    public async Task Each_engine_user_keeps_facts_in_the_schema_of_their_memory()
    {
        var connectionString = await PostgresWorkspaceAsync();
        var workspace = new Workspace(Home);
        var services = new ServiceCollection();
        services.AddMiniMe(workspace, ConfigurationLoader.Load(workspace));
        await using (var provider = services.BuildServiceProvider())
        {
            var spaces = provider.GetRequiredService<UserSpaces>();
            var owner = await spaces.Owner.FactServiceAsync(CancellationToken.None);
            var dana = await spaces.Get("dana").FactServiceAsync(CancellationToken.None);
            await owner.RememberAsync(new RememberRequest("prefers dark mode"), CancellationToken.None);
            var danas = await dana.RememberAsync(new RememberRequest("prefers dark mode"), CancellationToken.None);
            await dana.RememberAsync(new RememberRequest("prefers dark mode"), CancellationToken.None);

            Assert.Equal(RememberOutcome.Added, danas.Outcome);
            Assert.Single(await (await spaces.Owner.FactStoreAsync(CancellationToken.None)).ListAsync(new FactQuery(), CancellationToken.None));
        }

        Assert.Equal([("prefers dark mode", "active", 1)], await RowsAsync(connectionString));
        Assert.Equal([("prefers dark mode", "active", 2)], await RowsAsync(connectionString, $"{MemoryStoreFactory.SchemaFor("dana")}.facts"));
        Assert.Empty(Directory.GetFiles(Home, "memory.db*", SearchOption.AllDirectories));
    }
}
