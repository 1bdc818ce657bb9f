using MiniMe.Evidence;

namespace MiniMe.Hosting.Users;

/// <summary>
/// The user space's evidence store, opened (and the memory database migrated) on the first call rather than when a
/// graph is handed out, so a run that records nothing never opens it. Disposed with the user space, not here.
/// </summary>
internal sealed class LazyEvidenceStore(OpenedOnce<IEvidenceStore> store) : IEvidenceStore
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
