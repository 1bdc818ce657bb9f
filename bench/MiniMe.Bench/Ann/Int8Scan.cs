using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MiniMe.Bench.Ann;

/// <summary>
/// The alternative to a graph: a brute-force scan over int8-quantized vectors (a quarter of the
/// memory traffic of float32), then exact float re-scoring of the best candidates. Measured
/// beside HNSW so the choice rests on numbers.
/// </summary>
internal sealed class Int8Scan
{
    private readonly sbyte[] _codes;
    private readonly float[] _data;
    private readonly int _dims;
    private readonly int _count;

    public Int8Scan(float[] data, int count, int dims)
    {
        _data = data;
        _dims = dims;
        _count = count;
        _codes = new sbyte[(long)count * dims];
        // Unit vectors: every component is in [-1, 1], so one global scale of 127 loses little.
        for (long i = 0; i < (long)count * dims; i++) _codes[i] = (sbyte)Math.Round(Math.Clamp(data[i], -1f, 1f) * 127f);
    }

    public long Bytes => _codes.LongLength;

    public int[] Search(ReadOnlySpan<float> query, int k, int rescore)
    {
        Span<sbyte> q = stackalloc sbyte[_dims];
        for (var i = 0; i < _dims; i++) q[i] = (sbyte)Math.Round(Math.Clamp(query[i], -1f, 1f) * 127f);
        var ids = new int[rescore];
        var scores = new int[rescore];
        Array.Fill(scores, int.MinValue);
        for (var n = 0; n < _count; n++)
        {
            var s = Dot(q, _codes.AsSpan(n * _dims, _dims));
            if (s <= scores[rescore - 1]) continue;
            var at = rescore - 1;
            while (at > 0 && scores[at - 1] < s)
            {
                scores[at] = scores[at - 1];
                ids[at] = ids[at - 1];
                at--;
            }
            scores[at] = s;
            ids[at] = n;
        }
        var data = _data;
        var dims = _dims;
        var exact = query.ToArray();
        return [.. ids.Where((_, i) => scores[i] != int.MinValue)
            .OrderByDescending(id => TensorPrimitives.Dot(exact, data.AsSpan(id * dims, dims)))
            .Take(k)];
    }

    private static int Dot(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b)
    {
        var i = 0;
        var sum = 0;
        if (Avx2.IsSupported)
        {
            var acc = Vector256<int>.Zero;
            ref var ra = ref MemoryMarshal.GetReference(a);
            ref var rb = ref MemoryMarshal.GetReference(b);
            for (; i + 16 <= a.Length; i += 16)
            {
                var wa = Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref ra, (nuint)i));
                var wb = Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref rb, (nuint)i));
                acc = Avx2.Add(acc, Avx2.MultiplyAddAdjacent(wa, wb));
            }
            sum = Vector256.Sum(acc);
        }
        for (; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }
}
