using MiniMe.Evidence;
using MiniMe.Memory;
using MiniMe.Memory.Facts;
using MiniMe.Storage.Postgres;
using MiniMe.Tests.Support;

namespace MiniMe.Tests.Evidence;

/// <summary>The evidence suite on a real PostgreSQL server (schema v5: evidence_edges and its delete triggers).</summary>
[Trait("Category", "Integration")]
[Collection(PostgresCollection.Name)]
[RequiresPostgres]
public sealed class PostgresEvidenceStoreTests(PostgresServerFixture server) : EvidenceStoreContractTests
{
    private readonly List<string> _databases = [];

    protected override Task<(IMemoryStore Memory, IFactStore Facts, IEvidenceStore Evidence)> CreateAsync() => OpenAsync();

    protected override Task<(IMemoryStore Memory, IFactStore Facts, IEvidenceStore Evidence)> CreateOtherAsync() => OpenAsync();

    private async Task<(IMemoryStore, IFactStore, IEvidenceStore)> OpenAsync()
    {
        var connection = await server.CreateDatabaseAsync();
        _databases.Add(connection);
        return (new PostgresMemoryStore(connection, PostgresVectorSearch.Exact), new PostgresFactStore(connection), new PostgresEvidenceStore(connection));
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (var database in _databases) await server.DropDatabaseAsync(database);
    }
}
