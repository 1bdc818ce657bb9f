namespace MiniMe.Memory.Vectors;

/// <summary>
/// A binary heap of (node, similarity) pairs, either max-first (candidates to expand) or
/// min-first (the worst of the current results on top). Reused across searches; no allocation
/// once it has grown.
/// </summary>
internal sealed class ScoredHeap(bool maxFirst)
{
    private int[] _nodes = new int[64];
    private float[] _scores = new float[64];

    public int Count { get; private set; }

    public int TopNode => _nodes[0];

    public float TopScore => _scores[0];

    public void Clear() => Count = 0;

    public void Push(int node, float score)
    {
        if (Count == _nodes.Length)
        {
            Array.Resize(ref _nodes, Count * 2);
            Array.Resize(ref _scores, Count * 2);
        }
        var i = Count++;
        while (i > 0)
        {
            var parent = (i - 1) >> 1;
            if (!Before(score, _scores[parent])) break;
            _nodes[i] = _nodes[parent];
            _scores[i] = _scores[parent];
            i = parent;
        }
        _nodes[i] = node;
        _scores[i] = score;
    }

    public void Pop()
    {
        var last = --Count;
        if (last == 0) return;
        var node = _nodes[last];
        var score = _scores[last];
        var i = 0;
        while (true)
        {
            var child = 2 * i + 1;
            if (child >= last) break;
            if (child + 1 < last && Before(_scores[child + 1], _scores[child])) child++;
            if (!Before(_scores[child], score)) break;
            _nodes[i] = _nodes[child];
            _scores[i] = _scores[child];
            i = child;
        }
        _nodes[i] = node;
        _scores[i] = score;
    }

    /// <summary>Empties the heap into the buffers, best (highest similarity) first.</summary>
    public int DrainBestFirst(List<(int Node, float Score)> into)
    {
        into.Clear();
        while (Count > 0)
        {
            into.Add((TopNode, TopScore));
            Pop();
        }
        if (!maxFirst) into.Reverse();
        return into.Count;
    }

    private bool Before(float a, float b) => maxFirst ? a > b : a < b;
}
