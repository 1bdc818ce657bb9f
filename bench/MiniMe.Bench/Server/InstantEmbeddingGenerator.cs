using Microsoft.Extensions.AI;

namespace MiniMe.Bench.Server;

/// <summary>
/// An embedding model that answers at once, as <see cref="InstantChatClient"/> does for the chat model:
/// 384 dimensions from hashed words (texts sharing words are near), so the server's dense search and
/// vector fill run over real vectors while the benchmark measures the server, not ONNX.
/// </summary>
internal sealed class InstantEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    public const int Dimensions = 384;

    private static readonly EmbeddingGeneratorMetadata Metadata = new("instant", null, "instant-hashed-words-384", Dimensions);

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        return Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(values.Select(Embed)));
    }

    private static Embedding<float> Embed(string text)
    {
        var vector = new float[Dimensions];
        foreach (var word in text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            var hash = (uint)StringComparer.OrdinalIgnoreCase.GetHashCode(word.Trim('.', ',', '?', '!', ':', ';'));
            vector[hash % Dimensions] += (hash & 0x100) == 0 ? 1 : -1;
        }
        var norm = MathF.Sqrt(vector.Sum(v => v * v));
        if (norm > 0) for (var i = 0; i < vector.Length; i++) vector[i] /= norm;
        else vector[0] = 1;
        return new Embedding<float>(vector);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType == typeof(EmbeddingGeneratorMetadata) ? Metadata : null;

    public void Dispose() { }
}
