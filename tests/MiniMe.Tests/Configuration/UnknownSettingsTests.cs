using MiniMe.Cli.Hosting;
using MiniMe.Configuration;
using MiniMe.Tests.Support;

namespace MiniMe.Tests.Configuration;

/// <summary>Keys no options class binds are refused with file:line:column and a "did you mean", all at once.</summary>
public sealed class UnknownSettingsTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private Workspace NewWorkspace(Func<string, string>? edit = null)
    {
        var workspace = new Workspace(_dir.Combine(".minime"));
        WorkspaceInitializer.Initialize(workspace, "Ada", force: false);
        if (edit is not null) File.WriteAllText(workspace.ConfigPath, edit(File.ReadAllText(workspace.ConfigPath)));
        return workspace;
    }

    private static int LineOf(string path, string text) =>
        Array.FindIndex(File.ReadAllLines(path), l => l.StartsWith(text, StringComparison.Ordinal)) + 1;

    [Fact]
    public void A_misspelt_section_is_refused_with_its_position_and_the_closest_name()
    {
        var workspace = NewWorkspace(c => c.Replace("retrieval:", "retreival:", StringComparison.Ordinal));
        var error = Assert.Throws<UnknownSettingsException>(() => ConfigurationLoader.Load(workspace));
        var line = LineOf(workspace.ConfigPath, "retreival:");
        Assert.Equal([$"{workspace.ConfigPath}:{line}:1: unknown setting 'retreival'; did you mean 'retrieval'?"], error.Problems);
    }

    [Fact]
    public void Every_unknown_key_is_reported_at_once_in_file_order()
    {
        var workspace = NewWorkspace(c => c
            .Replace("provider: none         # none (dry", "provder: none         # none (dry", StringComparison.Ordinal)
            .Replace("  chunkChars: 1200", "  chunkChar: 1200", StringComparison.Ordinal)
            + "colour: blue\n");
        var error = Assert.Throws<UnknownSettingsException>(() => ConfigurationLoader.Load(workspace));
        Assert.Equal(3, error.Problems.Count);
        Assert.Equal($"{workspace.ConfigPath}:{LineOf(workspace.ConfigPath, "  chunkChar:")}:3: unknown setting 'import.chunkChar'; did you mean 'import.chunkChars'?", error.Problems[0]);
        Assert.Equal($"{workspace.ConfigPath}:{LineOf(workspace.ConfigPath, "  provder:")}:3: unknown setting 'llm.provder'; did you mean 'llm.provider'?", error.Problems[1]);
        Assert.StartsWith($"{workspace.ConfigPath}:{LineOf(workspace.ConfigPath, "colour:")}:1: unknown setting 'colour'; known settings: user, memory,", error.Problems[2], StringComparison.Ordinal);
        Assert.Equal(string.Join('\n', error.Problems), error.Message);
    }

    [Fact]
    public void A_key_inside_a_list_of_objects_is_checked_against_the_element_type()
    {
        var workspace = NewWorkspace(c => c.Replace("outputPerMillion: 10.00", "outputPerMilion: 10.00", StringComparison.Ordinal));
        var error = Assert.Throws<UnknownSettingsException>(() => ConfigurationLoader.Load(workspace));
        Assert.EndsWith(": unknown setting 'llm.prices[1].outputPerMilion'; did you mean 'llm.prices[1].outputPerMillion'?", Assert.Single(error.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_unknown_section_is_still_reported()
    {
        var workspace = NewWorkspace(c => c + "vectorz: {}\nembedings: []\n");
        var error = Assert.Throws<UnknownSettingsException>(() => ConfigurationLoader.Load(workspace));
        Assert.Collection(error.Problems,
            p => Assert.EndsWith("unknown setting 'vectorz'; did you mean 'vectors'?", p, StringComparison.Ordinal),
            p => Assert.EndsWith("unknown setting 'embedings'; did you mean 'embeddings'?", p, StringComparison.Ordinal));
    }

    [Fact]
    public void Settings_under_a_single_value_are_refused()
    {
        var workspace = NewWorkspace(c => c.Replace("  name: \"Ada\"", "  name:\n    first: Ada", StringComparison.Ordinal));
        var error = Assert.Throws<UnknownSettingsException>(() => ConfigurationLoader.Load(workspace));
        Assert.EndsWith("unknown setting 'user.name.first'; 'user.name' takes a single value, not settings under it", Assert.Single(error.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void Keys_match_case_insensitively_as_binding_does()
    {
        var workspace = NewWorkspace(c => c.Replace("llm:", "LLM:", StringComparison.Ordinal).Replace("provider: none         # none (dry", "Provider: ollama\n  MODEL: m # (dry", StringComparison.Ordinal));
        var options = ConfigurationLoader.Load(workspace);
        Assert.Equal(LlmProvider.Ollama, options.Llm.Provider);
        Assert.Equal("m", options.Llm.Model);
    }

    [Fact]
    public void The_template_init_writes_has_only_known_keys_including_its_commented_examples()
    {
        // Uncomment every "# key: value" example line.
        var workspace = NewWorkspace(c => System.Text.RegularExpressions.Regex.Replace(c, @"^(\s*)# (\w+):", "$1$2:", System.Text.RegularExpressions.RegexOptions.Multiline));
        Assert.Contains("  temperature: 0.2", File.ReadAllText(workspace.ConfigPath), StringComparison.Ordinal);
        // With every section the CLI and the server accept (the template also documents the personal layer's goals and mcp sections).
        var options = ConfigurationLoader.Load(workspace, keys: MiniMe.Server.ServerOptions.SettingKeys);
        Assert.Equal(0.2, options.Llm.Temperature);
        Assert.Equal("llama3.1", options.Llm.Model);
    }

    [Fact]
    public void Environment_variables_that_name_a_section_and_an_unknown_setting_are_refused_naming_the_variable()
    {
        var problems = ConfigurationLoader.Keys.CheckEnvironment(new Dictionary<string, string?>
        {
            ["MINIME_LLM__PROVDER"] = "openai",
            ["minime_import__chunkchars"] = "900",
            ["MINIME_RETRIEVAL__DEFAULTK__X"] = "1",
            ["MINIME_TOOLS__ROOOT"] = "/",
        }, ConfigurationLoader.EnvironmentPrefix);
        Assert.Equal(
        [
            "environment variable MINIME_LLM__PROVDER: unknown setting 'llm.provder'; did you mean MINIME_LLM__PROVIDER?",
            "environment variable MINIME_RETRIEVAL__DEFAULTK__X: unknown setting 'retrieval.defaultk.x'; 'retrieval.defaultk' takes a single value, not settings under it",
            "environment variable MINIME_TOOLS__ROOOT: unknown setting 'tools.rooot'; did you mean MINIME_TOOLS__ROOT?",
        ], problems);
    }

    [Fact]
    public void Environment_variables_that_are_not_settings_are_left_alone()
    {
        var problems = ConfigurationLoader.Keys.CheckEnvironment(new Dictionary<string, string?>
        {
            ["MINIME_HOME"] = "/tmp/x",
            ["MINIME_LLM"] = "x",
            ["MINIME_SOMETHING__ELSE"] = "x",
            ["MINIME_LLM__PROVIDER"] = "ollama",
            ["OTHER_LLM__PROVDER"] = "x",
        }, ConfigurationLoader.EnvironmentPrefix);
        Assert.Empty(problems);
    }

    [Fact]
    public void The_cli_knows_the_server_section_and_checks_its_keys()
    {
        Assert.Null(Engine.SettingKeys.Check("server:urls"));
        Assert.Null(Engine.SettingKeys.Check("llm:provider"));
        var unknown = Engine.SettingKeys.Check("server:url");
        Assert.Equal("unknown setting 'server.url'; did you mean 'server.urls'?", unknown!.Describe());
    }

    [Theory]
    [InlineData("retreival", "retrieval")]
    [InlineData("provder", "provider")]
    [InlineData("EMBEDDING", "embeddings")]
    [InlineData("colour", null)]
    [InlineData("x", null)]
    public void The_suggestion_is_the_closest_known_name_when_it_is_close_enough(string written, string? expected)
    {
        Assert.Equal(expected, SettingKeys.Closest(written, ["user", "memory", "retrieval", "provider", "embeddings", "m"]));
    }
}
