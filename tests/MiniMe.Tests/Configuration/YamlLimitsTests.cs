using System.Text;
using MiniMe.Configuration;
using MiniMe.Identity;
using MiniMe.Tests.Support;

namespace MiniMe.Tests.Configuration;

/// <summary>
/// Hostile YAML in config.yaml and identity.yaml: alias bombs, deep nesting, huge files. Each is refused
/// with one line naming the file (and line:column), and the refusal allocates a bounded amount.
/// </summary>
public sealed class YamlLimitsTests : IDisposable
{
    /// <summary>Generous: refusing a bomb allocates well under a megabyte; expanding one allocates gigabytes.</summary>
    private const long AllocationBound = 16L * 1024 * 1024;

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>
    /// The classic "billion laughs": <paramref name="levels"/> anchored lists, each holding
    /// <paramref name="width"/> aliases of the previous one, under <paramref name="indent"/>.
    /// 6 x 10 expands to a million scalars; 9 x 9 to 387 million.
    /// </summary>
    internal static string BillionLaughs(int levels, int width, string indent = "")
    {
        var text = new StringBuilder();
        text.Append(indent).Append("l0: &l0 [").Append(string.Join(", ", Enumerable.Repeat("\"lol\"", width))).Append("]\n");
        for (var level = 1; level < levels; level++)
            text.Append(indent).Append($"l{level}: &l{level} [").Append(string.Join(", ", Enumerable.Repeat($"*l{level - 1}", width))).Append("]\n");
        return text.ToString();
    }

    private static ConfigException RefusedWithBoundedAllocation(Action load)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.ThrowsAny<ConfigException>(load);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < AllocationBound, $"refusing the document allocated {allocated:N0} bytes");
        Assert.DoesNotContain('\n', error.Message);
        return error;
    }

    [Theory]
    [InlineData(6, 10)]
    [InlineData(9, 9)]
    public void An_alias_bomb_in_config_yaml_is_refused_with_bounded_allocation(int levels, int width)
    {
        var path = _dir.Write("config.yaml", "user:\n  name: Ada\n" + BillionLaughs(levels, width));
        var error = RefusedWithBoundedAllocation(() => YamlConfigurationReader.ReadFile(path));
        Assert.Matches($@"^{System.Text.RegularExpressions.Regex.Escape(path)}:\d+:\d+: YAML aliases expand the document past 100,000 nodes", error.Message);
    }

    [Fact]
    public void An_alias_bomb_under_a_known_setting_is_refused_before_any_command_loads_it()
    {
        var workspace = new Workspace(_dir.Combine(".minime"));
        WorkspaceInitializer.Initialize(workspace, "Ada", force: false);
        File.WriteAllText(workspace.ConfigPath, BillionLaughs(6, 10) + "import:\n  ignoreDirectories: [*l5, *l5]\n");
        var error = RefusedWithBoundedAllocation(() => ConfigurationLoader.Load(workspace));
        Assert.StartsWith($"{workspace.ConfigPath}:", error.Message, StringComparison.Ordinal);
        Assert.Contains("alias", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_alias_bomb_in_identity_yaml_is_refused_with_bounded_allocation()
    {
        var path = _dir.Write("identity.yaml", BillionLaughs(6, 10) + "persona:\n  voice: calm\n  values: *l5\n");
        var error = RefusedWithBoundedAllocation(() => IdentityLoader.Load(path));
        Assert.Matches($@"^{System.Text.RegularExpressions.Regex.Escape(path)}:\d+:\d+: YAML aliases expand", error.Message);
    }

    [Fact]
    public void An_identity_sent_as_text_goes_through_the_same_limits()
    {
        var error = RefusedWithBoundedAllocation(() => IdentityLoader.Parse(BillionLaughs(9, 9), "profile"));
        Assert.StartsWith("profile:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void More_aliases_than_the_limit_are_refused_even_when_each_is_small()
    {
        var yaml = "user:\n  name: &n Ada\nimport:\n  ignoreDirectories: [" + string.Join(", ", Enumerable.Repeat("*n", SafeYamlLoader.MaxAliases + 1)) + "]\n";
        var error = Assert.Throws<ConfigException>(() => YamlConfigurationReader.Read(yaml, "config.yaml"));
        Assert.Matches(@"^config\.yaml:4:\d+: more than 100 YAML aliases", error.Message);
    }

    [Fact]
    public void A_few_aliases_are_still_fine()
    {
        var keys = YamlConfigurationReader.Read("user:\n  name: &n Ada\nllm:\n  model: *n\n", "config.yaml");
        Assert.Equal("Ada", keys["llm:model"]);
    }

    [Fact]
    public void An_alias_inside_the_node_it_names_is_refused()
    {
        var error = Assert.Throws<ConfigException>(() => YamlConfigurationReader.Read("import:\n  ignoreDirectories: &x [a, *x]\n", "config.yaml"));
        Assert.StartsWith("config.yaml:2:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nesting_deeper_than_the_limit_is_refused_naming_the_line_and_column()
    {
        const int depth = 1000;
        var yaml = "user:\n  name: " + new string('[', depth) + new string(']', depth) + "\n";
        var error = Assert.Throws<ConfigException>(() => YamlConfigurationReader.Read(yaml, "config.yaml"));
        Assert.Matches(@"^config\.yaml:2:\d+: YAML nested more than 64 levels deep; refused$", error.Message);
    }

    [Fact]
    public void A_config_file_over_one_megabyte_is_refused_naming_its_size_and_path()
    {
        var path = _dir.Write("config.yaml", "user:\n  name: \"" + new string('x', 2 * 1024 * 1024) + "\"\n");
        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<ConfigException>(() => YamlConfigurationReader.ReadFile(path));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1024 * 1024, "the oversized file was read into memory");
        Assert.Equal($"{path} is 2 MiB; MiniMe refuses YAML files over 1 MiB (is it the right file?)", error.Message);
    }

    [Fact]
    public void An_identity_file_over_one_megabyte_is_refused()
    {
        var path = _dir.Write("identity.yaml", "persona:\n  voice: \"" + new string('x', 1024 * 1024) + "\"\n");
        var error = Assert.Throws<ConfigException>(() => IdentityLoader.Load(path));
        Assert.StartsWith($"{path} is 1 MiB", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Text_over_one_megabyte_is_refused_even_when_it_never_was_a_file()
    {
        var error = Assert.Throws<ConfigException>(() => YamlConfigurationReader.Read("user:\n  name: " + new string('y', 1_200_000) + "\n", "profile"));
        Assert.StartsWith("profile is 1.1 MiB", error.Message, StringComparison.Ordinal);
    }
}
