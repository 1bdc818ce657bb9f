using MiniMe.Embeddings;

namespace MiniMe.Tests.Embeddings;

/// <summary>Both bundled models materialized once into a temporary cache and loaded once, shared by the real-model tests.</summary>
public sealed class BundledModelFixture : IDisposable
{
    private readonly Lazy<OnnxEmbeddingGenerator> _miniLm;
    private readonly Lazy<OnnxEmbeddingGenerator> _arctic;

    public BundledModelFixture()
    {
        CacheDirectory = Path.Combine(Path.GetTempPath(), "minime-models-" + Guid.NewGuid().ToString("N"));
        MiniLm = BundledModels.Materialize(BundledModels.Get("minilm"), CacheDirectory);
        ArcticXs = BundledModels.Materialize(BundledModels.Get("arctic-xs"), CacheDirectory);
        _miniLm = new(() => new OnnxEmbeddingGenerator(OnnxEmbeddingOptions.For(MiniLm)));
        _arctic = new(() => new OnnxEmbeddingGenerator(OnnxEmbeddingOptions.For(ArcticXs)));
    }

    public string CacheDirectory { get; }

    public MaterializedModel MiniLm { get; }

    public MaterializedModel ArcticXs { get; }

    public OnnxEmbeddingGenerator MiniLmGenerator => _miniLm.Value;

    public OnnxEmbeddingGenerator ArcticGenerator => _arctic.Value;

    public void Dispose()
    {
        if (_miniLm.IsValueCreated)
        {
            _miniLm.Value.Dispose();
        }

        if (_arctic.IsValueCreated)
        {
            _arctic.Value.Dispose();
        }

        Directory.Delete(CacheDirectory, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class BundledModelCollection : ICollectionFixture<BundledModelFixture>
{
    public const string Name = "Bundled embedding models";
}
