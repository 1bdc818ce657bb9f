using System.Numerics.Tensors;

namespace MiniMe.Bench.Ann;

/// <summary>
/// Clustered synthetic unit vectors shaped like sentence embeddings: a cluster centre, a shared
/// low-rank component with a decaying spectrum (48 directions), and small isotropic noise.
/// Related vectors land at cosine ~0.6, unrelated ones at ~0.3, as with real text embeddings;
/// uniform random vectors would be far easier or far harder than real data, never like it.
/// </summary>
internal sealed class SyntheticVectors
{
    private const int LatentRank = 48;
    private const float LatentSpread = 0.35f;
    private const float Noise = 0.02f;

    private readonly int _dims;
    private readonly float[] _centres;
    private readonly float[] _basis;
    private readonly int _clusters;
    private readonly int _seed;

    public SyntheticVectors(int dims, int clusters, int seed)
    {
        _dims = dims;
        _clusters = clusters;
        _seed = seed;
        var rng = new Random(seed);
        _centres = new float[clusters * dims];
        for (var c = 0; c < clusters; c++)
        {
            var centre = _centres.AsSpan(c * dims, dims);
            for (var i = 0; i < dims; i++) centre[i] = Gaussian(rng);
            TensorPrimitives.Divide(centre, TensorPrimitives.Norm(centre), centre);
        }
        _basis = new float[LatentRank * dims];
        var scale = 1 / MathF.Sqrt(dims);
        for (var i = 0; i < _basis.Length; i++) _basis[i] = Gaussian(rng) * scale;
    }

    public int Dims => _dims;

    /// <summary>Fills <paramref name="target"/> (count x dims) with vectors from stream <paramref name="stream"/>, in parallel.</summary>
    public void Fill(float[] target, int count, int stream, CancellationToken cancellationToken)
    {
        const int Block = 4096;
        var blocks = (count + Block - 1) / Block;
        Parallel.For(0, blocks, new ParallelOptions { CancellationToken = cancellationToken }, b =>
        {
            var rng = new Random(HashCode.Combine(_seed, stream, b));
            var latent = new float[LatentRank];
            var end = Math.Min(count, (b + 1) * Block);
            for (var n = b * Block; n < end; n++)
            {
                var v = target.AsSpan(n * _dims, _dims);
                var cluster = rng.Next(_clusters);
                _centres.AsSpan(cluster * _dims, _dims).CopyTo(v);
                for (var j = 0; j < LatentRank; j++) latent[j] = Gaussian(rng) * LatentSpread / MathF.Sqrt(1 + j);
                for (var j = 0; j < LatentRank; j++)
                    TensorPrimitives.MultiplyAdd(_basis.AsSpan(j * _dims, _dims), latent[j], v, v);
                for (var i = 0; i < _dims; i++) v[i] += Gaussian(rng) * Noise;
                TensorPrimitives.Divide(v, TensorPrimitives.Norm(v), v);
            }
        });
    }

    private static float Gaussian(Random rng)
    {
        // Box-Muller; one of the pair is enough here.
        var u1 = 1.0 - rng.NextDouble();
        var u2 = rng.NextDouble();
        return (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }
}
