using System.Numerics.Tensors;
using Microsoft.Extensions.AI;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace MiniMe.Embeddings;

/// <summary>
/// Local embedding generator over a sentence-transformer style ONNX model: BERT-uncased WordPiece tokenization,
/// mean or [CLS] pooling, optional L2 normalization, query/document prefixes (<see cref="EmbeddingPurpose"/>),
/// and overlapping windows for inputs longer than the model's window. CPU only, no network.
/// </summary>
/// <remarks>
/// Inputs are tokenized first, sorted by length and run in batches padded only to the longest window of each
/// batch; results come back in the caller's order. Thread-safe.
/// </remarks>
public sealed class OnnxEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private const string ProviderName = "onnx";
    private const string InputIdsName = "input_ids";
    private const string AttentionMaskName = "attention_mask";
    private const string TokenTypeIdsName = "token_type_ids";
    private static readonly string[] PreferredOutputNames = ["sentence_embedding", "embeddings", "last_hidden_state"];

    private readonly OnnxEmbeddingOptions _options;
    private readonly InferenceSession _session;
    private readonly BertUncasedTokenizer _tokenizer;
    private readonly bool _hasAttentionMask;
    private readonly bool _hasTokenTypeIds;
    private readonly string _outputName;
    private readonly string[] _outputNames;
    private readonly int[] _queryPrefixIds;
    private readonly int[] _documentPrefixIds;
    private readonly object _metadataLock = new();
    private int _dimensions;
    private EmbeddingGeneratorMetadata _metadata;
    private Buffers? _spare;
    private bool _disposed;

    /// <summary>Loads the model and vocabulary; throws <see cref="EmbeddingModelException"/> when either is missing or invalid.</summary>
    public OnnxEmbeddingGenerator(OnnxEmbeddingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.ModelPath, nameof(options));
        ArgumentException.ThrowIfNullOrWhiteSpace(options.VocabPath, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxTokens, 3, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.IntraOpThreads, 0, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.WindowOverlapTokens, 0, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxWindows, 1, nameof(options));
        ArgumentNullException.ThrowIfNull(options.QueryPrefix, nameof(options));
        ArgumentNullException.ThrowIfNull(options.DocumentPrefix, nameof(options));

        var modelPath = Path.GetFullPath(options.ModelPath);
        var vocabPath = Path.GetFullPath(options.VocabPath);
        if (!File.Exists(modelPath))
        {
            throw new EmbeddingModelException($"ONNX model not found at {modelPath}; set embeddings.modelPath to an existing .onnx file.");
        }

        if (!File.Exists(vocabPath))
        {
            throw new EmbeddingModelException($"Tokenizer vocabulary not found at {vocabPath}; set embeddings.vocabPath to the model's vocab.txt.");
        }

        _options = options;
        _tokenizer = CreateTokenizer(vocabPath, options.LowerCase);
        _queryPrefixIds = PrefixIds(options.QueryPrefix, nameof(options.QueryPrefix));
        _documentPrefixIds = PrefixIds(options.DocumentPrefix, nameof(options.DocumentPrefix));
        ModelId = !string.IsNullOrWhiteSpace(options.ModelId)
            ? options.ModelId
            : ModelIdentity.Build(options, options.ModelSha256 ?? ModelIdentity.FileSha256(modelPath));
        _session = CreateSession(modelPath, options);
        try
        {
            var inputs = _session.InputMetadata;
            if (!inputs.TryGetValue(InputIdsName, out var idsMeta))
            {
                throw Invalid(modelPath, $"it has no '{InputIdsName}' input (inputs: {string.Join(", ", inputs.Keys)})");
            }

            RequireInt64(modelPath, InputIdsName, idsMeta);
            _hasAttentionMask = inputs.TryGetValue(AttentionMaskName, out var maskMeta);
            if (maskMeta is not null)
            {
                RequireInt64(modelPath, AttentionMaskName, maskMeta);
            }

            _hasTokenTypeIds = inputs.TryGetValue(TokenTypeIdsName, out var typeMeta);
            if (typeMeta is not null)
            {
                RequireInt64(modelPath, TokenTypeIdsName, typeMeta);
            }

            var unsupported = inputs.Keys.Where(k => k is not (InputIdsName or AttentionMaskName or TokenTypeIdsName)).ToArray();
            if (unsupported.Length > 0)
            {
                throw Invalid(modelPath, $"it requires unsupported inputs: {string.Join(", ", unsupported)}");
            }

            (_outputName, _dimensions) = SelectOutput(modelPath, _session.OutputMetadata);
            _outputNames = [_outputName];
        }
        catch
        {
            _session.Dispose();
            throw;
        }

        _metadata = BuildMetadata();
    }

    /// <summary>
    /// Model identifier stamped on generated embeddings and kept with every stored vector, so vectors of different
    /// models never mix. Unless <see cref="OnnxEmbeddingOptions.ModelId"/> sets it, it is derived from the model's
    /// content, not its file name: <c>{name}-{first 12 hex of the model file's SHA-256}-{pooling}</c>, e.g.
    /// <c>minilm-4a64cee3d413-mean</c>, followed by <c>-{8 hex}</c> of a hash of the prefixes, window size, overlap,
    /// window limit, lower-casing and normalization when they differ from the model's defaults. The name is
    /// <see cref="OnnxEmbeddingOptions.ModelName"/>, else the bundled model's name when the file is one, else "onnx".
    /// Only <c>[a-z0-9-]</c>, so it can be part of a file name.
    /// </summary>
    public string ModelId { get; }

    /// <summary>Embedding dimension, or <see langword="null"/> until known (symbolic output shape and no run yet).</summary>
    public int? Dimensions => Volatile.Read(ref _dimensions) is > 0 and var d ? d : null;

    /// <inheritdoc />
    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values,
        EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(_disposed, this);

        var texts = values as IReadOnlyList<string> ?? values.ToArray();
        var prefix = EmbeddingPurpose.IsQuery(options) ? _queryPrefixIds : _documentPrefixIds;
        var windows = Tokenize(texts, prefix, out var tokenCount);
        var vectors = Embed(windows, texts.Count, cancellationToken);

        if (options?.Dimensions is int requested && Dimensions is int actual && requested != actual)
        {
            throw new ArgumentException($"Model '{ModelId}' produces {actual}-dimensional embeddings; {requested} were requested.", nameof(options));
        }

        var createdAt = DateTimeOffset.UtcNow;
        var result = new GeneratedEmbeddings<Embedding<float>>(texts.Count);
        foreach (var vector in vectors)
        {
            result.Add(new Embedding<float>(vector) { ModelId = ModelId, CreatedAt = createdAt });
        }

        result.Usage = new UsageDetails { InputTokenCount = tokenCount, TotalTokenCount = tokenCount };
        return Task.FromResult(result);
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }

        if (serviceType == typeof(EmbeddingGeneratorMetadata))
        {
            lock (_metadataLock)
            {
                return _metadata;
            }
        }

        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _session.Dispose();
    }

    /// <summary>[CLS] + prefix + window of word pieces + [SEP] for every window of every input.</summary>
    private List<Window> Tokenize(IReadOnlyList<string> texts, int[] prefix, out long tokenCount)
    {
        var body = _options.MaxTokens - 2 - prefix.Length;
        var overlap = Math.Min(_options.WindowOverlapTokens, body / 2);
        var stride = body - overlap;
        var windows = new List<Window>(texts.Count);
        var ids = new List<int>(256);
        tokenCount = 0;
        for (var owner = 0; owner < texts.Count; owner++)
        {
            ids.Clear();
            _tokenizer.Encode(texts[owner] ?? string.Empty, ids);
            var count = ids.Count;
            if (count <= body || _options.MaxWindows == 1)
            {
                tokenCount += Add(owner, 0, Math.Min(count, body));
                continue;
            }

            // Overlapping windows; the last one ends at the input's end (unless MaxWindows stops earlier).
            var made = 0;
            for (var start = 0; made < _options.MaxWindows; start += stride)
            {
                var last = start + body >= count;
                var from = last ? count - body : start;
                tokenCount += Add(owner, from, body);
                made++;
                if (last)
                {
                    break;
                }
            }
        }

        return windows;

        int Add(int owner, int from, int length)
        {
            var row = new int[length + prefix.Length + 2];
            row[0] = _tokenizer.ClassificationId;
            prefix.CopyTo(row, 1);
            var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(ids).Slice(from, length);
            span.CopyTo(row.AsSpan(1 + prefix.Length));
            row[^1] = _tokenizer.SeparatorId;
            windows.Add(new Window(owner, row));
            return row.Length;
        }
    }

    private float[][] Embed(List<Window> windows, int owners, CancellationToken cancellationToken)
    {
        // Sort by length so each batch pads to nearly its own length.
        var order = new int[windows.Count];
        var lengths = new int[windows.Count];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
            lengths[i] = windows[i].Ids.Length;
        }

        Array.Sort(lengths, order);

        var pooled = new float[windows.Count][];
        var buffers = Interlocked.Exchange(ref _spare, null) ?? new Buffers();
        try
        {
            for (var start = 0; start < order.Length; start += _options.BatchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var count = Math.Min(_options.BatchSize, order.Length - start);
                RunBatch(windows, order.AsSpan(start, count), lengths[start + count - 1], buffers, pooled);
            }
        }
        finally
        {
            Interlocked.Exchange(ref _spare, buffers);
        }

        // One vector per input: a single window's own, or the token-weighted mean of its windows.
        var result = new float[owners][];
        float[]? weights = null;
        for (var w = 0; w < windows.Count; w++)
        {
            var owner = windows[w].Owner;
            var vector = pooled[w];
            if (result[owner] is not { } sum)
            {
                result[owner] = vector;
                continue;
            }

            weights ??= new float[owners];
            if (weights[owner] == 0f)
            {
                // Second window: start the weighted sum from the first.
                var first = result[owner] = (float[])sum.Clone();
                weights[owner] = WindowWeight(windows[w - 1]);
                TensorPrimitives.Multiply(first, weights[owner], first);
                sum = first;
            }

            var weight = WindowWeight(windows[w]);
            TensorPrimitives.MultiplyAdd(vector, weight, sum, sum);
            weights[owner] += weight;
        }

        if (weights is not null)
        {
            for (var owner = 0; owner < owners; owner++)
            {
                if (weights[owner] > 0f)
                {
                    var vector = result[owner];
                    TensorPrimitives.Multiply(vector, 1f / weights[owner], vector);
                    Finish(vector);
                }
            }
        }

        return result;
    }

    private static float WindowWeight(Window window) => window.Ids.Length - 2;

    private void RunBatch(List<Window> windows, ReadOnlySpan<int> batch, int seqLen, Buffers buffers, float[][] pooled)
    {
        var count = batch.Length;
        var cells = count * seqLen;
        var inputIds = buffers.Ids(cells);
        var attention = buffers.Mask(cells);
        var typeIds = buffers.Types(cells);
        for (var i = 0; i < count; i++)
        {
            var row = windows[batch[i]].Ids;
            var ids = inputIds.AsSpan(i * seqLen, seqLen);
            var mask = attention.AsSpan(i * seqLen, seqLen);
            for (var j = 0; j < row.Length; j++)
            {
                ids[j] = row[j];
            }

            ids[row.Length..].Fill(_tokenizer.PaddingId);
            mask[..row.Length].Fill(1);
            mask[row.Length..].Clear();
        }

        long[] shape = [count, seqLen];
        var names = new List<string>(3) { InputIdsName };
        var values = new List<OrtValue>(3);
        try
        {
            values.Add(OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, inputIds.AsMemory(0, cells), shape));
            if (_hasAttentionMask)
            {
                names.Add(AttentionMaskName);
                values.Add(OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, attention.AsMemory(0, cells), shape));
            }

            if (_hasTokenTypeIds)
            {
                names.Add(TokenTypeIdsName);
                values.Add(OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, typeIds.AsMemory(0, cells), shape));
            }

            // ONNX Runtime allocates the output itself: binding a preallocated output buffer measured ~20% slower.
            using var runOptions = new RunOptions();
            try
            {
                using var outputs = _session.Run(runOptions, names, values, _outputNames);
                var first = outputs.First();
                Pool(first.GetTensorDataAsSpan<float>(), first.GetTensorTypeAndShape().Shape, windows, batch, seqLen, pooled);
            }
            catch (OnnxRuntimeException ex)
            {
                throw new EmbeddingModelException($"ONNX inference failed for model '{ModelId}': {ex.Message}", ex);
            }
        }
        finally
        {
            foreach (var value in values)
            {
                value.Dispose();
            }
        }
    }

    private void Pool(ReadOnlySpan<float> data, long[] shape, List<Window> windows, ReadOnlySpan<int> batch, int seqLen, float[][] pooled)
    {
        var count = batch.Length;
        if (shape.Length == 2 && shape[0] == count)
        {
            var dim = checked((int)shape[1]);
            SetDimensions(dim);
            for (var i = 0; i < count; i++)
            {
                pooled[batch[i]] = Finish(data.Slice(i * dim, dim).ToArray());
            }

            return;
        }

        if (shape.Length != 3 || shape[0] != count || shape[1] != seqLen)
        {
            throw new EmbeddingModelException(
                $"Model '{ModelId}' output '{_outputName}' has shape [{string.Join(", ", shape)}]; expected [batch, seq, dim] or [batch, dim].");
        }

        var width = checked((int)shape[2]);
        SetDimensions(width);
        for (var i = 0; i < count; i++)
        {
            var tokens = windows[batch[i]].Ids.Length;
            var rowStart = i * seqLen * width;
            float[] vector;
            if (_options.Pooling == EmbeddingPooling.Cls)
            {
                vector = data.Slice(rowStart, width).ToArray();
            }
            else
            {
                vector = new float[width];
                for (var j = 0; j < tokens; j++)
                {
                    TensorPrimitives.Add(vector, data.Slice(rowStart + (j * width), width), vector);
                }

                TensorPrimitives.Multiply(vector, 1f / tokens, vector);
            }

            pooled[batch[i]] = Finish(vector);
        }
    }

    private float[] Finish(float[] vector)
    {
        if (_options.Normalize)
        {
            var norm = TensorPrimitives.Norm(vector);
            if (norm > 0f)
            {
                TensorPrimitives.Divide(vector, norm, vector);
            }
        }

        return vector;
    }

    private void SetDimensions(int dim)
    {
        if (Volatile.Read(ref _dimensions) == dim)
        {
            return;
        }

        lock (_metadataLock)
        {
            _dimensions = dim;
            _metadata = BuildMetadata();
        }
    }

    private EmbeddingGeneratorMetadata BuildMetadata() => new(ProviderName, providerUri: null, ModelId, Dimensions);

    private int[] PrefixIds(string prefix, string option)
    {
        var ids = _tokenizer.Encode(prefix).ToArray();
        if (ids.Length > _options.MaxTokens - 3)
        {
            throw new EmbeddingModelException(
                $"embeddings.{char.ToLowerInvariant(option[0])}{option[1..]} is {ids.Length} word pieces; it must leave room in a {_options.MaxTokens}-token window.");
        }

        return ids;
    }

    private static BertUncasedTokenizer CreateTokenizer(string vocabPath, bool lowerCase)
    {
        try
        {
            return BertUncasedTokenizer.Load(vocabPath, lowerCase);
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or FormatException or InvalidOperationException)
        {
            throw new EmbeddingModelException(
                $"{vocabPath} is not a valid BERT WordPiece vocabulary: {ex.Message}; set embeddings.vocabPath to the model's vocab.txt.", ex);
        }
    }

    private static InferenceSession CreateSession(string modelPath, OnnxEmbeddingOptions options)
    {
        using var sessionOptions = new SessionOptions
        {
            IntraOpNumThreads = options.IntraOpThreads > 0 ? options.IntraOpThreads : Environment.ProcessorCount,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            EnableCpuMemArena = true,
            EnableMemoryPattern = true,
        };
        sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", options.AllowSpinning ? "1" : "0");
        try
        {
            return new InferenceSession(modelPath, sessionOptions);
        }
        catch (OnnxRuntimeException ex)
        {
            throw Invalid(modelPath, FirstLine(ex.Message), ex);
        }
    }

    private static (string Name, int Dimensions) SelectOutput(string modelPath, IReadOnlyDictionary<string, NodeMetadata> outputs)
    {
        if (outputs.Count == 0)
        {
            throw Invalid(modelPath, "it declares no outputs");
        }

        var name = PreferredOutputNames.FirstOrDefault(outputs.ContainsKey) ?? outputs.Keys.First();
        var meta = outputs[name];
        if (!meta.IsTensor || meta.ElementDataType != TensorElementType.Float)
        {
            throw Invalid(modelPath, $"output '{name}' is not a float tensor");
        }

        var dims = meta.Dimensions;
        if (dims.Length is not (2 or 3))
        {
            throw Invalid(modelPath, $"output '{name}' has rank {dims.Length}; expected [batch, seq, dim] or [batch, dim]");
        }

        return (name, Math.Max(dims[^1], 0));
    }

    private static void RequireInt64(string modelPath, string name, NodeMetadata meta)
    {
        if (!meta.IsTensor || meta.ElementDataType != TensorElementType.Int64)
        {
            throw Invalid(modelPath, $"input '{name}' is not an int64 tensor");
        }
    }

    private static EmbeddingModelException Invalid(string modelPath, string reason, Exception? inner = null)
    {
        var message = $"{modelPath} is not a valid ONNX embedding model: {reason}; set embeddings.modelPath to a sentence-transformer ONNX export.";
        return inner is null ? new EmbeddingModelException(message) : new EmbeddingModelException(message, inner);
    }

    private static string FirstLine(string text)
    {
        var end = text.IndexOfAny(['\r', '\n']);
        return (end < 0 ? text : text[..end]).Trim();
    }

    /// <summary>One window of one input: [CLS] + prefix + word pieces + [SEP].</summary>
    private readonly record struct Window(int Owner, int[] Ids);

    /// <summary>Input buffers reused across batches and calls (one set per concurrent call).</summary>
    private sealed class Buffers
    {
        private long[] _ids = [];
        private long[] _mask = [];
        private long[] _types = [];

        public long[] Ids(int size) => _ids.Length >= size ? _ids : _ids = new long[size];

        public long[] Mask(int size) => _mask.Length >= size ? _mask : _mask = new long[size];

        public long[] Types(int size) => _types.Length >= size ? _types : _types = new long[size];
    }
}
