using System.Collections.Concurrent;
using Microsoft.Extensions.AI;
using MiniMe.Configuration;
using MiniMe.Embeddings;

namespace MiniMe.Hosting;

/// <summary>
/// The embedding generator embeddings.model names, loaded on first use (so commands that never embed
/// never load a model) and shared by every user of the engine; null when embeddings.model is none.
/// A bundled model (minilm, arctic-xs) is written once from the package into the model cache,
/// verified by SHA-256; nothing is ever downloaded. Loaded models are kept for the life of the
/// process, keyed by what they were loaded from, so engines opened one after another (the server's
/// users, a test run) share one ONNX session instead of loading 90 MB each time.
/// </summary>
public sealed class EmbeddingModel
{
    private static readonly ConcurrentDictionary<string, Lazy<IEmbeddingGenerator<string, Embedding<float>>>> Loaded = new(StringComparer.Ordinal);

    private readonly Lazy<IEmbeddingGenerator<string, Embedding<float>>?> _generator;

    public EmbeddingModel(Workspace workspace, MiniMeOptions options)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(options);
        _generator = new Lazy<IEmbeddingGenerator<string, Embedding<float>>?>(() => Create(workspace, options));
        Description = Describe(workspace, options.Embeddings);
    }

    internal EmbeddingModel(Func<IEmbeddingGenerator<string, Embedding<float>>?> create) =>
        _generator = new Lazy<IEmbeddingGenerator<string, Embedding<float>>?>(create);

    public IEmbeddingGenerator<string, Embedding<float>>? Generator => _generator.Value;

    /// <summary>Whether the model has been loaded (doctor reports without loading one).</summary>
    public bool IsLoaded => _generator.IsValueCreated;

    /// <summary>The model's identity (its content hash, pooling and prefixes), kept with every vector so vectors of different models never mix.</summary>
    public string? ModelId => Generator?.GetService<EmbeddingGeneratorMetadata>()?.DefaultModelId;

    /// <summary>Dimensions of the loaded model's vectors, when known.</summary>
    public int? Dimensions => Generator?.GetService<EmbeddingGeneratorMetadata>()?.DefaultModelDimensions;

    /// <summary>The model file in use (for a bundled model, its copy in the model cache); null until loaded.</summary>
    public string? Location { get; private set; }

    /// <summary>What embeddings.model names, in words, without loading it ("minilm (bundled all-MiniLM-L6-v2)").</summary>
    public string Description { get; } = "a generator given by the host";

    private static string Describe(Workspace workspace, EmbeddingOptions settings) => settings.EffectiveModel switch
    {
        "none" => "none (lexical retrieval only)",
        "file" => $"file {workspace.ResolvePath(settings.ModelPath ?? "")}",
        var name => $"{name} (bundled: {BundledModels.Get(name).Description})",
    };

    private IEmbeddingGenerator<string, Embedding<float>>? Create(Workspace workspace, MiniMeOptions options)
    {
        var settings = options.Embeddings;
        var model = settings.EffectiveModel;
        if (model == "none") return null;
        OnnxEmbeddingOptions onnx;
        if (model == "file")
        {
            if (string.IsNullOrWhiteSpace(settings.ModelPath) || string.IsNullOrWhiteSpace(settings.VocabPath))
                throw new ConfigException($"{workspace.ConfigPath}: embeddings.model is file but embeddings.modelPath or embeddings.vocabPath is not set.");
            onnx = new OnnxEmbeddingOptions
            {
                ModelPath = workspace.ResolvePath(settings.ModelPath),
                VocabPath = workspace.ResolvePath(settings.VocabPath),
                Pooling = settings.Pooling ?? EmbeddingPooling.Mean,
                QueryPrefix = settings.QueryPrefix ?? "",
                DocumentPrefix = settings.DocumentPrefix ?? "",
                MaxTokens = settings.MaxTokens ?? 256,
            };
        }
        else
        {
            var bundled = BundledModels.Get(model);
            var cache = settings.CacheDirectory is { Length: > 0 } c ? workspace.ResolvePath(c) : null;
            var materialized = BundledModels.Materialize(bundled, cache);
            onnx = OnnxEmbeddingOptions.For(materialized);
            if (settings.MaxTokens is { } maxTokens) onnx = onnx with { MaxTokens = maxTokens };
        }
        onnx = onnx with { IntraOpThreads = settings.Threads, BatchSize = settings.BatchSize, MaxWindows = settings.MaxWindows };
        Location = onnx.ModelPath;
        var key = string.Join('\n', onnx.ModelPath, onnx.VocabPath, onnx.Pooling, onnx.QueryPrefix, onnx.DocumentPrefix, onnx.MaxTokens, onnx.MaxWindows, onnx.IntraOpThreads, onnx.BatchSize);
        var loaded = Loaded.GetOrAdd(key, _ => new Lazy<IEmbeddingGenerator<string, Embedding<float>>>(() => new OnnxEmbeddingGenerator(onnx)));
        try
        {
            return loaded.Value;
        }
        catch
        {
            Loaded.TryRemove(key, out _);   // a missing or broken file: the next attempt tries again
            throw;
        }
    }
}
