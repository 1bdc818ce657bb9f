using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Security.Cryptography;

namespace MiniMe.Masks.Learned;

/// <summary>
/// A two-layer perceptron: h = tanh(W1 x + b1), z = W2 h + b2; outputs 0-3 are softmax(z[0..4]), the
/// rest sigmoid(z). Parameters are float32 in one array (W1 row-major, b1, W2 row-major, b2), which is
/// also the weights file's content, little-endian. Everything is sequential and seeded, so training the
/// same data with the same seed gives the same bytes.
/// </summary>
public sealed class MaskNetwork
{
    private readonly float[] _parameters;

    private MaskNetwork(int inputs, int hidden, int outputs, float[] parameters)
    {
        Inputs = inputs;
        Hidden = hidden;
        Outputs = outputs;
        _parameters = parameters;
    }

    public int Inputs { get; }
    public int Hidden { get; }
    public int Outputs { get; }

    public static int ParameterCount(int inputs, int hidden, int outputs) => (hidden * inputs) + hidden + (outputs * hidden) + outputs;

    internal Span<float> Parameters => _parameters;

    private int B1 => Hidden * Inputs;
    private int W2 => B1 + Hidden;
    private int B2 => W2 + (Outputs * Hidden);

    /// <summary>Xavier-uniform weights from <paramref name="seed"/>, zero biases.</summary>
    public static MaskNetwork Create(int inputs, int hidden, int outputs, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(hidden, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputs, MaskHeads.LayerHeads + 1);
        var p = new float[ParameterCount(inputs, hidden, outputs)];
        var random = new Random(seed);
        var limit1 = Math.Sqrt(6.0 / (inputs + hidden));
        for (var i = 0; i < hidden * inputs; i++) p[i] = (float)(((random.NextDouble() * 2) - 1) * limit1);
        var limit2 = Math.Sqrt(6.0 / (hidden + outputs));
        var w2 = (hidden * inputs) + hidden;
        for (var i = 0; i < outputs * hidden; i++) p[w2 + i] = (float)(((random.NextDouble() * 2) - 1) * limit2);
        return new MaskNetwork(inputs, hidden, outputs, p);
    }

    public MaskNetwork Clone() => new(Inputs, Hidden, Outputs, (float[])_parameters.Clone());

    internal void CopyFrom(MaskNetwork other) => other._parameters.CopyTo(_parameters, 0);

    /// <summary>The squashed outputs (each in [0, 1]; the first four sum to 1) for one feature vector.</summary>
    public float[] Predict(ReadOnlySpan<float> x)
    {
        var h = new float[Hidden];
        var v = new float[Outputs];
        Forward(x, h, v);
        return v;
    }

    /// <summary>Forward pass: the hidden activations and the squashed outputs.</summary>
    internal void Forward(ReadOnlySpan<float> x, Span<float> h, Span<float> v)
    {
        if (x.Length != Inputs) throw new ArgumentException($"Expected {Inputs} features, got {x.Length}.", nameof(x));
        ReadOnlySpan<float> p = _parameters;
        for (var k = 0; k < Hidden; k++)
            h[k] = TensorPrimitives.Dot(p.Slice(k * Inputs, Inputs), x) + p[B1 + k];
        TensorPrimitives.Tanh(h, h);
        for (var o = 0; o < Outputs; o++)
            v[o] = TensorPrimitives.Dot(p.Slice(W2 + (o * Hidden), Hidden), h) + p[B2 + o];
        // Shifted by the largest logit first: exp of a large one would overflow to infinity (softmax NaN).
        var layers = v[..MaskHeads.LayerHeads];
        TensorPrimitives.Subtract(layers, TensorPrimitives.Max(layers), layers);
        TensorPrimitives.SoftMax(layers, layers);
        TensorPrimitives.Sigmoid(v[MaskHeads.LayerHeads..], v[MaskHeads.LayerHeads..]);
    }

    /// <summary>
    /// Adds one example's gradient of sum_j w_j (v_j - t_j)^2 / <paramref name="scale"/> to <paramref name="gradient"/>;
    /// returns the example's unscaled weighted squared error.
    /// </summary>
    internal double Accumulate(ReadOnlySpan<float> x, ReadOnlySpan<float> target, ReadOnlySpan<float> weight, float scale, Span<float> gradient)
    {
        Span<float> h = stackalloc float[Hidden];
        Span<float> v = stackalloc float[Outputs];
        Span<float> dz = stackalloc float[Outputs];
        Span<float> dh = stackalloc float[Hidden];
        Forward(x, h, v);
        double error = 0;
        for (var o = 0; o < Outputs; o++)
        {
            var d = v[o] - target[o];
            error += weight[o] * d * d;
            dz[o] = 2 * weight[o] * d / scale; // dL/dv, turned into dL/dz below
        }

        // Softmax heads: dz_j = p_j (g_j - sum_i g_i p_i).
        var s = 0f;
        for (var j = 0; j < MaskHeads.LayerHeads; j++) s += dz[j] * v[j];
        for (var j = 0; j < MaskHeads.LayerHeads; j++) dz[j] = v[j] * (dz[j] - s);
        // Sigmoid heads: dz_j = g_j v_j (1 - v_j).
        for (var j = MaskHeads.LayerHeads; j < Outputs; j++) dz[j] *= v[j] * (1 - v[j]);

        ReadOnlySpan<float> p = _parameters;
        dh.Clear();
        for (var o = 0; o < Outputs; o++)
        {
            var row = gradient.Slice(W2 + (o * Hidden), Hidden);
            TensorPrimitives.MultiplyAdd(h, dz[o], row, row);
            gradient[B2 + o] += dz[o];
            TensorPrimitives.MultiplyAdd(p.Slice(W2 + (o * Hidden), Hidden), dz[o], dh, dh);
        }

        for (var k = 0; k < Hidden; k++)
        {
            var da = dh[k] * (1 - (h[k] * h[k]));
            var row = gradient.Slice(k * Inputs, Inputs);
            TensorPrimitives.MultiplyAdd(x, da, row, row);
            gradient[B1 + k] += da;
        }
        return error;
    }

    /// <summary>The parameters as the weights file holds them: float32, little-endian.</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[_parameters.Length * sizeof(float)];
        for (var i = 0; i < _parameters.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), _parameters[i]);
        return bytes;
    }

    /// <summary>Reads a weights file's bytes; null when their length does not fit the shape or a value is not finite.</summary>
    public static MaskNetwork? FromBytes(ReadOnlySpan<byte> bytes, int inputs, int hidden, int outputs)
    {
        if (inputs < 1 || hidden < 1 || outputs <= MaskHeads.LayerHeads) return null;
        var count = ParameterCount(inputs, hidden, outputs);
        if (bytes.Length != count * sizeof(float)) return null;
        var p = new float[count];
        for (var i = 0; i < count; i++)
        {
            p[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * sizeof(float))..]);
            if (!float.IsFinite(p[i])) return null;
        }
        return new MaskNetwork(inputs, hidden, outputs, p);
    }

    /// <summary>Lower-case hex SHA-256 of <see cref="ToBytes"/>.</summary>
    public string Sha256() => Convert.ToHexStringLower(SHA256.HashData(ToBytes()));
}
