using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using MiniMe.Cli;
using MiniMe.Cli.Hosting;
using MiniMe.Configuration;
using MiniMe.Providers;
using MiniMe.Server.Ask;
using MiniMe.Server.Chat;
using MiniMe.Server.Problems;
using MiniMe.Server.Tests.Support;
using Spectre.Console;

namespace MiniMe.Server.Tests;

/// <summary>
/// One error model: a failure's category decides the CLI's exit code and the API's status, once each,
/// and the same failure reads the same on both faces.
/// </summary>
public sealed class ErrorModelTests
{
    /// <summary>What every category means on each face; a category missing here fails <see cref="Every_category_is_in_the_table"/>.</summary>
    public static TheoryData<ErrorCategory, int, int> Table => new()
    {
        { ErrorCategory.InvalidInput, 2, 400 },
        { ErrorCategory.InvalidSettings, 2, 500 },
        { ErrorCategory.NotFound, 1, 404 },
        { ErrorCategory.Conflict, 1, 409 },
        { ErrorCategory.Refused, 1, 403 },
        { ErrorCategory.BudgetExceeded, 1, 422 },
        { ErrorCategory.Configuration, 1, 500 },
        { ErrorCategory.Internal, 1, 500 },
        { ErrorCategory.ModelFailed, 1, 502 },
        { ErrorCategory.ModelNotConfigured, 1, 503 },
        { ErrorCategory.Unavailable, 1, 503 },
        { ErrorCategory.Damaged, 1, 503 },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Each_category_maps_to_one_exit_code_and_one_status(ErrorCategory category, int exitCode, int status)
    {
        Assert.Equal(exitCode, ExitCodes.For(category));
        var (actual, title) = ExceptionProblems.For(category);
        Assert.Equal(status, actual);
        Assert.False(string.IsNullOrWhiteSpace(title));
    }

    [Fact]
    public void Every_category_is_in_the_table()
    {
        var listed = Table.Select(row => (ErrorCategory)row[0]).ToHashSet();
        Assert.All(Enum.GetValues<ErrorCategory>(), c => Assert.Contains(c, listed));
    }

    [Fact]
    public void Exception_types_carry_their_category()
    {
        Assert.Equal(ErrorCategory.ModelFailed, new LlmUnavailableException("x").Category);
        Assert.Equal(ErrorCategory.ModelFailed, new ModelCallException("x").Category);
        Assert.Equal(ErrorCategory.ModelNotConfigured, new ModelUnavailableException("x").Category);
        Assert.Equal(ErrorCategory.Conflict, new ProposalStateException("x").Category);
        Assert.Equal(ErrorCategory.InvalidSettings, new UnknownSettingsException(["x"]).Category);
        Assert.Equal(ErrorCategory.Configuration, new ConfigException("x").Category);
        Assert.Equal(ErrorCategory.Damaged, Memory.DamagedMemoryException.Empty("/tmp/memory.db").Category);
        Assert.Equal(ErrorCategory.Refused, new Tools.ToolRefusedException("x").Category);
        // A decision that could not start is reported as what stopped it.
        Assert.Equal(ErrorCategory.Configuration, new ProposalNotStartedException("x", new ConfigException("y")).Category);
        Assert.Equal(ErrorCategory.Internal, new ProposalNotStartedException("x", new IOException("y")).Category);
    }

    [Fact]
    [Trait("Category", "Integration")]
    public async Task An_unreachable_model_reads_the_same_in_the_cli_and_answers_502_on_ask_and_chat()
    {
        var endpoint = $"http://127.0.0.1:{ClosedPort()}/v1";
        var cli = await CliAskAsync(endpoint);
        Assert.Equal(1, cli.Code);
        var line = Assert.Single(cli.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), l => l.StartsWith("error: ", StringComparison.Ordinal));
        var message = line["error: ".Length..];
        Assert.StartsWith("Cannot reach the openai endpoint http://127.0.0.1:", message, StringComparison.Ordinal);

        // The server built by the composition root from the same settings: the provider's client, the pipeline, the team.
        await using var server = await TestServer.StartAsync(settings: new Dictionary<string, string?>
        {
            ["llm:provider"] = "openai",
            ["llm:endpoint"] = endpoint,
            ["llm:model"] = "unreachable-model",
            ["llm:apiKeyVariable"] = "MINIME_TEST_UNSET_KEY",
            ["llm:maxRetries"] = "0",
        });
        var client = server.Client(server.CreateKey("k"));

        using var ask = await client.PostAsJsonAsync("/v1/ask", new { task = "add a retry to the HTTP client" });
        Assert.Equal(message, await ask.AssertProblemAsync(502));
        using var chat = await client.PostAsJsonAsync("/v1/chat", new { message = "How should I retry?" });
        Assert.Equal(message, await chat.AssertProblemAsync(502));
    }

    /// <summary>A loopback port nothing listens on (the OS picked it free; the listener is closed again).</summary>
    private static int ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>`minime ask` in-process, in a workspace whose config.yaml points the real OpenAI-compatible provider at <paramref name="endpoint"/>.</summary>
    private static async Task<(int Code, string Error)> CliAskAsync(string endpoint)
    {
        var root = Directory.CreateTempSubdirectory("minime-error-model-").FullName;
        try
        {
            var home = Path.Combine(root, ".minime");
            var output = new StringWriter();
            var error = new StringWriter();
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Interactive = InteractionSupport.No, Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
            var context = new CliContext(console, error, interactive: false, trustFile: Path.Combine(root, "trust.json"));
            Assert.Equal(0, await CliApp.RunAsync(["init", "--home", home], context));
            var config = Path.Combine(home, "config.yaml");
            var text = File.ReadAllText(config)
                .Replace("  provider: none         # none (dry runs only)", "  provider: openai\n  endpoint: " + endpoint + "\n  model: unreachable-model\n  apiKeyVariable: MINIME_TEST_UNSET_KEY\n  # none (dry runs only)", StringComparison.Ordinal)
                .Replace("  maxRetries: 3 ", "  maxRetries: 0 ", StringComparison.Ordinal);
            File.WriteAllText(config, text);
            error.GetStringBuilder().Clear();
            var code = await CliApp.RunAsync(["ask", "add a retry to the HTTP client", "--home", home], context);
            return (code, error.ToString());
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(root, recursive: true);
        }
    }
}
