using Microsoft.Extensions.Logging;

namespace MiniMe.Evidence;

/// <summary>What MiniMe records and asks of the evidence graph (docs/evidence.md).</summary>
public interface IEvidenceGraph
{
    /// <summary>
    /// Records that <paramref name="from"/> <paramref name="relation"/> <paramref name="to"/> (e.g. fact:12 derived_from
    /// message:M). Best effort: a failure is logged as a warning and never thrown, so recording can never fail the work
    /// it describes. The one call other parts of MiniMe need.
    /// </summary>
    Task RecordAsync(EvidenceNode from, string relation, EvidenceNode to, CancellationToken cancellationToken, string? detail = null);

    /// <summary>Several edges at once, best effort like <see cref="RecordAsync(EvidenceNode, string, EvidenceNode, CancellationToken, string?)"/>.</summary>
    Task RecordAsync(IReadOnlyList<EvidenceEdge> edges, CancellationToken cancellationToken);

    /// <summary>The user the graph belongs to, as a node: the origin of a fact whose source is not known.</summary>
    EvidenceNode Owner { get; }

    /// <summary>Where <paramref name="node"/> came from and where it was used, each to <paramref name="depth"/> hops.</summary>
    Task<EvidenceTree> WhyAsync(EvidenceNode node, int depth, CancellationToken cancellationToken);

    /// <summary>What depends on these nodes (everything reachable through "used by" links), counted by kind.</summary>
    Task<EvidenceImpact> ImpactAsync(IReadOnlyCollection<EvidenceNode> nodes, CancellationToken cancellationToken);

    /// <summary>The doc nodes of the stored documents with these sources.</summary>
    Task<IReadOnlyList<EvidenceNode>> DocumentsAsync(IReadOnlyCollection<string> sources, CancellationToken cancellationToken);
}

/// <summary>One node of a tree: how it links to its parent (relation and phrase), its label when known, and its own links.</summary>
public sealed record EvidenceTreeNode(EvidenceNode Node, string Relation, string Phrase, string? Label, DateTimeOffset? At, string? Detail,
    IReadOnlyList<EvidenceTreeNode> Children);

/// <param name="Truncated">True when the walk stopped at <see cref="EvidenceGraph.MaxNodes"/> nodes before reaching the depth.</param>
public sealed record EvidenceTree(EvidenceNode Root, string? Label, int Depth, IReadOnlyList<EvidenceTreeNode> Origins, IReadOnlyList<EvidenceTreeNode> Uses, bool Truncated);

/// <summary>What depends on some nodes: each dependent kind with its count, and the nodes.</summary>
public sealed record EvidenceImpact(IReadOnlyList<EvidenceNode> Dependents)
{
    public IReadOnlyDictionary<string, int> ByKind => Dependents.GroupBy(n => n.Kind).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    public bool IsEmpty => Dependents.Count == 0;

    /// <summary>"3 facts and 5 runs", in a fixed order of kinds; empty when nothing depends.</summary>
    public string Describe()
    {
        var parts = EvidenceKinds.All.Where(ByKind.ContainsKey).Select(k => Count(ByKind[k], k)).ToList();
        return parts.Count switch
        {
            0 => "",
            1 => parts[0],
            _ => string.Join(", ", parts[..^1]) + " and " + parts[^1],
        };
    }

    private static string Count(int n, string kind)
    {
        var noun = kind switch
        {
            EvidenceKinds.Document => "document",
            EvidenceKinds.Chunk => "chunk",
            _ => kind,
        };
        return $"{n} {noun}{(n == 1 ? "" : "s")}";
    }
}

/// <summary>
/// The evidence graph over one user's memory database. Trees are walked breadth first, one store query per level,
/// each node shown once (a node reached again is not expanded again), up to <see cref="MaxDepth"/> hops and
/// <see cref="MaxNodes"/> nodes.
/// </summary>
public sealed class EvidenceGraph(IEvidenceStore store, string userId, ILogger? logger = null, TimeProvider? time = null) : IEvidenceGraph
{
    public const int DefaultDepth = 3;
    public const int MaxDepth = 10;
    public const int MaxNodes = 500;

