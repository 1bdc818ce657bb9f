using MiniMe.Evidence;

namespace MiniMe.Hosting.Users;

/// <summary>
/// One of the user space's evidence stores, created and initialized on first use (after the store it writes beside,
/// on SQLite) and disposed with the user space.
/// </summary>
internal sealed class EvidenceStoreOnce(Func<CancellationToken, Task<IEvidenceStore>> create) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile IEvidenceStore? _store;

    public async Task<IEvidenceStore> GetAsync(CancellationToken cancellationToken)
    {
        if (_store is { } ready) return ready;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_store is null)
            {
                var store = await create(cancellationToken).ConfigureAwait(false);
                await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
                _store = store;
            }
            return _store;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_store is { } store) await store.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
    }
}

/// <summary>
/// The user space's evidence store as a graph sees it: opened (and the memory database migrated) on the first call
/// rather than when a graph is handed out, so a run that records nothing never opens it. Disposed with the user space, not here.
/// </summary>
internal sealed class LazyEvidenceStore(EvidenceStoreOnce store) : IEvidenceStore
{
    public Task InitializeAsync(CancellationToken cancellationToken) => store.GetAsync(cancellationToken);

    public async Task AddEdgesAsync(IReadOnlyList<EvidenceEdge> edges, CancellationToken cancellationToken) =>
        await (await store.GetAsync(cancellationToken).ConfigureAwait(false)).AddEdgesAsync(edges, cancellationToken).ConfigureAwait(false);

    public async Task<IReadOnlyList<EvidenceEdge>> EdgesOfAsync(IReadOnlyCollection<EvidenceNode> nodes, CancellationToken cancellationToken) =>
        await (await store.GetAsync(cancellationToken).ConfigureAwait(false)).EdgesOfAsync(nodes, cancellationToken).ConfigureAwait(false);

    public async Task<IReadOnlyDictionary<EvidenceNode, string>> DescribeAsync(IReadOnlyCollection<EvidenceNode> nodes, CancellationToken cancellationToken) =>
        await (await store.GetAsync(cancellationToken).ConfigureAwait(false)).DescribeAsync(nodes, cancellationToken).ConfigureAwait(false);

    public async Task<IReadOnlyList<EvidenceNode>> DocumentsAsync(IReadOnlyCollection<string> sources, CancellationToken cancellationToken) =>
        await (await store.GetAsync(cancellationToken).ConfigureAwait(false)).DocumentsAsync(sources, cancellationToken).ConfigureAwait(false);

    public async Task<IReadOnlyList<PortableEdge>> ExportEdgesAsync(CancellationToken cancellationToken) =>
        await (await store.GetAsync(cancellationToken).ConfigureAwait(false)).ExportEdgesAsync(cancellationToken).ConfigureAwait(false);

    public async Task<int> ImportEdgesAsync(IReadOnlyList<PortableEdge> edges, CancellationToken cancellationToken) =>
        await (await store.GetAsync(cancellationToken).ConfigureAwait(false)).ImportEdgesAsync(edges, cancellationToken).ConfigureAwait(false);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
