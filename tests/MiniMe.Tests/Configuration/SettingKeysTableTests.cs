using MiniMe.Cli.Hosting;
using MiniMe.Configuration;
using MiniMe.Server;
using YamlDotNet.RepresentationModel;

namespace MiniMe.Tests.Configuration;

/// <summary>
/// The written-out keys of config.yaml (<see cref="ConfigurationLoader.Keys"/>) are exactly those the options
/// classes declare, read by reflection; host sections added by reflection are read only when used; and
/// YAML read in one pass reports what checking the whole text first, then loading it, reported.
/// </summary>
public sealed class SettingKeysTableTests
{
    [Fact]
    public void The_table_is_the_reflected_keys_of_MiniMeOptions_in_declaration_order()
    {
        var reflected = SettingKeys.For<MiniMeOptions>().Describe();
        var table = ConfigurationLoader.Keys.Describe();
        // Line by line first: a missing or mistyped setting is named in the failure.
        foreach (var line in reflected) Assert.Contains(line, table);
        foreach (var line in table) Assert.Contains(line, reflected);
        Assert.Equal(reflected, table);
        Assert.Contains("llm=llm:prices=prices:0:inputPerMillion=inputPerMillion Value System.Decimal", table);
        Assert.Contains("embeddings=embeddings:maxTokens=maxTokens Value System.Int32 optional", table);
    }

    [Fact]
    public void A_host_section_is_known_and_checked_like_the_others()
    {
        var keys = ConfigurationLoader.Keys.WithSection<ServerOptions>(ServerOptions.Section);
        Assert.True(keys.IsSection("SERVER"));
        Assert.Equal(("server.maxRequestBytes", typeof(long), false), keys.Setting("Server:MaxRequestBytes"));
        Assert.Equal(
            [.. ConfigurationLoader.Keys.Describe(), .. SettingKeys.For<ServerOptions>().Describe().Skip(1).Select(l => "server=server:" + l),
             .. SettingKeys.For<MiniMe.Server.Goals.GoalOptions>().Describe().Skip(1).Select(l => "goals=goals:" + l),
             .. SettingKeys.For<MiniMe.Server.Schedules.ScheduleOptions>().Describe().Skip(1).Select(l => "schedules=schedules:" + l),
             .. SettingKeys.For<MiniMe.Server.Mcp.McpOptions>().Describe().Skip(1).Select(l => "mcp=mcp:" + l),
             .. SettingKeys.For<MiniMe.Server.Signals.SignalOptions>().Describe().Skip(1).Select(l => "signal=signal:" + l),
             .. SettingKeys.For<MiniMe.Server.Reflection.ReflectionOptions>().Describe().Skip(1).Select(l => "reflect=reflect:" + l)],
            Engine.SettingKeys.Describe().Where(l => !l.StartsWith("server=server ", StringComparison.Ordinal) && !l.StartsWith("goals=goals ", StringComparison.Ordinal)
                && !l.StartsWith("schedules=schedules ", StringComparison.Ordinal) && !l.StartsWith("mcp=mcp ", StringComparison.Ordinal)
                && !l.StartsWith("signal=signal ", StringComparison.Ordinal) && !l.StartsWith("reflect=reflect ", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_syntax_error_after_a_duplicate_key_is_the_error_reported()
    {
        // Checked first, as a whole, the text's syntax error (line 4) wins over the loader's duplicate key (line 2).
        var error = Assert.Throws<ConfigException>(() => YamlConfigurationReader.Read("user:\n  name: a\n  name: b\nllm: [unclosed\n", "c.yaml"));
        Assert.StartsWith("c.yaml:", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Duplicate", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("invalid YAML", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_limit_after_a_duplicate_key_is_the_error_reported()
    {
        var yaml = "user:\n  name: a\n  name: b\n" + string.Concat(Enumerable.Range(0, 70).Select(i => new string(' ', 2 * i) + $"k{i}:\n")) + new string(' ', 140) + "v: 1\n";
        var error = Assert.Throws<ConfigException>(() => YamlConfigurationReader.Read(yaml, "c.yaml"));
        Assert.Matches(@"^c\.yaml:\d+:\d+: YAML nested more than 64 levels deep; refused$", error.Message);
    }

    [Fact]
    public void A_duplicate_key_alone_is_the_loader_error_it_always_was()
    {
        var stream = new YamlStream();
        var expected = Assert.ThrowsAny<Exception>(() => stream.Load(new StringReader("user:\n  name: a\n  name: b\n")));
        var error = Assert.Throws<ConfigException>(() => YamlConfigurationReader.Read("user:\n  name: a\n  name: b\n", "c.yaml"));
        Assert.StartsWith("c.yaml:3:", error.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<YamlDotNet.Core.YamlException>(expected);
        Assert.Same(expected.GetType(), error.InnerException!.GetType());
    }
}
