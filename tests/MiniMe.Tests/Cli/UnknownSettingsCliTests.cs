using MiniMe.Tests.Support;

namespace MiniMe.Tests.Cli;

/// <summary>A typo in config.yaml or a MINIME_ variable stops every command with exit 2, and doctor says so.</summary>
public sealed class UnknownSettingsCliTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    private string Home => _dir.Combine(".minime");

    private string ConfigPath => Path.Combine(Home, "config.yaml");

    public void Dispose() => _dir.Dispose();

    private Task<CliResult> Minime(params string[] args) => CliRunner.RunAsync([.. args, "--home", Home]);

    private async Task<int> InitWithTypoAsync()
    {
        Assert.Equal(0, (await Minime("init", "--name", "Ada")).ExitCode);
        File.WriteAllText(ConfigPath, File.ReadAllText(ConfigPath).Replace("retrieval:", "retreival:", StringComparison.Ordinal));
        return Array.FindIndex(File.ReadAllLines(ConfigPath), l => l.StartsWith("retreival:", StringComparison.Ordinal)) + 1;
    }

    [Fact]
    public async Task A_command_on_a_config_with_a_typo_exits_2_with_the_position_and_the_fix()
    {
        var line = await InitWithTypoAsync();
        var result = await Minime("search", "anything");
        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: {ConfigPath}:{line}:1: unknown setting 'retreival'; did you mean 'retrieval'?", result.Error.Trim());
    }

    [Fact]
    public async Task Several_typos_are_reported_in_one_run_one_line_each()
    {
        await InitWithTypoAsync();
        File.AppendAllText(ConfigPath, "servr:\n  urls: http://127.0.0.1:9\n");
        var result = await Minime("search", "anything");
        Assert.Equal(2, result.ExitCode);
        var lines = result.Error.Trim().Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.All(lines, l => Assert.StartsWith($"error: {ConfigPath}:", l, StringComparison.Ordinal));
        Assert.EndsWith("unknown setting 'servr'; did you mean 'server'?", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_reports_the_unknown_setting_instead_of_a_valid_config()
    {
        var line = await InitWithTypoAsync();
        var result = await Minime("doctor");
        Assert.Equal(1, result.ExitCode);
        Assert.DoesNotContain("is valid", result.Out, StringComparison.Ordinal);
        Assert.Matches($@"FAIL\s+config\s+{System.Text.RegularExpressions.Regex.Escape(ConfigPath)}:{line}:1: unknown setting 'retreival'; did you mean 'retrieval'\?", result.Out);
    }

    [Fact]
    public async Task Config_show_refuses_to_print_a_configuration_with_a_typo()
    {
        await InitWithTypoAsync();
        var result = await Minime("config", "show");
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("", result.Out);
        Assert.Contains("unknown setting 'retreival'", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_server_section_is_a_known_setting()
    {
        Assert.Equal(0, (await Minime("init")).ExitCode);
        File.AppendAllText(ConfigPath, "server:\n  urls: http://127.0.0.1:9\n  maxRequestBytes: 4096\n");
        Assert.Equal(0, (await Minime("config", "show")).ExitCode);
    }

    [Fact]
    [Trait("Category", "Integration")]
    public async Task A_misspelt_MINIME_variable_is_refused_naming_it_while_MINIME_HOME_is_left_alone()
    {
        var env = new Dictionary<string, string> { ["MINIME_HOME"] = Home };
        Assert.Equal(0, (await MinimeProcess.RunAsync(["init"], env)).ExitCode);
        var result = await MinimeProcess.RunAsync(["config", "show"], new Dictionary<string, string>(env) { ["MINIME_LLM__PROVDER"] = "openai" });
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: environment variable MINIME_LLM__PROVDER: unknown setting 'llm.provder'; did you mean MINIME_LLM__PROVIDER?", result.Error.Trim());
        var doctor = await MinimeProcess.RunAsync(["doctor"], new Dictionary<string, string>(env) { ["MINIME_LLM__PROVDER"] = "openai" });
        Assert.Contains("MINIME_LLM__PROVDER", doctor.Out, StringComparison.Ordinal);
        Assert.Equal(1, doctor.ExitCode);
    }
}
