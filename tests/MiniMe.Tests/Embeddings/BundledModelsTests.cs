using System.Security.Cryptography;
using MiniMe.Embeddings;

namespace MiniMe.Tests.Embeddings;

public sealed class BundledModelsTests : IDisposable
{
    private readonly string _cache = Path.Combine(Path.GetTempPath(), "minime-materialize-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_cache))
        {
            Directory.Delete(_cache, recursive: true);
        }
    }

    [Theory]
    [InlineData("minilm", "model.onnx")]
    [InlineData("minilm", "vocab.txt")]
    [InlineData("arctic-xs", "model.onnx")]
    [InlineData("arctic-xs", "vocab.txt")]
    public void Bundled_resources_have_the_recorded_sha256(string name, string resource)
    {
        var model = BundledModels.Get(name);
        var dll = BundledModels.LocateDll(model);

        using var stream = BundledModels.OpenResource(dll, model.PackageId, resource);
        var actual = Convert.ToHexStringLower(SHA256.HashData(stream));

        Assert.Equal(resource == "model.onnx" ? model.ModelSha256 : model.VocabSha256, actual);
    }

    [Fact]
    public void Known_names_are_minilm_and_arctic_xs_and_an_unknown_name_lists_them()
    {
        Assert.Equal(["minilm", "arctic-xs"], BundledModels.All.Select(m => m.Name));
        Assert.Same(BundledModels.Get("minilm"), BundledModels.Get("MiniLM"));

        var ex = Assert.Throws<EmbeddingModelException>(() => BundledModels.Get("bert-large"));

        Assert.Contains("minilm", ex.Message, StringComparison.Ordinal);
        Assert.Contains("arctic-xs", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_output_carries_the_model_dlls_in_models_folder()
    {
        foreach (var model in BundledModels.All)
        {
            Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "models", model.PackageId + ".dll")), model.PackageId);
        }
    }

    [Fact]
    public void Materialize_writes_verified_files_into_a_content_named_folder()
    {
        var model = BundledModels.Get("minilm");

        var materialized = BundledModels.Materialize(model, _cache);

        Assert.Equal(Path.Combine(_cache, "minilm-" + model.ModelSha256[..12], "model.onnx"), materialized.ModelPath);
        Assert.Equal(model.ModelSha256, HashFile(materialized.ModelPath));
        Assert.Equal(model.VocabSha256, HashFile(materialized.VocabPath));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(materialized.ModelPath)!, "*.tmp"));
    }

    [Fact]
    public void Materialize_again_does_not_rewrite_the_files()
    {
        var model = BundledModels.Get("minilm");
        var first = BundledModels.Materialize(model, _cache);
        var written = File.GetLastWriteTimeUtc(first.ModelPath);
        var vocabWritten = File.GetLastWriteTimeUtc(first.VocabPath);
        Thread.Sleep(20);

        var second = BundledModels.Materialize(model, _cache);

        Assert.Equal(first, second);
        Assert.Equal(written, File.GetLastWriteTimeUtc(second.ModelPath));
        Assert.Equal(vocabWritten, File.GetLastWriteTimeUtc(second.VocabPath));
    }

    [Fact]
    public void Materialize_replaces_a_corrupted_cached_model()
    {
        var model = BundledModels.Get("minilm");
        var first = BundledModels.Materialize(model, _cache);
        using (var stream = new FileStream(first.ModelPath, FileMode.Open, FileAccess.Write))
        {
            stream.Position = 1000;
            stream.Write([1, 2, 3, 4, 5, 6, 7, 8]);
        }

        BundledModels.Materialize(model, _cache);

        Assert.Equal(model.ModelSha256, HashFile(first.ModelPath));
    }

    [Fact]
    public void Materialize_replaces_a_partial_file_left_without_a_stamp()
    {
        var model = BundledModels.Get("minilm");
        var folder = Path.Combine(_cache, "minilm-" + model.ModelSha256[..12]);
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, "model.onnx"), new byte[12345]);
        File.WriteAllText(Path.Combine(folder, "vocab.txt"), "[PAD]\n");

        var materialized = BundledModels.Materialize(model, _cache);

        Assert.Equal(model.ModelSha256, HashFile(materialized.ModelPath));
        Assert.Equal(model.VocabSha256, HashFile(materialized.VocabPath));
    }

    [Fact]
    public async Task Materialize_from_racing_threads_leaves_one_valid_copy()
    {
        var model = BundledModels.Get("minilm");
        using var start = new Barrier(6);

        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait();
                return BundledModels.Materialize(model, _cache);
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)));

        Assert.All(results, r => Assert.Equal(results[0], r));
        Assert.Equal(model.ModelSha256, HashFile(results[0].ModelPath));
        Assert.Equal(model.VocabSha256, HashFile(results[0].VocabPath));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(results[0].ModelPath)!, "*.tmp"));
    }

    [Fact]
    public void Default_cache_directory_follows_xdg_cache_home()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var saved = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        try
        {
            Environment.SetEnvironmentVariable("XDG_CACHE_HOME", "/tmp/xdg-test");
            Assert.Equal("/tmp/xdg-test/minime/models", BundledModels.DefaultCacheDirectory);
            Environment.SetEnvironmentVariable("XDG_CACHE_HOME", null);
            Assert.Equal(
                Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "minime", "models"),
                BundledModels.DefaultCacheDirectory);
        }
        finally
        {
            Environment.SetEnvironmentVariable("XDG_CACHE_HOME", saved);
        }
    }

    private static string HashFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
