using MiniMe.Configuration;
using MiniMe.Tests.Support;

namespace MiniMe.Tests.Configuration;

public class ConfigurationTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private Workspace NewWorkspace()
    {
        var workspace = new Workspace(_dir.Combine(".minime"));
        WorkspaceInitializer.Initialize(workspace, "Ada", force: false);
        return workspace;
    }

    [Fact]
    public void Default_files_load_into_the_documented_defaults()
    {
        var options = ConfigurationLoader.Load(NewWorkspace());
        Assert.Equal("Ada", options.User.Name);
        Assert.Equal(MemoryStoreKind.Sqlite, options.Memory.Store);
        Assert.Equal(LlmProvider.None, options.Llm.Provider);
        Assert.Equal(1200, options.Import.ChunkChars);
        Assert.Equal(6000, options.Context.BudgetTokens);
    }

    [Fact]
    public void Malformed_yaml_names_file_line_and_column()
    {
        var error = Assert.Throws<ConfigException>(() => YamlConfigurationReader.Read("user:\n  name: Ada\n  bad: [unclosed\nmemory: {}\n", "config.yaml"));
        Assert.Matches(@"^config\.yaml:\d+:\d+: invalid YAML", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Tab_indentation_error_points_at_the_line()
    {
        var error = Assert.Throws<ConfigException>(() => YamlConfigurationReader.Read("user:\n\tname: Ada\n", "c.yaml"));
        Assert.StartsWith("c.yaml:2:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_scalar_document_is_not_a_configuration()
    {
        var error = Assert.Throws<ConfigException>(() => YamlConfigurationReader.Read("just a string", "c.yaml"));
        Assert.Contains("expected a mapping", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nested_keys_and_lists_flatten_to_configuration_keys()
    {
        var keys = YamlConfigurationReader.Read("llm:\n  provider: ollama\nimport:\n  ignoreDirectories: [a, b]\n", "c.yaml");
        Assert.Equal("ollama", keys["llm:provider"]);
        Assert.Equal("b", keys["import:ignoreDirectories:1"]);
    }

    [Fact]
    public void Overrides_win_over_the_file()
    {
        var options = ConfigurationLoader.Load(NewWorkspace(), [new("llm:provider", "openai"), new("llm:model", "gpt-x")]);
        Assert.Equal(LlmProvider.OpenAI, options.Llm.Provider);
        Assert.Equal("gpt-x", options.Llm.Model);
    }

    [Fact]
    public void Invalid_values_are_reported_together_with_the_file()
    {
        var workspace = NewWorkspace();
        var error = Assert.Throws<InvalidSettingsException>(() => ConfigurationLoader.Load(workspace, [new("import:chunkChars", "10"), new("context:budgetTokens", "5")]));
        Assert.Contains(workspace.ConfigPath, error.Message, StringComparison.Ordinal);
        Assert.Contains("import.chunkChars", error.Message, StringComparison.Ordinal);
        Assert.Contains("context.budgetTokens", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_value_of_the_wrong_type_is_a_config_error_not_a_crash()
    {
        var workspace = NewWorkspace();
        Assert.Throws<InvalidSettingsException>(() => ConfigurationLoader.Load(workspace, [new("import:chunkChars", "lots")]));
    }

    [Fact]
    public void Workspace_resolution_prefers_the_option_then_the_environment()
    {
        Assert.Equal(Path.GetFullPath("/tmp/a"), Workspace.Resolve("/tmp/a", _ => "/tmp/b").Root);
        Assert.Equal(Path.GetFullPath("/tmp/b"), Workspace.Resolve(null, _ => "/tmp/b").Root);
        Assert.Equal(Path.Combine(Directory.GetCurrentDirectory(), ".minime"), Workspace.Resolve(null, _ => null).Root);
    }

    [Fact]
    public void Init_refuses_to_overwrite_without_force_and_keeps_the_user_edits()
    {
        var workspace = NewWorkspace();
        File.AppendAllText(workspace.ConfigPath, "# my edit\n");
        Assert.Throws<ConfigException>(() => WorkspaceInitializer.Initialize(workspace, "Ada", force: false));
        Assert.Contains("# my edit", File.ReadAllText(workspace.ConfigPath), StringComparison.Ordinal);
        WorkspaceInitializer.Initialize(workspace, "Ada", force: true);
        Assert.DoesNotContain("# my edit", File.ReadAllText(workspace.ConfigPath), StringComparison.Ordinal);
    }
}
