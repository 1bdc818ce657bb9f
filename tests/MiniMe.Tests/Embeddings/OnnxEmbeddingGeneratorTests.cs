using System.Numerics.Tensors;
using Microsoft.Extensions.AI;
using MiniMe.Embeddings;

namespace MiniMe.Tests.Embeddings;

public sealed class OnnxEmbeddingGeneratorTests : IDisposable
{
    private const int Dim = 24;
    private readonly string _dir;
    private readonly string _vocabPath;

    public OnnxEmbeddingGeneratorTests()
    {
        _dir = Path.Combine(Path.GetTempPath(), "minime-onnx-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
        _vocabPath = Path.Combine(_dir, "vocab.txt");
        TinyOnnxModelWriter.WriteVocab(_vocabPath);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Embeddings_have_model_dimension_and_unit_length()
    {
        using var generator = CreateGenerator();

        var result = await generator.GenerateAsync(["The cat sat on the mat.", "quantum physics"]);

        Assert.Equal(2, result.Count);
        foreach (var embedding in result)
        {
            Assert.Equal(Dim, embedding.Vector.Length);
            Assert.Equal(1f, TensorPrimitives.Norm(embedding.Vector.Span), 4);
            Assert.Equal(generator.ModelId, embedding.ModelId);
            Assert.Matches("^onnx-[0-9a-f]{12}-mean$", embedding.ModelId);
            Assert.NotNull(embedding.CreatedAt);
        }

        Assert.Equal(Dim, generator.Dimensions);
    }

    [Fact]
    public async Task Identical_texts_give_identical_vectors()
    {
        using var generator = CreateGenerator();

        var result = await generator.GenerateAsync(["the red car", "the red car"]);
        var again = await generator.GenerateAsync(["the red car"]);

        Assert.Equal(result[0].Vector.ToArray(), result[1].Vector.ToArray());
        Assert.Equal(result[0].Vector.ToArray(), again[0].Vector.ToArray());
    }

    [Fact]
    public async Task Texts_sharing_words_are_more_similar_than_unrelated_texts()
    {
        using var generator = CreateGenerator();

        var result = await generator.GenerateAsync(["the cat sat on the mat", "the cat sat on a rug", "solve hard quantum physics equations"]);

        var related = TensorPrimitives.CosineSimilarity(result[0].Vector.Span, result[1].Vector.Span);
        var unrelated = TensorPrimitives.CosineSimilarity(result[0].Vector.Span, result[2].Vector.Span);
        Assert.True(related > unrelated, $"related {related} should exceed unrelated {unrelated}");
    }

    [Fact]
    public async Task Mean_pooling_ignores_padding()
    {
        using var generator = CreateGenerator();

        var alone = await generator.GenerateAsync(["dog"]);
        var batched = await generator.GenerateAsync(["the dog ran in the park with a red book", "dog"]);

        AssertClose(alone[0].Vector.Span, batched[1].Vector.Span);
    }

    [Fact]
    public async Task Truncates_to_max_tokens_when_one_window_is_allowed()
    {
        using var generator = CreateGenerator(o => o with { MaxTokens = 3, MaxWindows = 1 });

        var first = await generator.GenerateAsync(["cat"]);
        var longer = await generator.GenerateAsync(["cat sat on the mat"]);

        AssertClose(first[0].Vector.Span, longer[0].Vector.Span);
        Assert.Equal(3, longer.Usage?.InputTokenCount);
    }

    [Fact]
    public async Task Long_input_is_the_token_weighted_mean_of_its_windows()
    {
        using var generator = CreateGenerator(o => o with { MaxTokens = 4, WindowOverlapTokens = 0 });

        // Windows of two word pieces: [cat sat] [on the] [the mat] (the last one ends at the end).
        var whole = await generator.GenerateAsync(["cat sat on the mat"]);
        var parts = await generator.GenerateAsync(["cat sat", "on the", "the mat"]);

        var expected = new float[Dim];
        foreach (var part in parts)
        {
            TensorPrimitives.Add(expected, part.Vector.Span, expected);
        }

        TensorPrimitives.Divide(expected, TensorPrimitives.Norm(expected), expected);
        AssertClose(expected, whole[0].Vector.Span);
        Assert.Equal(12, whole.Usage?.InputTokenCount);
    }

    [Fact]
    public async Task Batches_larger_than_batch_size_keep_order()
    {
        using var generator = CreateGenerator(o => o with { BatchSize = 2 });
        string[] texts = ["cat", "dog", "tree", "book", "code"];

        var batched = await generator.GenerateAsync(texts);

        Assert.Equal(texts.Length, batched.Count);
        for (var i = 0; i < texts.Length; i++)
        {
            var single = await generator.GenerateAsync([texts[i]]);
            AssertClose(single[0].Vector.Span, batched[i].Vector.Span);
        }
    }

    [Fact]
    public async Task Rank2_output_model_works()
    {
        var modelPath = Path.Combine(_dir, "pooled.onnx");
        TinyOnnxModelWriter.WriteModel(modelPath, Dim, pooled: true);
        using var generator = new OnnxEmbeddingGenerator(new OnnxEmbeddingOptions { ModelPath = modelPath, VocabPath = _vocabPath });

        var result = await generator.GenerateAsync(["the blue house", "the blue house"]);

        Assert.Equal(Dim, result[0].Vector.Length);
        Assert.Equal(1f, TensorPrimitives.Norm(result[0].Vector.Span), 4);
        Assert.Equal(result[0].Vector.ToArray(), result[1].Vector.ToArray());
    }

    [Fact]
    public async Task Model_declaring_token_type_ids_is_fed()
    {
        var modelPath = Path.Combine(_dir, "typed.onnx");
        TinyOnnxModelWriter.WriteModel(modelPath, Dim, tokenTypeIds: true);
        using var generator = new OnnxEmbeddingGenerator(new OnnxEmbeddingOptions { ModelPath = modelPath, VocabPath = _vocabPath });
        using var plain = CreateGenerator();

        var typed = await generator.GenerateAsync(["read the book"]);
        var reference = await plain.GenerateAsync(["read the book"]);

        AssertClose(reference[0].Vector.Span, typed[0].Vector.Span);
    }

    [Fact]
    public async Task Unnormalized_output_keeps_raw_mean()
    {
        using var generator = CreateGenerator(o => o with { Normalize = false });

        var result = await generator.GenerateAsync(["cat"]);

        // [CLS]=2, cat=7, [SEP]=3
        var expected = new float[Dim];
        for (var c = 0; c < Dim; c++)
        {
            expected[c] = (TinyOnnxModelWriter.TableValue(2, c) + TinyOnnxModelWriter.TableValue(7, c) + TinyOnnxModelWriter.TableValue(3, c)) / 3f;
        }

        AssertClose(expected, result[0].Vector.Span);
    }

    [Fact]
    public void Metadata_reports_provider_model_and_dimensions()
    {
        using var generator = CreateGenerator(o => o with { ModelId = "tiny-test" });

        var metadata = generator.GetService<EmbeddingGeneratorMetadata>();

        Assert.NotNull(metadata);
        Assert.Equal("onnx", metadata.ProviderName);
        Assert.Equal("tiny-test", metadata.DefaultModelId);
        Assert.Equal(Dim, metadata.DefaultModelDimensions);
        Assert.Same(generator, generator.GetService<OnnxEmbeddingGenerator>());
    }

    [Fact]
    public void Missing_model_file_throws_with_path()
    {
        var missing = Path.Combine(_dir, "nope.onnx");

        var ex = Assert.Throws<EmbeddingModelException>(() =>
            new OnnxEmbeddingGenerator(new OnnxEmbeddingOptions { ModelPath = missing, VocabPath = _vocabPath }));

        Assert.Contains(missing, ex.Message, StringComparison.Ordinal);
        Assert.Contains("embeddings.modelPath", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_vocab_file_throws_with_path()
    {
        var modelPath = WriteDefaultModel();
        var missing = Path.Combine(_dir, "missing-vocab.txt");

        var ex = Assert.Throws<EmbeddingModelException>(() =>
            new OnnxEmbeddingGenerator(new OnnxEmbeddingOptions { ModelPath = modelPath, VocabPath = missing }));

        Assert.Contains(missing, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Corrupt_model_file_throws_embedding_model_exception()
    {
        var corrupt = Path.Combine(_dir, "corrupt.onnx");
        var bytes = new byte[4096];
        new Random(42).NextBytes(bytes);
        File.WriteAllBytes(corrupt, bytes);

        var ex = Assert.Throws<EmbeddingModelException>(() =>
            new OnnxEmbeddingGenerator(new OnnxEmbeddingOptions { ModelPath = corrupt, VocabPath = _vocabPath }));

        Assert.Contains(corrupt, ex.Message, StringComparison.Ordinal);
        Assert.Contains("not a valid ONNX", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancelled_token_throws_before_start()
    {
        using var generator = CreateGenerator();
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => generator.GenerateAsync(["cat"], cancellationToken: cts.Token));
    }

    [Fact]
    public async Task Disposed_generator_throws()
    {
        var generator = CreateGenerator();
        generator.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => generator.GenerateAsync(["cat"]));
    }

    private OnnxEmbeddingGenerator CreateGenerator(Func<OnnxEmbeddingOptions, OnnxEmbeddingOptions>? configure = null)
    {
        var options = new OnnxEmbeddingOptions { ModelPath = WriteDefaultModel(), VocabPath = _vocabPath };
        return new OnnxEmbeddingGenerator(configure?.Invoke(options) ?? options);
    }

    private string WriteDefaultModel()
    {
        var path = Path.Combine(_dir, "tiny.onnx");
        if (!File.Exists(path))
        {
            TinyOnnxModelWriter.WriteModel(path, Dim);
        }

        return path;
    }

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], 5);
        }
    }
}
