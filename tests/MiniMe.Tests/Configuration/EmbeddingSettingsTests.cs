using MiniMe.Configuration;
using MiniMe.Tests.Support;

namespace MiniMe.Tests.Configuration;

public sealed class EmbeddingSettingsTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private Workspace NewWorkspace(string? embeddings = null)
    {
        var workspace = new Workspace(_dir.Combine(Guid.NewGuid().ToString("N"), ".minime"));
        WorkspaceInitializer.Initialize(workspace, "Ada", force: false);
        if (embeddings is not null)
        {
            var text = File.ReadAllText(workspace.ConfigPath);
            var start = text.IndexOf("embeddings:\n", StringComparison.Ordinal);
            var end = text.IndexOf("\nvectors:", start, StringComparison.Ordinal);
            File.WriteAllText(workspace.ConfigPath, text[..start] + "embeddings:\n" + embeddings + "\n" + text[end..]);
        }
        return workspace;
    }

    [Fact]
    public void The_bundled_minilm_model_is_the_default_of_a_new_workspace_and_of_no_workspace()
    {
        Assert.Equal("minilm", ConfigurationLoader.Load(NewWorkspace()).Embeddings.EffectiveModel);
        Assert.Equal("minilm", new MiniMeOptions().Embeddings.EffectiveModel);
        Assert.True(new MiniMeOptions().Embeddings.Enabled);
    }

    [Theory]
    [InlineData("  provider: none", "none")]
    [InlineData("  provider: onnx\n  modelPath: m.onnx\n  vocabPath: v.txt", "file")]
    [InlineData("  provider: none\n  model: arctic-xs", "arctic-xs")]
    [InlineData("  model: ARCTIC-XS", "arctic-xs")]
    public void The_older_provider_setting_still_chooses_the_model_and_model_wins_over_it(string yaml, string expected) =>
        Assert.Equal(expected, ConfigurationLoader.Load(NewWorkspace(yaml)).Embeddings.EffectiveModel);

    [Fact]
    public void An_unknown_model_name_is_refused_with_the_names_there_are()
    {
        var error = Assert.Throws<InvalidSettingsException>(() => ConfigurationLoader.Load(NewWorkspace("  model: minlm")));
        Assert.Contains("embeddings.model: 'minlm' is not one of minilm, arctic-xs, file, none (did you mean minilm?)", Assert.Single(error.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void Settings_of_a_model_file_are_refused_for_a_bundled_model_and_required_for_a_file()
    {
        var bundled = Assert.Throws<InvalidSettingsException>(() => ConfigurationLoader.Load(NewWorkspace("  model: minilm\n  pooling: cls")));
        Assert.Contains("embeddings.pooling applies to embeddings.model: file only", Assert.Single(bundled.Problems), StringComparison.Ordinal);
        var file = Assert.Throws<InvalidSettingsException>(() => ConfigurationLoader.Load(NewWorkspace("  model: file\n  modelPath: m.onnx")));
        Assert.Contains("embeddings.model is file but embeddings.modelPath or embeddings.vocabPath is not set", Assert.Single(file.Problems), StringComparison.Ordinal);
        var pooling = Assert.Throws<InvalidSettingsException>(() => ConfigurationLoader.Load(NewWorkspace("  model: file\n  modelPath: m.onnx\n  vocabPath: v.txt\n  pooling: max")));
        Assert.Contains("embeddings.pooling: 'max' is not one of mean, cls", Assert.Single(pooling.Problems), StringComparison.Ordinal);
    }
}
