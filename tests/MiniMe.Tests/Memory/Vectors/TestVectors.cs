using System.Numerics.Tensors;

namespace MiniMe.Tests.Memory.Vectors;

/// <summary>Clustered random unit vectors and an exact top-k to check the index against.</summary>
internal static class TestVectors
{
    public static float[][] Clustered(int count, int dims, int clusters, int seed, float spread = 0.6f)
    {
        var rng = new Random(seed);
        var centres = Enumerable.Range(0, clusters).Select(_ => Unit(Gaussian(rng, dims, 1))).ToArray();
        var result = new float[count][];
        for (var i = 0; i < count; i++)
        {
            var v = Gaussian(rng, dims, spread / MathF.Sqrt(dims));
            TensorPrimitives.Add(v, centres[rng.Next(clusters)], v);
            result[i] = Unit(v);
        }
        return result;
    }

    public static float[] Unit(float[] v)
    {
        TensorPrimitives.Divide(v, TensorPrimitives.Norm(v), v);
        return v;
    }

    public static int[] ExactTopK(float[][] data, float[] query, int k) =>
        Enumerable.Range(0, data.Length)
            .Select(i => (Id: i, Score: TensorPrimitives.Dot(query, data[i])))
            .OrderByDescending(x => x.Score)
            .ThenBy(x => x.Id)
            .Take(k)
            .Select(x => x.Id)
            .ToArray();

    /// <summary>Mean fraction of the exact top-k that the index returned.</summary>
    public static double RecallAtK(Func<float[], IEnumerable<int>> search, float[][] data, float[][] queries, int k)
    {
        double hits = 0;
        foreach (var q in queries)
        {
            var exact = ExactTopK(data, q, k).ToHashSet();
            hits += search(q).Take(k).Count(exact.Contains);
        }
        return hits / (queries.Length * (double)k);
    }

    public static string Key(int i) => $"v{i}";

    public static int Id(string key) => int.Parse(key.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);

    private static float[] Gaussian(Random rng, int dims, float scale)
    {
        var v = new float[dims];
        for (var i = 0; i < dims; i++)
            v[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble())) * scale;
        return v;
    }
}
