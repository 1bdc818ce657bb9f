using MiniMe.Server.Storage;
using MiniMe.Tests.Support;

namespace MiniMe.Server.Tests.Storage;

/// <summary>
/// The server store contract on a real PostgreSQL server: each instance is a separate
/// <see cref="PostgresServerDatabase"/> with its own connection pool over one fresh database.
/// </summary>
[Trait("Category", "Integration")]
[Collection(PostgresCollection.Name)]
[RequiresPostgres]
public sealed class PostgresServerStoreTests(PostgresServerFixture server) : ServerStoreContractTests
{
    private string _connectionString = "";

    protected override async Task CreateStorageAsync() => _connectionString = await server.CreateDatabaseAsync();

    protected override ServerDatabase NewInstance() => new PostgresServerDatabase(_connectionString);

    protected override Task DeleteStorageAsync() => server.DropDatabaseAsync(_connectionString);
}
