using MiniMe.Evidence;
using MiniMe.Memory;
using MiniMe.Memory.Facts;
using MiniMe.Storage.Sqlite;
using MiniMe.Tests.Support;

namespace MiniMe.Tests.Evidence;

public sealed class SqliteEvidenceStoreTests : EvidenceStoreContractTests, IDisposable
{
    private readonly TempDirectory _dir = new();

    protected override Task<(IMemoryStore Memory, IFactStore Facts, IEvidenceStore Evidence)> CreateAsync() => Open("memory.db");

    protected override Task<(IMemoryStore Memory, IFactStore Facts, IEvidenceStore Evidence)> CreateOtherAsync() => Open("other.db");

    private Task<(IMemoryStore, IFactStore, IEvidenceStore)> Open(string file) =>
        Task.FromResult<(IMemoryStore, IFactStore, IEvidenceStore)>(
            (new SqliteMemoryStore(_dir.Combine(file)), new SqliteFactStore(_dir.Combine(file)), new SqliteEvidenceStore(_dir.Combine(file))));

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Recording_into_a_damaged_database_never_throws_and_writes_nothing()
    {
        byte[] garbage = [.. System.Text.Encoding.ASCII.GetBytes("not a database at all"), .. new byte[4096]];
        var path = _dir.WriteBytes("damaged/memory.db", garbage);
        await using var store = new SqliteEvidenceStore(path);
        var graph = new EvidenceGraph(store, "nima");
        await graph.RecordAsync(EvidenceNode.Fact(1), EvidenceRelations.UsedIn, EvidenceNode.Run("20261203-101500-ffffff"), CancellationToken.None);
        await graph.RecordAsync([new EvidenceEdge(EvidenceNode.Fact(2), EvidenceRelations.DerivedFrom, graph.Owner, DateTimeOffset.UtcNow)], CancellationToken.None);
        Assert.Equal(garbage, await File.ReadAllBytesAsync(path));
        // The same store refuses the write itself: the graph is what keeps it from failing the work.
        await Assert.ThrowsAsync<DamagedMemoryException>(() =>
            store.AddEdgesAsync([new EvidenceEdge(EvidenceNode.Fact(1), EvidenceRelations.UsedIn, EvidenceNode.Run("20261203-101500-ffffff"), DateTimeOffset.UtcNow)], CancellationToken.None));
    }
}
