using System.Reflection;
using System.Runtime.InteropServices;
using Cloud.Unum.USearch;

namespace MiniMe.Bench.Ann;

/// <summary>
/// USearch 2.26.6 (Cloud.Unum.USearch, a C++ HNSW behind a C API) as the peer of MiniMe's own HNSW in
/// `bench ann`: the same vectors, inner product on unit vectors, the same M and efConstruction, built
/// with the same number of threads and searched one query at a time on one thread.
/// </summary>
/// <remarks>
/// The managed wrapper has no setter for the search expansion or the insertion threads, which the C
/// library exports; they are called on the wrapper's native handle, so one build serves every efSearch.
/// </remarks>
internal sealed partial class USearchPeer : IDisposable
{
    private const string Library = "libusearch_c";

    private readonly USearchIndex _index;
    private readonly nint _handle;
    private readonly int _dims;

    public USearchPeer(int dims, int m, int efConstruction)
    {
        _dims = dims;
        _index = new USearchIndex(MetricKind.Ip, ScalarKind.Float32, (ulong)dims, (ulong)m, (ulong)efConstruction, 64);
        _handle = (nint)(typeof(USearchIndex).GetField("_index", BindingFlags.NonPublic | BindingFlags.Instance)
            ?.GetValue(_index) ?? throw new InvalidOperationException("the USearch wrapper no longer keeps its native handle in _index"));
    }

    public static string Version => Marshal.PtrToStringUTF8(NativeVersion()) ?? "?";

    /// <summary>Inserts every vector on <paramref name="threads"/> threads after reserving the capacity once.</summary>
    public void Build(float[] data, int size, int threads, CancellationToken ct)
    {
        Reserve(_handle, (nuint)size, out var error);
        Check(error);
        ChangeThreadsAdd(_handle, (nuint)threads, out error);
        Check(error);
        Parallel.For(0, size, new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = ct }, i =>
            _index.Add((ulong)i, data.AsSpan(i * _dims, _dims).ToArray()));
    }

    public void SetExpansionSearch(int ef)
    {
        ChangeExpansionSearch(_handle, (nuint)ef, out var error);
        Check(error);
    }

    public long MemoryBytes => (long)MemoryUsage(_handle, out _);

    public int[] Search(ReadOnlySpan<float> query, int k)
    {
        var found = _index.Search(query.ToArray(), k, out var keys, out _);
        var result = new int[found];
        for (var i = 0; i < found; i++) result[i] = (int)keys[i];
        return result;
    }

    public void Dispose() => _index.Dispose();

    private static void Check(nint error)
    {
        if (error != 0) throw new InvalidOperationException("USearch: " + Marshal.PtrToStringUTF8(error));
    }

    [LibraryImport(Library, EntryPoint = "usearch_version")]
    private static partial nint NativeVersion();

    [LibraryImport(Library, EntryPoint = "usearch_reserve")]
    private static partial void Reserve(nint index, nuint capacity, out nint error);

    [LibraryImport(Library, EntryPoint = "usearch_change_threads_add")]
    private static partial void ChangeThreadsAdd(nint index, nuint threads, out nint error);

    [LibraryImport(Library, EntryPoint = "usearch_change_expansion_search")]
    private static partial void ChangeExpansionSearch(nint index, nuint ef, out nint error);

    [LibraryImport(Library, EntryPoint = "usearch_memory_usage")]
    private static partial nuint MemoryUsage(nint index, out nint error);
}
