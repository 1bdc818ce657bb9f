using MiniMe.Storage.Postgres;
using MiniMe.Tests.Support;
using Npgsql;
using Xunit.Abstractions;

namespace MiniMe.Tests.Memory;

/// <summary>Start-up of the PostgreSQL store against a real server: vector path detection and permission errors.</summary>
[Trait("Category", "Integration")]
[Collection(PostgresCollection.Name)]
public sealed class PostgresStoreSetupTests(PostgresServerFixture server, ITestOutputHelper output)
{
    [PostgresFact]
    public async Task Auto_uses_pgvector_exactly_when_the_server_has_it_and_says_which_path_runs()
    {
        var connectionString = await server.CreateDatabaseAsync();
        await using var store = new PostgresMemoryStore(connectionString);
        await store.InitializeAsync(CancellationToken.None);
        output.WriteLine($"PostgreSQL {server.Binaries!.Version} vector search: {store.VectorPath.Description}");
        Assert.Equal(server.Binaries.HasPgvector, store.VectorPath.UsesPgvector);
        if (!server.Binaries.HasPgvector)
            Assert.Contains("pgvector extension is not installed on the server", store.VectorPath.Description, StringComparison.Ordinal);
    }

    [PostgresFact]
    public async Task Forcing_pgvector_on_a_server_without_it_is_an_actionable_error()
    {
        var connectionString = await server.CreateDatabaseAsync();
        await using var store = new PostgresMemoryStore(connectionString, PostgresVectorSearch.Pgvector);
        if (server.Binaries!.HasPgvector)
        {
            await store.InitializeAsync(CancellationToken.None);
            Assert.True(store.VectorPath.UsesPgvector);
            return;
        }
        var e = await Assert.ThrowsAsync<PostgresUnavailableException>(() => store.InitializeAsync(CancellationToken.None));
        Assert.Contains("memory.vectorSearch is pgvector", e.Message, StringComparison.Ordinal);
    }

    [PostgresFact]
    public async Task A_user_who_may_not_create_tables_gets_a_one_line_reason()
    {
        var connectionString = await server.CreateDatabaseAsync();
        var role = "reader_" + Guid.NewGuid().ToString("N")[..8];
        await using (var admin = new NpgsqlConnection(connectionString))
        {
            await admin.OpenAsync();
            // Since PostgreSQL 15 only the database owner may create tables in schema public.
            await using var create = new NpgsqlCommand($"CREATE ROLE {role} LOGIN; REVOKE CREATE ON SCHEMA public FROM PUBLIC", admin);
            await create.ExecuteNonQueryAsync();
        }
        var asReader = new NpgsqlConnectionStringBuilder(connectionString) { Username = role, Password = "not-shown-anywhere" }.ToString();
        await using var store = new PostgresMemoryStore(asReader);
        var e = await Assert.ThrowsAsync<PostgresUnavailableException>(() => store.InitializeAsync(CancellationToken.None));
        Assert.Contains("permission denied", e.Message, StringComparison.Ordinal);
        Assert.Contains($"user={role}", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-shown-anywhere", e.Message, StringComparison.Ordinal);
    }
}
