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

    private async Task InitWithProvderAsync(string? llmProvider = null)
    {
        Assert.Equal(0, (await Minime("init", "--name", "Ada")).ExitCode);
        var text = "provder: openai\n" + File.ReadAllText(ConfigPath);
        if (llmProvider is not null)
            text = text.Replace("  provider: none         # none (dry", $"  provider: {llmProvider}         # none (dry", StringComparison.Ordinal);
        File.WriteAllText(ConfigPath, text);
    }

    [Fact]
    public async Task Doctor_reports_provder_and_an_invalid_value_as_failed_checks_together()
    {
        await InitWithProvderAsync(llmProvider: "opnai");
        var result = await Minime("doctor");
        Assert.Equal(1, result.ExitCode);
        Assert.DoesNotContain("is valid", result.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("llm.provider is none", result.Out, StringComparison.Ordinal);
        var path = System.Text.RegularExpressions.Regex.Escape(ConfigPath);
        Assert.Matches($@"FAIL\s+config\s+{path}:1:1: unknown setting 'provder'; known settings: user, memory, ", result.Out);
        Assert.Matches($@"FAIL\s+config\s+{path}:\d+:\d+: llm\.provider: 'opnai' is not one of none, openai, ollama, anthropic \(did you mean openai\?\)", result.Out);
        Assert.Contains("2 problem(s) to fix", result.Out, StringComparison.Ordinal);
    }

    public static TheoryData<string[]> Commands => new()
    {
        { ["search", "x"] }, { ["ask", "--dry-run", "x"] }, { ["import", "."] }, { ["remember", "x"] }, { ["facts", "list"] },
        { ["runs"] }, { ["trace", "20260101-000000-abcdef"] }, { ["feedback", "20260101-000000-abcdef", "--delta", "{\"rigor\": 0.9}"] },
        { ["config", "show"] }, { ["trust"] }, { ["tool", "list"] }, { ["index", "status"] }, { ["snapshot", "list"] },
        { ["keys", "list"] }, { ["keys", "create", "laptop"] }, { ["keys", "revoke", "laptop"] },
        { ["migrate", "--to", "postgres", "--connection-string", "Host=127.0.0.1;Port=1"] }, { ["serve", "--urls", "http://127.0.0.1:0"] },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Every_command_refuses_a_config_with_an_unknown_key_with_exit_2(string[] command)
    {
        await InitWithProvderAsync();
        var result = await Minime(command);
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith($"error: {ConfigPath}:1:1: unknown setting 'provder'", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Config_show_writes_enum_settings_in_lower_case()
    {
        Assert.Equal(0, (await Minime("init")).ExitCode);
        File.WriteAllText(ConfigPath, File.ReadAllText(ConfigPath)
            .Replace("  provider: none         # none (dry", "  provider: OpenAI         # none (dry", StringComparison.Ordinal)
            .Replace("sandbox: auto", "sandbox: BWRAP", StringComparison.Ordinal));
        var result = await Minime("config", "show");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("  provider: openai\n", result.Out, StringComparison.Ordinal);
        Assert.Contains("  sandbox: bwrap\n", result.Out, StringComparison.Ordinal);
        Assert.Contains("  store: sqlite\n", result.Out, StringComparison.Ordinal);
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
