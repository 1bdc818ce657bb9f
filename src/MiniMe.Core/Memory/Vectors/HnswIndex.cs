using System.Collections.Concurrent;
using System.Numerics.Tensors;

namespace MiniMe.Memory.Vectors;

/// <summary>
/// An approximate nearest-neighbour index for cosine similarity on unit vectors: a hierarchical
/// navigable small-world graph (Malkov and Yashunin, 2016) with the neighbour-selection heuristic.
/// Keys are strings (the store uses content hashes). Adding an existing key with a different
/// vector replaces it; removal leaves a tombstone that is still traversed but never returned,
/// until a rebuild compacts the graph.
/// Thread-safe: searches run concurrently; adds and removes take an exclusive lock, and a batch add
/// inserts in parallel inside it.
/// </summary>
public sealed partial class HnswIndex : IDisposable
{
    private const int SegmentBits = 14;
    private const int SegmentSize = 1 << SegmentBits;
    private const int SegmentMask = SegmentSize - 1;
    private const int MaxLevel = 31;
    private const int LockStripes = 4096;

    private readonly int _m;
    private readonly int _m0;
    private readonly double _levelFactor;
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly object _entryLock = new();
    private readonly object[] _stripes;
    private readonly ConcurrentBag<SearchScratch> _scratch = [];
    private readonly Dictionary<string, int> _nodeByKey = new(StringComparer.Ordinal);

    private float[][] _vectors = [];
    private int[][] _layer0 = [];
    private string[] _keys = [];
    private byte[] _levels = [];
    private bool[] _deleted = [];
    private int[][][] _upper = [];
    private int _count;
    private int _entryPoint = -1;
    private int _maxLevel = -1;
    private ulong _rng;

