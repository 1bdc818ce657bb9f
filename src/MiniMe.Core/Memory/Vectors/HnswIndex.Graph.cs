using System.Numerics.Tensors;

namespace MiniMe.Memory.Vectors;

/// <summary>Graph construction and layer search.</summary>
public sealed partial class HnswIndex
{
    /// <summary>Links an allocated node into every layer up to its level. Safe to run in parallel.</summary>
    private void Insert(int node, SearchScratch scratch)
    {
        var level = (int)_levels[node];
        var q = Vector(node);
        int entry, top;
        lock (_entryLock)
        {
            entry = _entryPoint;
            top = _maxLevel;
            if (entry < 0)
            {
                _entryPoint = node;
                _maxLevel = level;
                return;
            }
        }
        // A node that raises the top level holds the entry lock until it is linked (rare: ~1/M^level).
        var raisesTop = false;
        if (level > top)
        {
            Monitor.Enter(_entryLock);
            (entry, top) = (_entryPoint, _maxLevel);
            raisesTop = level > top;
            if (!raisesTop) Monitor.Exit(_entryLock);
        }
        try
        {
            var entrySimilarity = TensorPrimitives.Dot(q, Vector(entry));
            for (var l = top; l > level; l--)
                Greedy(q, ref entry, ref entrySimilarity, l, scratch);
            for (var l = Math.Min(level, top); l >= 0; l--)
            {
                SearchLayer(q, entry, entrySimilarity, Options.EfConstruction, l, scratch, construction: true);
                (entry, entrySimilarity) = scratch.Found[0];
                SelectNeighbors(scratch.Found, MaxLinks(l), scratch.Selected);
                var neighbours = scratch.Neighbours;
                neighbours.Clear();
                neighbours.AddRange(scratch.Selected);
                lock (Stripe(node))
                {
                    var links = Links(node, l);
                    links[0] = neighbours.Count;
                    for (var i = 0; i < neighbours.Count; i++) links[i + 1] = neighbours[i].Node;
                }
                foreach (var (neighbour, similarity) in neighbours) Connect(neighbour, node, similarity, l, scratch);
            }
            if (raisesTop)
            {
                _entryPoint = node;
                _maxLevel = level;
            }
        }
        finally
        {
            if (raisesTop) Monitor.Exit(_entryLock);
        }
    }

    /// <summary>Adds <paramref name="node"/> to <paramref name="target"/>'s links, pruning with the heuristic when full.</summary>
    private void Connect(int target, int node, float similarity, int level, SearchScratch scratch)
    {
        var max = MaxLinks(level);
        lock (Stripe(target))
        {
            var links = Links(target, level);
            var count = links[0];
            for (var i = 1; i <= count; i++)
                if (links[i] == node) return;
            if (count < max)
            {
                links[count + 1] = node;
                links[0] = count + 1;
                return;
            }
            var pool = scratch.Found;
            pool.Clear();
            var t = Vector(target);
            pool.Add((node, similarity));
            for (var i = 1; i <= count; i++) pool.Add((links[i], TensorPrimitives.Dot(t, Vector(links[i]))));
            pool.Sort(static (a, b) => b.Score.CompareTo(a.Score));
            SelectNeighbors(pool, max, scratch.Selected);
            links[0] = scratch.Selected.Count;
            for (var i = 0; i < scratch.Selected.Count; i++) links[i + 1] = scratch.Selected[i].Node;
        }
    }

    /// <summary>
    /// The HNSW heuristic: take candidates best first, keeping one only if it is closer to the base
    /// than to every neighbour already kept. This keeps links pointing in diverse directions, which
    /// matters on clustered data.
    /// </summary>
    private void SelectNeighbors(List<(int Node, float Score)> candidatesBestFirst, int max, List<(int Node, float Score)> selected)
    {
        selected.Clear();
        if (candidatesBestFirst.Count <= max)
        {
            selected.AddRange(candidatesBestFirst);
            return;
        }
        foreach (var (candidate, score) in candidatesBestFirst)
        {
            if (selected.Count >= max) break;
            var v = Vector(candidate);
            var keep = true;
            foreach (var (kept, _) in selected)
            {
                if (TensorPrimitives.Dot(v, Vector(kept)) > score)
                {
                    keep = false;
                    break;
                }
            }
            if (keep) selected.Add((candidate, score));
        }
    }

    /// <summary>Hill-climbs one layer to the node most similar to q (ef = 1).</summary>
    private void Greedy(ReadOnlySpan<float> q, ref int entry, ref float similarity, int level, SearchScratch? construction = null)
    {
        var changed = true;
        while (changed)
        {
            changed = false;
            var links = construction is null ? Links(entry, level) : CopyLinks(entry, level, construction);
            var count = links[0];
            for (var i = 1; i <= count; i++)
            {
                var candidate = links[i];
                var s = TensorPrimitives.Dot(q, Vector(candidate));
                if (s > similarity)
                {
                    similarity = s;
                    entry = candidate;
                    changed = true;
                }
            }
        }
    }

    /// <summary>
    /// Best-first search of one layer with a candidate list of size ef. Results land in
    /// scratch.Found, best first. Tombstones are traversed but only returned while building.
    /// </summary>
    private void SearchLayer(ReadOnlySpan<float> q, int entry, float entrySimilarity, int ef, int level, SearchScratch scratch, bool construction)
    {
        var visited = scratch.Visited;
        var candidates = scratch.Candidates;
        var results = scratch.Results;
        visited.Reset(Volatile.Read(ref _count));
        candidates.Clear();
        results.Clear();
        visited.TryVisit(entry);
        candidates.Push(entry, entrySimilarity);
        if (construction || !_deleted[entry]) results.Push(entry, entrySimilarity);

        while (candidates.Count > 0)
        {
            var current = candidates.TopNode;
            if (results.Count >= ef && candidates.TopScore < results.TopScore) break;
            candidates.Pop();
            var links = construction ? CopyLinks(current, level, scratch) : Links(current, level);
            var count = links[0];
            for (var i = 1; i <= count; i++)
            {
                var neighbour = links[i];
                if (!visited.TryVisit(neighbour)) continue;
                var s = TensorPrimitives.Dot(q, Vector(neighbour));
                if (results.Count < ef || s > results.TopScore)
                {
                    candidates.Push(neighbour, s);
                    if (construction || !_deleted[neighbour])
                    {
                        results.Push(neighbour, s);
                        if (results.Count > ef) results.Pop();
                    }
                }
            }
        }
        results.DrainBestFirst(scratch.Found);
    }

    /// <summary>A consistent copy of a node's links while other threads may be rewriting them.</summary>
    private Span<int> CopyLinks(int node, int level, SearchScratch scratch)
    {
        if (scratch.Links.Length < _m0 + 1) scratch.Links = new int[_m0 + 1];
        var copy = scratch.Links.AsSpan(0, MaxLinks(level) + 1);
        lock (Stripe(node)) Links(node, level).CopyTo(copy);
        return copy;
    }

    private object Stripe(int node) => _stripes[node & (LockStripes - 1)];
}
