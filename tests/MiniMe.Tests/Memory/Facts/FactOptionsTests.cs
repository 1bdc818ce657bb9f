using MiniMe.Configuration;
using MiniMe.Tests.Support;

namespace MiniMe.Tests.Memory.Facts;

public sealed class FactOptionsTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private Workspace Init()
    {
        var workspace = new Workspace(_dir.Combine("ws"));
        WorkspaceInitializer.Initialize(workspace, "Ada", force: false);
        return workspace;
    }

    [Fact]
    public void The_default_config_file_binds_the_documented_defaults()
    {
        var options = ConfigurationLoader.Load(Init()).Facts;
        var defaults = new FactOptions();
        Assert.Equal(defaults.ReinforceConfidence, options.ReinforceConfidence);
        Assert.Equal(defaults.SupersedeConfidence, options.SupersedeConfidence);
        Assert.Equal(defaults.ReviewConfidence, options.ReviewConfidence);
        Assert.Equal(defaults.DuplicateCosine, options.DuplicateCosine);
        Assert.Equal(defaults.RelatedCosine, options.RelatedCosine);
        Assert.Equal(defaults.Candidates, options.Candidates);
        Assert.Equal(defaults.MaxChars, options.MaxChars);
    }

    [Theory]
    [InlineData("facts:reviewConfidence", "1.5", "facts.reviewConfidence must be between 0 and 1")]
    [InlineData("facts:reviewConfidence", "0.95", "must not exceed")]
    [InlineData("facts:relatedCosine", "0.99", "facts.relatedCosine must not exceed facts.duplicateCosine")]
    [InlineData("facts:candidates", "0", "facts.candidates")]
    public void Invalid_settings_are_refused_with_the_setting_named(string key, string value, string message)
    {
        var error = Assert.Throws<InvalidSettingsException>(() => ConfigurationLoader.Load(Init(), [new(key, value)]));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}