    public HnswIndex(int dimensions, HnswOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dimensions, 65536);
        Options = options ?? new HnswOptions();
        Options.Validate();
        Dimensions = dimensions;
        _m = Options.M;
        _m0 = 2 * Options.M;
        _levelFactor = 1 / Math.Log(Options.M);
        _rng = Options.Seed;
        _stripes = new object[LockStripes];
        for (var i = 0; i < _stripes.Length; i++) _stripes[i] = new object();
    }

    public int Dimensions { get; }

    public HnswOptions Options { get; private set; }

    /// <summary>Query-time candidate list size; can be changed on a loaded index.</summary>
    public int EfSearch
    {
        get => Options.EfSearch;
        set => Options = Options with { EfSearch = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value)) };
    }

    /// <summary>Live (searchable) vectors.</summary>
    public int Count
    {
        get
        {
            _lock.EnterReadLock();
            try { return _nodeByKey.Count; }
            finally { _lock.ExitReadLock(); }
        }
    }

    /// <summary>Graph nodes including tombstones.</summary>
    public int NodeCount => Volatile.Read(ref _count);

    public int DeletedCount
    {
        get
        {
            _lock.EnterReadLock();
            try { return _count - _nodeByKey.Count; }
            finally { _lock.ExitReadLock(); }
        }
    }

    /// <summary>Approximate bytes held by vectors, links and keys.</summary>
    public long EstimatedBytes
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                long upper = 0;
                for (var i = 0; i < _count; i++) upper += _levels[i] * (long)(_m + 1) * sizeof(int);
                return (long)_vectors.Length * SegmentSize * Dimensions * sizeof(float)
                    + (long)_layer0.Length * SegmentSize * (_m0 + 1) * sizeof(int)
                    + upper + (long)_count * (40 + 2 * 64 + 24);
            }
            finally { _lock.ExitReadLock(); }
        }
    }

    public bool Contains(string key)
    {
        _lock.EnterReadLock();
        try { return _nodeByKey.ContainsKey(key); }
        finally { _lock.ExitReadLock(); }
    }

    /// <summary>Live keys, a snapshot.</summary>
    public IReadOnlyCollection<string> Keys
    {
        get
        {
            _lock.EnterReadLock();
            try { return [.. _nodeByKey.Keys]; }
            finally { _lock.ExitReadLock(); }
        }
    }

    /// <summary>Adds or replaces one vector (normalized to unit length). False if the key already held this vector.</summary>
    public bool Add(string key, ReadOnlySpan<float> vector)
    {
        ArgumentNullException.ThrowIfNull(key);
        var normalized = Normalize(vector);
        _lock.EnterWriteLock();
        try
        {
            if (!PrepareKey(key, normalized)) return false;
            EnsureCapacity(_count + 1);
            var node = Allocate(key, normalized, DrawLevel());
            var scratch = RentScratch();
            try { Insert(node, scratch); }
            finally { _scratch.Add(scratch); }
            return true;
        }
        finally { _lock.ExitWriteLock(); }
    }

    /// <summary>
    /// Adds or replaces many vectors, inserting in parallel. Reports the number inserted so far.
    /// On cancellation the vectors not yet linked are left out (as if never added).
    /// </summary>
    public int AddRange(
        IReadOnlyList<KeyValuePair<string, ReadOnlyMemory<float>>> items,
        int maxDegreeOfParallelism = -1,
        IProgress<int>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        var normalized = new List<(string Key, float[] Vector)>(items.Count);
        var lastIndex = new Dictionary<string, int>(items.Count, StringComparer.Ordinal);
        foreach (var (key, vector) in items)
        {
            ArgumentNullException.ThrowIfNull(key);
            var v = Normalize(vector.Span);
            if (lastIndex.TryGetValue(key, out var at)) normalized[at] = (key, v);
            else
            {
                lastIndex[key] = normalized.Count;
                normalized.Add((key, v));
            }
        }

        _lock.EnterWriteLock();
        try
        {
            var fresh = new List<int>(normalized.Count);
            EnsureCapacity(_count + normalized.Count);
            foreach (var (key, vector) in normalized)
                if (PrepareKey(key, vector)) fresh.Add(Allocate(key, vector, DrawLevel()));
            if (fresh.Count == 0) return 0;

            var inserted = new bool[fresh.Count];
            var done = 0;
            var start = 0;
            if (_entryPoint < 0)
            {
                // The first node becomes the entry point; the rest link to it.
                var scratch = RentScratch();
                Insert(fresh[0], scratch);
                _scratch.Add(scratch);
                inserted[0] = true;
                done = start = 1;
            }
            var step = Math.Max(1, fresh.Count / 200);
            try
            {
                Parallel.For(start, fresh.Count, new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism, CancellationToken = cancellationToken },
                    () => RentScratch(),
                    (i, _, scratch) =>
                    {
                        Insert(fresh[i], scratch);
                        inserted[i] = true;
                        var n = Interlocked.Increment(ref done);
                        if (n % step == 0) progress?.Report(n);
                        return scratch;
                    },
                    scratch => _scratch.Add(scratch));
            }
            catch (OperationCanceledException)
            {
                for (var i = 0; i < fresh.Count; i++)
                    if (!inserted[i]) Tombstone(fresh[i]);
                throw;
            }
            progress?.Report(fresh.Count);
            return fresh.Count;
        }
        finally { _lock.ExitWriteLock(); }
    }

    /// <summary>Tombstones a key; false if it was not in the index.</summary>
    public bool Remove(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        _lock.EnterWriteLock();
        try
        {
            if (!_nodeByKey.TryGetValue(key, out var node)) return false;
            Tombstone(node);
            return true;
        }
        finally { _lock.ExitWriteLock(); }
    }

    /// <summary>The (approximately) k most similar live vectors, best first.</summary>
    public IReadOnlyList<VectorMatch> Search(ReadOnlySpan<float> query, int k, int efSearch = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var q = Normalize(query);
        _lock.EnterReadLock();
        var scratch = RentScratch();
        try
        {
            var entry = _entryPoint;
            if (entry < 0 || _nodeByKey.Count == 0) return [];
            var entrySimilarity = TensorPrimitives.Dot(q, Vector(entry));
            for (var level = _maxLevel; level > 0; level--)
                Greedy(q, ref entry, ref entrySimilarity, level);
            var ef = Math.Max(efSearch > 0 ? efSearch : Options.EfSearch, k);
            SearchLayer(q, entry, entrySimilarity, ef, 0, scratch, construction: false);
            var found = scratch.Found;
            var result = new VectorMatch[Math.Min(k, found.Count)];
            for (var i = 0; i < result.Length; i++) result[i] = new VectorMatch(_keys[found[i].Node], found[i].Score);
            return result;
        }
        finally
        {
            _scratch.Add(scratch);
            _lock.ExitReadLock();
        }
    }

    public void Dispose() => _lock.Dispose();

    private float[] Normalize(ReadOnlySpan<float> vector)
    {
        if (vector.Length != Dimensions)
            throw new ArgumentException($"Vector has {vector.Length} dimensions; the index holds {Dimensions}.", nameof(vector));
        var norm = TensorPrimitives.Norm(vector);
        if (!(norm > 0) || !float.IsFinite(norm))
            throw new ArgumentException("Vector is zero or not finite; cosine similarity is undefined.", nameof(vector));
        var copy = new float[Dimensions];
        TensorPrimitives.Divide(vector, norm, copy);
        return copy;
    }

    /// <summary>False if the key already holds this vector; otherwise tombstones an older version.</summary>
    private bool PrepareKey(string key, float[] vector)
    {
        if (!_nodeByKey.TryGetValue(key, out var existing)) return true;
        if (Vector(existing).SequenceEqual(vector)) return false;
        Tombstone(existing);
        return true;
    }

    private void Tombstone(int node)
    {
        _deleted[node] = true;
        if (_nodeByKey.TryGetValue(_keys[node], out var live) && live == node) _nodeByKey.Remove(_keys[node]);
    }

    private int DrawLevel()
    {
        // SplitMix64: reproducible from the seed and persisted with the index.
        var z = _rng += 0x9E3779B97F4A7C15;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        z ^= z >> 31;
        var uniform = ((z >> 11) + 1) * (1.0 / (1UL << 53));
        return Math.Min(MaxLevel, (int)(-Math.Log(uniform) * _levelFactor));
    }

    private int Allocate(string key, float[] vector, int level)
    {
        var node = _count;
        vector.CopyTo(_vectors[node >> SegmentBits].AsSpan((node & SegmentMask) * Dimensions, Dimensions));
        _keys[node] = key;
        _levels[node] = (byte)level;
        _deleted[node] = false;
        _layer0[node >> SegmentBits][(node & SegmentMask) * (_m0 + 1)] = 0;
        if (level > 0)
        {
            var upper = new int[level][];
            for (var i = 0; i < level; i++) upper[i] = new int[_m + 1];
            _upper[node] = upper;
        }
        else _upper[node] = [];
        _nodeByKey[key] = node;
        Volatile.Write(ref _count, node + 1);
        return node;
    }

    private void EnsureCapacity(int nodes)
    {
        var segments = (nodes + SegmentSize - 1) >> SegmentBits;
        if (segments > _vectors.Length)
        {
            var old = _vectors.Length;
            Array.Resize(ref _vectors, segments);
            Array.Resize(ref _layer0, segments);
            for (var s = old; s < segments; s++)
            {
                _vectors[s] = new float[SegmentSize * Dimensions];
                _layer0[s] = new int[SegmentSize * (_m0 + 1)];
            }
        }
        if (nodes > _keys.Length)
        {
            var size = Math.Max(nodes, Math.Max(1024, _keys.Length * 2));
            Array.Resize(ref _keys, size);
            Array.Resize(ref _levels, size);
            Array.Resize(ref _deleted, size);
            Array.Resize(ref _upper, size);
        }
    }

    private ReadOnlySpan<float> Vector(int node) =>
        _vectors[node >> SegmentBits].AsSpan((node & SegmentMask) * Dimensions, Dimensions);

    /// <summary>A node's links on a layer: [count, n1, n2, ...].</summary>
    private Span<int> Links(int node, int level) => level == 0
        ? _layer0[node >> SegmentBits].AsSpan((node & SegmentMask) * (_m0 + 1), _m0 + 1)
        : _upper[node][level - 1];

    private int MaxLinks(int level) => level == 0 ? _m0 : _m;

    private SearchScratch RentScratch() => _scratch.TryTake(out var s) ? s : new SearchScratch();
}
