using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using MiniMe.Embeddings;

namespace MiniMe.Tests.Embeddings;

[Collection(BundledModelCollection.Name)]
public sealed partial class ModelIdentityTests(BundledModelFixture models) : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "minime-modelid-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public void Model_ids_of_minilm_and_arctic_xs_differ_and_name_model_hash_and_pooling()
    {
        var mini = models.MiniLmGenerator.ModelId;
        var arctic = models.ArcticGenerator.ModelId;

        Assert.Equal("minilm-" + models.MiniLm.Model.ModelSha256[..12] + "-mean", mini);
        Assert.Equal("arctic-xs-" + models.ArcticXs.Model.ModelSha256[..12] + "-cls", arctic);
        Assert.Equal(mini, models.MiniLmGenerator.GetService<EmbeddingGeneratorMetadata>()!.DefaultModelId);
        Assert.Matches(IdPattern(), mini);
        Assert.Matches(IdPattern(), arctic);
    }

    [Fact]
    public void Model_id_differs_between_pooling_settings()
    {
        using var cls = new OnnxEmbeddingGenerator(OnnxEmbeddingOptions.For(models.MiniLm) with { Pooling = EmbeddingPooling.Cls });

        Assert.NotEqual(models.MiniLmGenerator.ModelId, cls.ModelId);
        Assert.EndsWith("-cls", cls.ModelId, StringComparison.Ordinal);
    }

    [Fact]
    public void Model_id_changes_when_prefixes_or_window_differ_from_the_model_defaults()
    {
        using var prefixed = new OnnxEmbeddingGenerator(OnnxEmbeddingOptions.For(models.MiniLm) with { QueryPrefix = "query: " });
        using var wider = new OnnxEmbeddingGenerator(OnnxEmbeddingOptions.For(models.MiniLm) with { MaxTokens = 256 });

        Assert.StartsWith(models.MiniLmGenerator.ModelId + "-", prefixed.ModelId, StringComparison.Ordinal);
        Assert.StartsWith(models.MiniLmGenerator.ModelId + "-", wider.ModelId, StringComparison.Ordinal);
        Assert.NotEqual(prefixed.ModelId, wider.ModelId);
        Assert.Matches(IdPattern(), prefixed.ModelId);
    }

    [Fact]
    public void Model_id_comes_from_file_content_is_stable_across_loads_and_survives_a_rename()
    {
        Directory.CreateDirectory(_dir);
        var original = Path.Combine(_dir, "model.onnx");
        File.Copy(models.MiniLm.ModelPath, original);
        var options = new OnnxEmbeddingOptions { ModelPath = original, VocabPath = models.MiniLm.VocabPath };

        string first;
        using (var generator = new OnnxEmbeddingGenerator(options))
        {
            first = generator.ModelId;
        }

        using (var again = new OnnxEmbeddingGenerator(options))
        {
            Assert.Equal(first, again.ModelId);
        }

        var renamed = Path.Combine(_dir, "renamed-model.onnx");
        File.Move(original, renamed);
        using var moved = new OnnxEmbeddingGenerator(options with { ModelPath = renamed });

        Assert.Equal(first, moved.ModelId);
        // The file is the bundled minilm, recognised by its hash; the generic window (256) differs from the bundled one (512), and the id says so.
        Assert.StartsWith(models.MiniLmGenerator.ModelId + "-", first, StringComparison.Ordinal);
        Assert.True(File.Exists(renamed + ".sha256"), "the hash is kept beside the model");
    }

    [Fact]
    public void Different_model_files_with_the_same_name_get_different_ids()
    {
        var a = Path.Combine(_dir, "a");
        var b = Path.Combine(_dir, "b");
        Directory.CreateDirectory(a);
        Directory.CreateDirectory(b);
        File.Copy(models.MiniLm.ModelPath, Path.Combine(a, "model.onnx"));
        File.Copy(models.ArcticXs.ModelPath, Path.Combine(b, "model.onnx"));

        using var first = new OnnxEmbeddingGenerator(new OnnxEmbeddingOptions { ModelPath = Path.Combine(a, "model.onnx"), VocabPath = models.MiniLm.VocabPath });
        using var second = new OnnxEmbeddingGenerator(new OnnxEmbeddingOptions { ModelPath = Path.Combine(b, "model.onnx"), VocabPath = models.ArcticXs.VocabPath });

        Assert.NotEqual(first.ModelId, second.ModelId);
    }

    [GeneratedRegex("^[a-z0-9-]+$")]
    private static partial Regex IdPattern();
}
