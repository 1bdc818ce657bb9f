using System.Text;

namespace MiniMe.Tests.Embeddings;

/// <summary>
/// Writes a tiny, valid ONNX model by hand-encoding the protobuf: an embedding table looked up by
/// <c>Gather(table, input_ids)</c>, optionally followed by <c>ReduceMean</c> over the sequence axis.
/// </summary>
internal static class TinyOnnxModelWriter
{
    private const long FloatType = 1;
    private const long Int64Type = 7;
    private const long AttributeInt = 2;
    private const long AttributeInts = 7;

    /// <summary>The tiny vocabulary, in id order.</summary>
    public static readonly string[] Vocabulary =
    [
        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
        "the", "a", "cat", "dog", "sat", "on", "mat", "rug", "ran", "in", "park",
        "quantum", "physics", "equations", "solve", "hard", "red", "blue", "car",
        "house", "tree", "book", "read", "write", "code", "play", "##s", "##ing", ".", ",",
    ];

    /// <summary>Writes <c>vocab.txt</c> (one token per line).</summary>
    public static void WriteVocab(string path) =>
        File.WriteAllText(path, string.Join('\n', Vocabulary) + "\n", new UTF8Encoding(false));

    /// <summary>Writes the model; <paramref name="pooled"/> gives a rank-2 output named <c>sentence_embedding</c>.</summary>
    public static void WriteModel(string path, int dim, bool pooled = false, bool tokenTypeIds = false) =>
        File.WriteAllBytes(path, BuildModel(Vocabulary.Length, dim, pooled, tokenTypeIds));

    /// <summary>Deterministic table value for (token, component); [PAD] is deliberately large so unmasked padding shows.</summary>
    public static float TableValue(int token, int component)
    {
        if (token == 0)
        {
            return 5f;
        }

        var x = (uint)((token * 7919) + (component * 104729) + 12345);
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        return ((x % 2001) / 1000f) - 1f;
    }

    public static byte[] BuildModel(int vocab, int dim, bool pooled, bool tokenTypeIds)
    {
        var table = new byte[vocab * dim * sizeof(float)];
        for (var t = 0; t < vocab; t++)
        {
            for (var c = 0; c < dim; c++)
            {
                BitConverter.TryWriteBytes(table.AsSpan(((t * dim) + c) * sizeof(float)), TableValue(t, c));
            }
        }

        var graph = new ProtoWriter();
        graph.Message(1, Node("gather", "Gather", ["table", "input_ids"], [pooled ? "hidden" : "last_hidden_state"], null));
        if (pooled)
        {
            var axes = new ProtoWriter().String(1, "axes").Int(20, AttributeInts).Int(8, 1);
            var keepDims = new ProtoWriter().String(1, "keepdims").Int(20, AttributeInt).Int(3, 0);
            graph.Message(1, Node("pool", "ReduceMean", ["hidden"], ["sentence_embedding"], [axes, keepDims]));
        }

        graph.String(2, "tiny_embedder");
        graph.Message(5, new ProtoWriter().Int(1, vocab).Int(1, dim).Int(2, FloatType).String(8, "table").Bytes(9, table));
        graph.Message(11, ValueInfo("input_ids", Int64Type, "batch", "seq"));
        graph.Message(11, ValueInfo("attention_mask", Int64Type, "batch", "seq"));
        if (tokenTypeIds)
        {
            graph.Message(11, ValueInfo("token_type_ids", Int64Type, "batch", "seq"));
        }

        graph.Message(12, pooled
            ? ValueInfo("sentence_embedding", FloatType, "batch", dim)
            : ValueInfo("last_hidden_state", FloatType, "batch", "seq", dim));

        return new ProtoWriter()
            .Int(1, 8)
            .String(2, "MiniMe.Tests")
            .Message(7, graph)
            .Message(8, new ProtoWriter().String(1, string.Empty).Int(2, 13))
            .ToArray();
    }

    private static ProtoWriter Node(string name, string opType, string[] inputs, string[] outputs, ProtoWriter[]? attributes)
    {
        var node = new ProtoWriter();
        foreach (var input in inputs)
        {
            node.String(1, input);
        }

        foreach (var output in outputs)
        {
            node.String(2, output);
        }

        node.String(3, name).String(4, opType);
        foreach (var attribute in attributes ?? [])
        {
            node.Message(5, attribute);
        }

        return node;
    }

    /// <summary>ValueInfoProto; each dim is a string (dim_param) or int (dim_value).</summary>
    private static ProtoWriter ValueInfo(string name, long elemType, params object[] dims)
    {
        var shape = new ProtoWriter();
        foreach (var d in dims)
        {
            shape.Message(1, d is string param ? new ProtoWriter().String(2, param) : new ProtoWriter().Int(1, Convert.ToInt64(d, System.Globalization.CultureInfo.InvariantCulture)));
        }

        var tensorType = new ProtoWriter().Int(1, elemType).Message(2, shape);
        return new ProtoWriter().String(1, name).Message(2, new ProtoWriter().Message(1, tensorType));
    }

    /// <summary>Minimal protobuf writer: varint and length-delimited fields only.</summary>
    private sealed class ProtoWriter
    {
        private readonly MemoryStream _buffer = new();

        public ProtoWriter Int(int field, long value)
        {
            Tag(field, 0);
            Varint((ulong)value);
            return this;
        }

        public ProtoWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

        public ProtoWriter Message(int field, ProtoWriter message) => Bytes(field, message.ToArray());

        public ProtoWriter Bytes(int field, byte[] value)
        {
            Tag(field, 2);
            Varint((ulong)value.Length);
            _buffer.Write(value);
            return this;
        }

        public byte[] ToArray() => _buffer.ToArray();

        private void Tag(int field, int wireType) => Varint(((ulong)field << 3) | (uint)wireType);

        private void Varint(ulong value)
        {
            while (value >= 0x80)
            {
                _buffer.WriteByte((byte)(value | 0x80));
                value >>= 7;
            }

            _buffer.WriteByte((byte)value);
        }
    }
}
