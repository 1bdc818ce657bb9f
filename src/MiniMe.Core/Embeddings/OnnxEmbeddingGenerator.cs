using System.Numerics.Tensors;
using Microsoft.Extensions.AI;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Microsoft.ML.Tokenizers;

namespace MiniMe.Embeddings;

/// <summary>
/// Local embedding generator over a sentence-transformer style ONNX model (BERT WordPiece tokenization,
/// attention-masked mean pooling of token outputs, optional L2 normalization). CPU only, no network.
/// </summary>
public sealed class OnnxEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private const string ProviderName = "onnx";
    private const string InputIdsName = "input_ids";
    private const string AttentionMaskName = "attention_mask";
    private const string TokenTypeIdsName = "token_type_ids";
    private static readonly string[] PreferredOutputNames = ["sentence_embedding", "embeddings", "last_hidden_state"];

    private readonly OnnxEmbeddingOptions _options;
    private readonly InferenceSession _session;
    private readonly BertTokenizer _tokenizer;
    private readonly bool _hasAttentionMask;
    private readonly bool _hasTokenTypeIds;
    private readonly string _outputName;
    private readonly string[] _outputNames;
    private readonly object _metadataLock = new();
    private int _dimensions;
    private EmbeddingGeneratorMetadata _metadata;
    private bool _disposed;

    /// <summary>Loads the model and vocabulary; throws <see cref="EmbeddingModelException"/> when either is missing or invalid.</summary>
    public OnnxEmbeddingGenerator(OnnxEmbeddingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.ModelPath, nameof(options));
        ArgumentException.ThrowIfNullOrWhiteSpace(options.VocabPath, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxTokens, 2, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.IntraOpThreads, 0, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1, nameof(options));

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
        ModelId = string.IsNullOrWhiteSpace(options.ModelId) ? Path.GetFileName(modelPath) : options.ModelId;
        _tokenizer = CreateTokenizer(vocabPath, options.LowerCase);
        _session = CreateSession(modelPath, options.IntraOpThreads);
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

    /// <summary>Model identifier stamped on generated embeddings.</summary>
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
        var result = new GeneratedEmbeddings<Embedding<float>>(texts.Count);
        var createdAt = DateTimeOffset.UtcNow;
        long tokenCount = 0;
        for (var start = 0; start < texts.Count; start += _options.BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var count = Math.Min(_options.BatchSize, texts.Count - start);
            var vectors = EmbedBatch(texts, start, count, ref tokenCount);
            foreach (var vector in vectors)
            {
                result.Add(new Embedding<float>(vector) { ModelId = ModelId, CreatedAt = createdAt });
            }
        }

        if (options?.Dimensions is int requested && Dimensions is int actual && requested != actual)
        {
            throw new ArgumentException($"Model '{ModelId}' produces {actual}-dimensional embeddings; {requested} were requested.", nameof(options));
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

    private float[][] EmbedBatch(IReadOnlyList<string> texts, int start, int count, ref long tokenCount)
    {
        // Tokenize: [CLS] + wordpieces (truncated) + [SEP].
        var tokenized = new int[count][];
        var seqLen = 0;
        for (var i = 0; i < count; i++)
        {
            var text = texts[start + i] ?? string.Empty;
            var ids = _tokenizer.EncodeToIds(text, addSpecialTokens: false);
            var body = Math.Min(ids.Count, _options.MaxTokens - 2);
            var row = new int[body + 2];
            row[0] = _tokenizer.ClassificationTokenId;
            for (var j = 0; j < body; j++)
            {
                row[j + 1] = ids[j];
            }

            row[^1] = _tokenizer.SeparatorTokenId;
            tokenized[i] = row;
            seqLen = Math.Max(seqLen, row.Length);
            tokenCount += row.Length;
        }

        // Pad to the longest sequence in the batch.
        var inputIds = new long[count * seqLen];
        var attention = new long[count * seqLen];
        inputIds.AsSpan().Fill(_tokenizer.PaddingTokenId);
        for (var i = 0; i < count; i++)
        {
            var row = tokenized[i];
            var offset = i * seqLen;
            for (var j = 0; j < row.Length; j++)
            {
                inputIds[offset + j] = row[j];
                attention[offset + j] = 1;
            }
        }

        long[] shape = [count, seqLen];
        var names = new List<string>(3) { InputIdsName };
        var values = new List<OrtValue>(3);
        try
        {
            values.Add(OrtValue.CreateTensorValueFromMemory(inputIds, shape));
            if (_hasAttentionMask)
            {
                names.Add(AttentionMaskName);
                values.Add(OrtValue.CreateTensorValueFromMemory(attention, shape));
            }

            if (_hasTokenTypeIds)
            {
                names.Add(TokenTypeIdsName);
                values.Add(OrtValue.CreateTensorValueFromMemory(new long[count * seqLen], shape));
            }

            using var runOptions = new RunOptions();
            IDisposableReadOnlyCollection<OrtValue> outputs;
            try
            {
                outputs = _session.Run(runOptions, names, values, _outputNames);
            }
            catch (OnnxRuntimeException ex)
            {
                throw new EmbeddingModelException($"ONNX inference failed for model '{ModelId}': {ex.Message}", ex);
            }

            using (outputs)
            {
                var output = outputs.First();
                var outShape = output.GetTensorTypeAndShape().Shape;
                var data = output.GetTensorDataAsSpan<float>();
                return outShape.Length switch
                {
                    3 when outShape[0] == count && outShape[1] == seqLen => MeanPool(data, attention, count, seqLen, checked((int)outShape[2])),
                    2 when outShape[0] == count => Split(data, count, checked((int)outShape[1])),
                    _ => throw new EmbeddingModelException(
                        $"Model '{ModelId}' output '{_outputName}' has shape [{string.Join(", ", outShape)}]; expected [batch, seq, dim] or [batch, dim]."),
                };
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

    private float[][] MeanPool(ReadOnlySpan<float> data, long[] attention, int count, int seqLen, int dim)
    {
        SetDimensions(dim);
        var result = new float[count][];
        for (var i = 0; i < count; i++)
        {
            var vector = new float[dim];
            var tokens = 0;
            for (var j = 0; j < seqLen; j++)
            {
                if (attention[(i * seqLen) + j] == 0)
                {
                    continue;
                }

                TensorPrimitives.Add(vector, data.Slice(((i * seqLen) + j) * dim, dim), vector);
                tokens++;
            }

            if (tokens > 0)
            {
                TensorPrimitives.Multiply(vector, 1f / tokens, vector);
            }

            result[i] = Finish(vector);
        }

        return result;
    }

    private float[][] Split(ReadOnlySpan<float> data, int count, int dim)
    {
        SetDimensions(dim);
        var result = new float[count][];
        for (var i = 0; i < count; i++)
        {
            result[i] = Finish(data.Slice(i * dim, dim).ToArray());
        }

        return result;
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

    private static BertTokenizer CreateTokenizer(string vocabPath, bool lowerCase)
    {
        try
        {
            return BertTokenizer.Create(vocabPath, new BertOptions { LowerCaseBeforeTokenization = lowerCase });
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or FormatException or InvalidOperationException)
        {
            throw new EmbeddingModelException(
                $"{vocabPath} is not a valid BERT WordPiece vocabulary: {ex.Message}; set embeddings.vocabPath to the model's vocab.txt.", ex);
        }
    }

    private static InferenceSession CreateSession(string modelPath, int intraOpThreads)
    {
        using var sessionOptions = new SessionOptions
        {
            IntraOpNumThreads = intraOpThreads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
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
}
