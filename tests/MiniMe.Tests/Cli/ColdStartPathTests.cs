using System.Reflection;
using MiniMe.Cli;
using MiniMe.Tests.Support;

namespace MiniMe.Tests.Cli;

/// <summary>
/// The short paths a cold start takes: `--version` alone answers before the command tree is built, and
/// `runs` / `trace` read traces without building the engine; both must still behave as the full path does.
/// </summary>
public sealed class ColdStartPathTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    private string Home => _dir.Combine(".minime");

    private string ConfigPath => Path.Combine(Home, "config.yaml");

    public void Dispose() => _dir.Dispose();

    private Task<CliResult> Minime(params string[] args) => CliRunner.RunAsync([.. args, "--home", Home]);

    [Fact]
    [Trait("Category", "Integration")]
    public async Task Version_alone_prints_the_informational_version_of_the_cli()
    {
        var expected = typeof(CliApp).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        var result = await MinimeProcess.RunAsync(["--version"]);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(expected + Environment.NewLine, result.Out);
        Assert.Equal("", result.Error);
        Assert.Equal(expected, CliApp.Version);
    }

    [Fact]
    [Trait("Category", "Integration")]
    public async Task Version_with_other_tokens_still_goes_through_the_parser()
    {
        var result = await MinimeProcess.RunAsync(["--version", "runs"]);
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: ", result.Error, StringComparison.Ordinal);
        Assert.Equal("", result.Out);
    }

    public static TheoryData<string[]> TraceCommands => new() { { ["runs"] }, { ["trace", "20260101-000000-abcdef"] } };

    [Theory]
    [MemberData(nameof(TraceCommands))]
    public async Task Trace_commands_refuse_malformed_yaml_with_the_same_one_line_error_as_search(string[] command)
    {
        Assert.Equal(0, (await Minime("init")).ExitCode);
        File.WriteAllText(ConfigPath, File.ReadAllText(ConfigPath) + "\nllm: [unclosed\n");
        var search = await Minime("search", "x");
        var result = await Minime(command);
        Assert.NotEqual(0, search.ExitCode);
        Assert.Equal(search.ExitCode, result.ExitCode);
        Assert.Equal(search.Error, result.Error);
        Assert.StartsWith($"error: {ConfigPath}:", result.Error, StringComparison.Ordinal);
        Assert.Contains("invalid YAML", result.Error, StringComparison.Ordinal);
        Assert.Single(result.Error.TrimEnd().Split('\n'));
    }

    [Theory]
    [MemberData(nameof(TraceCommands))]
    public async Task Trace_commands_refuse_a_value_that_does_not_fit_as_search_does(string[] command)
    {
        Assert.Equal(0, (await Minime("init")).ExitCode);
        File.WriteAllText(ConfigPath, File.ReadAllText(ConfigPath).Replace("defaultK: 8", "defaultK: eight", StringComparison.Ordinal));
        var search = await Minime("search", "x");
        var result = await Minime(command);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal(search.Error, result.Error);
        Assert.Contains("retrieval.defaultK", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Runs_and_trace_without_the_engine_list_and_print_a_dry_run()
    {
        Assert.Equal(0, (await Minime("init")).ExitCode);
        File.WriteAllText(ConfigPath, File.ReadAllText(ConfigPath).Replace("model: minilm", "model: none", StringComparison.Ordinal));
        Assert.Equal(0, (await Minime("ask", "--dry-run", "add a retry to the cache")).ExitCode);
        var runs = await Minime("runs");
        Assert.Equal(0, runs.ExitCode);
        var runId = System.Text.RegularExpressions.Regex.Match(runs.Out, @"\d{8}-\d{6}-[0-9a-f]{6}").Value;
        Assert.NotEqual("", runId);
        Assert.Contains("dry_run", runs.Out, StringComparison.Ordinal);
        Assert.Contains("add a retry to the cache", runs.Out, StringComparison.Ordinal);
        var trace = await Minime("trace", runId);
        Assert.Equal(0, trace.ExitCode);
        Assert.Contains($"Run {runId}", trace.Out, StringComparison.Ordinal);
        Assert.Contains("task_start", trace.Out, StringComparison.Ordinal);
        Assert.Contains("run_end", trace.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Runs_in_an_uninitialized_workspace_says_to_run_init()
    {
        var result = await Minime("runs");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("run `minime init` first", result.Error, StringComparison.Ordinal);
    }
}
