namespace MiniMe.Evidence;

/// <summary>
/// The evidence graph's edges in the memory database (SQLite or PostgreSQL). The store also answers the links the
/// memory already holds: every chunk is derived_from its document by the chunks table itself, written in the
/// import's own transaction, so those edges are never stored twice. Edges touching a document, chunk or fact that
/// is deleted (documents remove, a changed file re-imported, facts forget --purge) are deleted with it.
/// </summary>
public interface IEvidenceStore : IAsyncDisposable
{
    /// <summary>Creates or migrates the memory database's tables (the same migration as the memory and fact stores).</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Adds edges; one already recorded (same ends and relation) is kept as it is. Malformed edges are refused.</summary>
    Task AddEdgesAsync(IReadOnlyList<EvidenceEdge> edges, CancellationToken cancellationToken);

    /// <summary>Every edge with either end among <paramref name="nodes"/>, with the chunk-to-document links.</summary>
    Task<IReadOnlyList<EvidenceEdge>> EdgesOfAsync(IReadOnlyCollection<EvidenceNode> nodes, CancellationToken cancellationToken);

    /// <summary>A one-line label for each doc, chunk and fact node that exists (its source, heading or text); missing nodes are absent.</summary>
    Task<IReadOnlyDictionary<EvidenceNode, string>> DescribeAsync(IReadOnlyCollection<EvidenceNode> nodes, CancellationToken cancellationToken);

    /// <summary>The stored documents with these sources, as doc nodes.</summary>
    Task<IReadOnlyList<EvidenceNode>> DocumentsAsync(IReadOnlyCollection<string> sources, CancellationToken cancellationToken);

    /// <summary>Every stored edge, doc and chunk ends with their portable keys, ordered by (from, relation, to).</summary>
    Task<IReadOnlyList<PortableEdge>> ExportEdgesAsync(CancellationToken cancellationToken);

    /// <summary>Adds exported edges, their doc and chunk ends found again by key; returns how many could not be placed (their document is not here).</summary>
    Task<int> ImportEdgesAsync(IReadOnlyList<PortableEdge> edges, CancellationToken cancellationToken);
}
