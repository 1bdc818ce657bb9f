using System.CommandLine;
using System.Text.RegularExpressions;
using MiniMe.Cli.Commands;
using MiniMe.Cli.Hosting;
using MiniMe.Tests.Support;
using Spectre.Console;

namespace MiniMe.Tests.Cli;

/// <summary>
/// What a user reads names the option, setting or file and what it expects, in words: never a .NET
/// type (System.Int32, Nullable`1, [[System.String, System.Private.CoreLib, ...]], SqliteException).
/// </summary>
public sealed partial class UserFacingMessagesTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    private string Home => _dir.Combine(".minime");

    public void Dispose() => _dir.Dispose();

    private Task<CliResult> Minime(params string[] args) => CliRunner.RunAsync([.. args, "--home", Home]);

    [GeneratedRegex(@"System\.[A-Z]|Microsoft\.[A-Z]|`\d|\[\[|CoreLib|\b[A-Z][A-Za-z]*Exception\b")]
    private static partial Regex TypeName();

    private static void AssertNoTypeName(CliResult result)
    {
        var text = result.Out + result.Error;
        Assert.False(TypeName().IsMatch(text), $"a .NET type name in: {text}");
    }

    private async Task InitAsync() => Assert.Equal(0, (await Minime("init", "--name", "Ada")).ExitCode);

    private void Edit(string file, string from, string to)
    {
        var path = Path.Combine(Home, file);
        var text = File.ReadAllText(path);
        Assert.Contains(from, text, StringComparison.Ordinal);
        var at = text.IndexOf(from, StringComparison.Ordinal);
        File.WriteAllText(path, text[..at] + to + text[(at + from.Length)..]);
    }

    public static TheoryData<string[], string> BadNumbers => new()
    {
        { ["ask", "--budget", "99999999999", "x"], "--budget must be a whole number from 100 to 2,147,483,647 (got '99999999999')." },
        { ["ask", "--budget", "-5", "x"], "--budget must be a whole number from 100 to 2,147,483,647 (got '-5')." },
        { ["ask", "--budget", "lots", "x"], "--budget must be a whole number from 100 to 2,147,483,647 (got 'lots')." },
        { ["search", "-k", "99999999999", "x"], "-k must be a whole number from 1 to 1,000 (got '99999999999')." },
        { ["search", "--top", "-1", "x"], "--top must be a whole number from 1 to 1,000 (got '-1')." },
        { ["search", "-k", "ten", "x"], "-k must be a whole number from 1 to 1,000 (got 'ten')." },
        { ["runs", "--limit", "99999999999"], "--limit must be a whole number from 1 to 2,147,483,647 (got '99999999999')." },
        { ["runs", "-n", "0"], "-n must be a whole number from 1 to 2,147,483,647 (got '0')." },
        { ["runs", "-n", "1e5"], "-n must be a whole number from 1 to 2,147,483,647 (got '1e5')." },
        { ["facts", "list", "--limit", "-3"], "--limit must be a whole number from 1 to 2,147,483,647 (got '-3')." },
        { ["facts", "history", "--limit", "many"], "--limit must be a whole number from 1 to 2,147,483,647 (got 'many')." },
        { ["remember", "--importance", "high", "x"], "--importance must be a number from 0 to 1 (got 'high')." },
        { ["remember", "--importance", "-0.5", "x"], "--importance must be a number from 0 to 1 (got '-0.5')." },
        { ["remember", "--importance", "1e999", "x"], "--importance must be a number from 0 to 1 (got '1e999')." },
        { ["eval", "retrieval", "--dataset", "d", "--k", "99999999999"], "--k must be a whole number from 1 to 1,000 (got '99999999999')." },
    };

    [Theory]
    [MemberData(nameof(BadNumbers))]
    public async Task A_bad_number_for_an_option_is_a_usage_error_that_says_what_is_expected(string[] args, string message)
    {
        await InitAsync();
        var result = await Minime(args);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"error: {message}", result.Error, StringComparison.Ordinal);
        AssertNoTypeName(result);
    }

    public static TheoryData<string, string, string> BadIdentities => new()
    {
        { "magnitude: 0.9", "magnitude: high", "principle #1: magnitude must be a number from 0 to 1, not 'high'" },
        { "  voice: calm, direct, pragmatic engineer", "  voice: [a, b]", "persona.voice must be text, not a list" },
        { "  styleRules:\n", "  styleRules: 5\n  oldRules:\n", "persona.styleRules must be a list of text" },
        { "  tone: plain and precise", "  tne: plain and precise", "unknown key 'tne' in persona; did you mean 'tone'?" },
        { "    scope: global\n", "    scope: globl\n", "principle #1: scope: 'globl' is not one of global, domain, task, agent (did you mean global?)" },
        { "    tags: [design]", "    tags: {a: 1}", "principle #1: tags must be a list of text" },
        { "persona:", "persona: [1, 2", "invalid identity:" },
    };

    [Theory]
    [MemberData(nameof(BadIdentities))]
    public async Task A_malformed_identity_file_names_the_place_and_what_is_expected(string from, string to, string message)
    {
        await InitAsync();
        Edit("identity.yaml", from, to);
        var result = await Minime("ask", "--dry-run", "design the cache");
        Assert.Equal(1, result.ExitCode);
        Assert.Matches($@"^error: {Regex.Escape(Path.Combine(Home, "identity.yaml"))}:\d+:\d+: ", result.Error);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
        Assert.Single(result.Error.Trim().Split('\n'));
        AssertNoTypeName(result);
    }

    public static TheoryData<string, string, string> BadSettings => new()
    {
        { "defaultK: 8", "defaultK: lots", "retrieval.defaultK: 'lots' is not a whole number" },
        { "defaultK: 8", "defaultK: 99999999999", "retrieval.defaultK: '99999999999' is too large (at most 2,147,483,647)" },
        { "allowNetwork: false", "allowNetwork: maybe", "tools.allowNetwork: 'maybe' is not true or false" },
        { "skipAgentsBelow: 0.2", "skipAgentsBelow: high", "llm.skipAgentsBelow: 'high' is not a number" },
        { "inputPerMillion: 0.15", "inputPerMillion: cheap", "llm.prices[0].inputPerMillion: 'cheap' is not a number" },
        { "  store: sqlite", "  store: [sqlite]", "'memory.store' takes a single value" },
        { "  provider: none         # none (dry", "  provider: gpt4         # none (dry", "llm.provider: 'gpt4' is not one of none, openai, ollama, anthropic" },
        { "tools:\n", "server:\n  maxRequestBytes: big\ntools:\n", "server.maxRequestBytes: 'big' is not a whole number" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public async Task A_config_value_that_does_not_fit_names_the_setting_and_where_it_is_set(string from, string to, string message)
    {
        await InitAsync();
        Edit("config.yaml", from, to);
        var search = await Minime("search", "anything");
        Assert.Equal(2, search.ExitCode);
        Assert.Matches($@"^error: {Regex.Escape(Path.Combine(Home, "config.yaml"))}:\d+:\d+: ", search.Error);
        Assert.Contains(message, search.Error, StringComparison.Ordinal);
        AssertNoTypeName(search);
        var doctor = await Minime("doctor");
        Assert.Equal(1, doctor.ExitCode);
        Assert.Contains(message, doctor.Out, StringComparison.Ordinal);
        AssertNoTypeName(doctor);
    }

    [Fact]
    [Trait("Category", "Integration")]
    public async Task A_MINIME_variable_that_does_not_fit_names_the_variable()
    {
        var env = new Dictionary<string, string> { ["MINIME_HOME"] = Home };
        Assert.Equal(0, (await MinimeProcess.RunAsync(["init"], env)).ExitCode);
        var result = await MinimeProcess.RunAsync(["search", "x"], new Dictionary<string, string>(env) { ["MINIME_RETRIEVAL__DEFAULTK"] = "lots" });
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: environment variable MINIME_RETRIEVAL__DEFAULTK: retrieval.defaultK: 'lots' is not a whole number", result.Error.Trim());
    }

    [Fact]
    public async Task An_unexpected_failure_is_one_line_without_internals_and_verbose_adds_them()
    {
        var (code, error) = await RunThrowingAsync(verbose: false);
        Assert.Equal(1, code);
        Assert.Equal("error: the command failed unexpectedly (run with --verbose for details)", error.Trim());

        var (verboseCode, verboseError) = await RunThrowingAsync(verbose: true);
        Assert.Equal(1, verboseCode);
        Assert.StartsWith("error: the command failed unexpectedly\n", verboseError.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("System.InvalidCastException", verboseError, StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Error)> RunThrowingAsync(bool verbose)
    {
        var error = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(new StringWriter()), Interactive = InteractionSupport.No, Ansi = AnsiSupport.No });
        var root = new RootCommand { Options = { GlobalOptions.Verbose } };
        root.Subcommands.Add(new ThrowingCommand(new CliContext(console, error, interactive: false, trustFile: Path.Combine(Path.GetTempPath(), "minime-unused-trust.json"))));
        var code = await root.Parse(verbose ? ["boom", "--verbose"] : ["boom"]).InvokeAsync();
        return (code, error.ToString());
    }

    /// <summary>A command that fails as no MiniMe error does: a framework exception whose message names types.</summary>
    private sealed class ThrowingCommand(CliContext context) : MiniMeCommand("boom", "fails", context)
    {
        protected override Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken) =>
            throw new InvalidCastException("Unable to cast object of type 'System.String' to type 'System.Collections.Generic.List`1[System.Int32]'.");
    }
}
