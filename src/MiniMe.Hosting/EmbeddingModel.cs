using Microsoft.Extensions.AI;
using MiniMe.Configuration;
using MiniMe.Embeddings;

namespace MiniMe.Hosting;

/// <summary>
/// The embedding generator embeddings.* names, loaded on first use (so commands that never embed
/// never load a model) and shared by every user of the engine; null when embeddings.provider is none.
/// </summary>
public sealed class EmbeddingModel : IDisposable
{
    private readonly Lazy<IEmbeddingGenerator<string, Embedding<float>>?> _generator;

    public EmbeddingModel(Workspace workspace, MiniMeOptions options)
        : this(() => Create(workspace, options))
    {
    }

    internal EmbeddingModel(Func<IEmbeddingGenerator<string, Embedding<float>>?> create) =>
        _generator = new Lazy<IEmbeddingGenerator<string, Embedding<float>>?>(create);

    public IEmbeddingGenerator<string, Embedding<float>>? Generator => _generator.Value;

    /// <summary>The model's id, kept with every vector so vectors of different models never mix.</summary>
    public string? ModelId => Generator?.GetService<EmbeddingGeneratorMetadata>()?.DefaultModelId;

    private static IEmbeddingGenerator<string, Embedding<float>>? Create(Workspace workspace, MiniMeOptions options)
    {
        var settings = options.Embeddings;
        if (settings.Provider != EmbeddingProvider.Onnx) return null;
        if (string.IsNullOrWhiteSpace(settings.ModelPath) || string.IsNullOrWhiteSpace(settings.VocabPath))
            throw new ConfigException($"{workspace.ConfigPath}: embeddings.provider is onnx but embeddings.modelPath or embeddings.vocabPath is not set.");
        return new OnnxEmbeddingGenerator(new OnnxEmbeddingOptions
        {
            ModelPath = workspace.ResolvePath(settings.ModelPath),
            VocabPath = workspace.ResolvePath(settings.VocabPath),
            MaxTokens = settings.MaxTokens,
        });
    }

    public void Dispose()
    {
        if (_generator.IsValueCreated) _generator.Value?.Dispose();
    }
}
