namespace MiniMe.Memory.Vectors;

/// <summary>Marks visited nodes with a generation number so clearing between searches is O(1).</summary>
internal sealed class VisitedSet
{
    private ushort[] _marks = [];
    private ushort _generation;

    /// <summary>Starts a new search over at least <paramref name="capacity"/> nodes.</summary>
    public void Reset(int capacity)
    {
        if (_marks.Length < capacity)
        {
            _marks = new ushort[Math.Max(capacity, _marks.Length * 3 / 2)];
            _generation = 0;
        }
        if (++_generation == 0)
        {
            Array.Clear(_marks);
            _generation = 1;
        }
    }

    /// <summary>True the first time a node is seen in this search.</summary>
    public bool TryVisit(int node)
    {
        ref var mark = ref _marks[node];
        if (mark == _generation) return false;
        mark = _generation;
        return true;
    }
}

/// <summary>Per-search working memory, pooled so queries do not allocate.</summary>
internal sealed class SearchScratch
{
    public VisitedSet Visited { get; } = new();
    public ScoredHeap Candidates { get; } = new(maxFirst: true);
    public ScoredHeap Results { get; } = new(maxFirst: false);
    public List<(int Node, float Score)> Found { get; } = [];
    public List<(int Node, float Score)> Selected { get; } = [];
    public List<(int Node, float Score)> Neighbours { get; } = [];
    public int[] Links { get; set; } = [];
}