    private readonly ILogger? _logger = logger;
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public EvidenceNode Owner { get; } = EvidenceNode.User(string.IsNullOrWhiteSpace(userId) ? "local" : userId);

    public Task RecordAsync(EvidenceNode from, string relation, EvidenceNode to, CancellationToken cancellationToken, string? detail = null) =>
        RecordAsync([new EvidenceEdge(from, relation, to, _time.GetUtcNow(), detail)], cancellationToken);

    public async Task RecordAsync(IReadOnlyList<EvidenceEdge> edges, CancellationToken cancellationToken)
    {
        if (edges is null || edges.Count == 0) return;
        try
        {
            var valid = edges.Where(e => e is not null && e.IsValid).ToList();
            if (valid.Count < edges.Count)
                Warn($"{edges.Count - valid.Count} malformed edge(s) not recorded");
            if (valid.Count > 0) await store.AddEdgesAsync(valid, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Warn($"could not record {edges.Count} edge(s) ({Show(edges[0])}): {e.Message}");
        }
    }

    public async Task<EvidenceTree> WhyAsync(EvidenceNode node, int depth, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (depth is < 1 or > MaxDepth)
            throw new InvalidInputException($"depth must be between 1 and {MaxDepth} (got {depth}).");
        if (!EvidenceNode.IsValid(node))
            throw new InvalidInputException($"'{node}' is not an evidence id; use KIND:ID such as fact:12");
        var budget = new Budget();
        var origins = await WalkAsync(node, depth, origins: true, budget, cancellationToken).ConfigureAwait(false);
        var uses = await WalkAsync(node, depth, origins: false, budget, cancellationToken).ConfigureAwait(false);
        var all = new HashSet<EvidenceNode> { node };
        Collect(origins.Nodes, all);
        Collect(uses.Nodes, all);
        var labels = await store.DescribeAsync(all, cancellationToken).ConfigureAwait(false);
        var rootKnown = labels.ContainsKey(node);
        if (!rootKnown && origins.Nodes.Count == 0 && uses.Nodes.Count == 0)
            throw new NotFoundException(Missing(node));
        return new EvidenceTree(node, labels.GetValueOrDefault(node), depth, Label(origins.Nodes, labels, true), Label(uses.Nodes, labels, false), budget.Truncated);
    }

    public async Task<EvidenceImpact> ImpactAsync(IReadOnlyCollection<EvidenceNode> nodes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        var seen = new HashSet<EvidenceNode>(nodes);
        var dependents = new List<EvidenceNode>();
        var frontier = new HashSet<EvidenceNode>(nodes);
        for (var level = 0; level < MaxDepth && frontier.Count > 0 && seen.Count < MaxNodes * 4; level++)
        {
            var next = new HashSet<EvidenceNode>();
            foreach (var edge in await store.EdgesOfAsync(frontier, cancellationToken).ConfigureAwait(false))
            {
                var (origin, dependent) = Ends(edge);
                if (!frontier.Contains(origin) || !seen.Add(dependent)) continue;
                next.Add(dependent);
                // Chunks are parts of what is deleted, not things that used it; what used the chunks is counted.
                if (dependent.Kind != EvidenceKinds.Chunk) dependents.Add(dependent);
            }
            frontier = next;
        }
        return new EvidenceImpact(dependents);
    }

    public Task<IReadOnlyList<EvidenceNode>> DocumentsAsync(IReadOnlyCollection<string> sources, CancellationToken cancellationToken) =>
        store.DocumentsAsync(sources, cancellationToken);

    /// <summary>The edge's (origin, dependent) ends: see <see cref="EvidenceRelations.OriginIsFirst"/>.</summary>
    public static (EvidenceNode Origin, EvidenceNode Dependent) Ends(EvidenceEdge edge) =>
        EvidenceRelations.OriginIsFirst(edge.Relation) ? (edge.From, edge.To) : (edge.To, edge.From);

    private sealed class Budget
    {
        public int Nodes;
        public bool Truncated;
    }

    private sealed record Pending(EvidenceNode Node, EvidenceEdge Edge, List<Pending> Children);

    private sealed record Walk(List<Pending> Nodes);

    private async Task<Walk> WalkAsync(EvidenceNode root, int depth, bool origins, Budget budget, CancellationToken cancellationToken)
    {
        var top = new List<Pending>();
        var seen = new HashSet<EvidenceNode> { root };
        var frontier = new Dictionary<EvidenceNode, List<Pending>> { [root] = top };
        for (var level = 0; level < depth && frontier.Count > 0; level++)
        {
            var next = new Dictionary<EvidenceNode, List<Pending>>();
            var edges = await store.EdgesOfAsync(frontier.Keys, cancellationToken).ConfigureAwait(false);
            foreach (var edge in edges.OrderBy(e => e.At).ThenBy(e => e.From.ToString(), StringComparer.Ordinal)
                         .ThenBy(e => e.To.ToString(), StringComparer.Ordinal).ThenBy(e => EvidenceRelations.Rank(e.Relation)))
            {
                var (origin, dependent) = Ends(edge);
                var (here, there) = origins ? (dependent, origin) : (origin, dependent);
                if (!frontier.TryGetValue(here, out var children)) continue;
                // A node is expanded once; another link from the same parent to it (supersedes and contradicts) is shown as a leaf.
                var again = !seen.Add(there);
                if (again && !children.Any(c => c.Node == there && c.Edge.Relation != edge.Relation)) continue;
                if (budget.Nodes >= MaxNodes)
                {
                    budget.Truncated = true;
                    return new Walk(top);
                }
                budget.Nodes++;
                var child = new Pending(there, edge, []);
                children.Add(child);
                if (!again) next[there] = child.Children;
            }
            frontier = next;
        }
        return new Walk(top);
    }

    private static void Collect(List<Pending> nodes, HashSet<EvidenceNode> into)
    {
        foreach (var n in nodes)
        {
            into.Add(n.Node);
            Collect(n.Children, into);
        }
    }

    private static List<EvidenceTreeNode> Label(List<Pending> nodes, IReadOnlyDictionary<EvidenceNode, string> labels, bool origins) =>
        [.. nodes.Select(n =>
        {
            // The phrase reads from the parent to this node: "derived from doc:7" under a chunk, "used in run:R" under a chunk.
            var phrase = origins ? EvidenceRelations.OriginPhrase(n.Edge.Relation) : EvidenceRelations.UsePhrase(n.Edge.Relation);
            return new EvidenceTreeNode(n.Node, n.Edge.Relation, phrase, labels.GetValueOrDefault(n.Node), n.Edge.At, n.Edge.Detail, Label(n.Children, labels, origins));
        })];

    private static string Missing(EvidenceNode node) => node.Kind switch
    {
        EvidenceKinds.Fact => $"no fact #{node.Id} and no evidence recorded for it; `minime facts list --all` lists them",
        EvidenceKinds.Chunk => $"no chunk {node.Id} in memory and no evidence recorded for it; `minime search` shows chunk ids",
        EvidenceKinds.Document => $"no document {node.Id} in memory and no evidence recorded for it; `minime documents list` lists them",
        _ => $"no evidence recorded for {node}; `minime runs` lists runs, `minime facts list` facts",
    };

    /// <summary>To the host's log when it has one, else to System.Diagnostics.Trace as the run stages warn.</summary>
    private void Warn(string message)
    {
        if (_logger is not null) _logger.LogWarning("minime: evidence: {Message}", message);
        else System.Diagnostics.Trace.TraceWarning($"minime: evidence: {message}");
    }

    private static string Show(EvidenceEdge edge) => edge is null ? "null" : $"{edge.From} {edge.Relation} {edge.To}";
}
