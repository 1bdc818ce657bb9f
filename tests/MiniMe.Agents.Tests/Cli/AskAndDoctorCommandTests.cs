using MiniMe.Testing;
using MiniMe.Tracing;

namespace MiniMe.Agents.Tests.Cli;

/// <summary>`minime ask` and `minime doctor` end to end: the real CLI, engine, provider and a loopback model server.</summary>
[Trait("Category", "Integration")]
[Collection(CliCollection.Name)]
public sealed class AskAndDoctorCommandTests : IAsyncLifetime
{
    private readonly CliHarness _cli = new();
    private LoopbackOpenAiServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await LoopbackOpenAiServer.StartAsync();
        _server.Responder = r => AgentReplies.For(AgentReplies.AgentOf(r.MessagesText));
        var (exit, _, error) = await _cli.RunAsync("init", "--name", "Tester");
        Assert.True(exit == 0, error);
        _cli.SetEnvironment("MINIME_LLM__PROVIDER", "openai");
        _cli.SetEnvironment("MINIME_LLM__ENDPOINT", _server.BaseUrl.ToString());
        _cli.SetEnvironment("MINIME_LLM__MODEL", "loopback-model");
        _cli.SetEnvironment("MINIME_LLM__RETRYBASEDELAYMS", "1");
        _cli.SetEnvironment("MINIME_LLM__APIKEYVARIABLE", "MINIME_TEST_UNSET_KEY");
    }

    public async Task DisposeAsync()
    {
        _cli.Dispose();
        await _server.DisposeAsync();
    }

    private const string Task = "Design and implement a greeting module, refactor the service layer and add integration tests";

    [Fact]
    public async Task AskRunsTheTeamStreamsAndPrintsProposalsAndTotals()
    {
        var (exit, output, error) = await _cli.RunAsync("ask", Task);

        // The default allowlist refuses `dotnet test` (it runs repository code), so the run ends with exit 1 saying so.
        Assert.True(exit == 1, output + error);
        Assert.Contains("dotnet test runs code from this repository, so it is not allowed by default", (output + error).ReplaceLineEndings(" "), StringComparison.Ordinal);
        Assert.Contains("-- builder round 1 --", error);
        Assert.Contains("Adds Greeter with a test.", error); // streamed model output
        Assert.Contains("builder: valid", error);
        Assert.Contains("Proposed actions · 2", output);
        Assert.Contains("p1 write_file src/Greeter.cs (by integrator)", output);
        Assert.Contains("p2 run_command dotnet test", output);
        Assert.Contains("prove it", output);
        Assert.Contains("Nothing has run yet", output);
        Assert.Matches(@"tokens: \d+ prompt \+ \d+ completion = \d+", output);
        Assert.Contains("cost $0.0000", output);

        var runId = output.Split('\n').Single(l => l.StartsWith("run_id: ", StringComparison.Ordinal))["run_id: ".Length..].Trim();
        var traces = new TraceStore(Path.Combine(_cli.Home, "traces"));
        var events = traces.Read(runId);
        Assert.Equal("completed", events.Last(e => e.EventType == TraceEventTypes.RunEnd).Data["status"]!.GetValue<string>());
        Assert.Equal(_server.ChatRequests.Count, events.Count(e => e.EventType == TraceEventTypes.AgentCall));
        Assert.Equal(2, events.Count(e => e.EventType == TraceEventTypes.ActionProposal));
    }

    [Fact]
    public async Task AskPricesEveryModelCallWithLlmPricesAndTheRunAddsThemUp()
    {
        _cli.SetEnvironment("MINIME_LLM__PRICES__0__MODEL", "loopback-model");
        _cli.SetEnvironment("MINIME_LLM__PRICES__0__INPUTPERMILLION", "2");
        _cli.SetEnvironment("MINIME_LLM__PRICES__0__OUTPUTPERMILLION", "8");
        _server.Responder = r => AgentReplies.For(AgentReplies.AgentOf(r.MessagesText)) with { PromptTokens = 1000, CompletionTokens = 500 };

        var (_, output, error) = await _cli.RunAsync("ask", Task);

        var runId = output.Split('\n').Single(l => l.StartsWith("run_id: ", StringComparison.Ordinal))["run_id: ".Length..].Trim();
        var events = new TraceStore(Path.Combine(_cli.Home, "traces")).Read(runId);
        var calls = events.Where(e => e.EventType == TraceEventTypes.AgentCall).ToList();
        Assert.Equal(4, calls.Count);
        // The same table as the server's: 1000 × $2 + 500 × $8 per million tokens (see the server's ModelCallTests).
        Assert.All(calls, c => Assert.Equal(0.006m, c.Data["cost"]!.GetValue<decimal>()));
        Assert.Equal(0.024m, events.Last(e => e.EventType == TraceEventTypes.RunEnd).Data["cost"]!.GetValue<decimal>());
        Assert.Equal(calls.Sum(c => c.Data["prompt_tokens"]!.GetValue<long>() + c.Data["completion_tokens"]!.GetValue<long>()),
            events.Last(e => e.EventType == TraceEventTypes.RunEnd).Data["total_tokens"]!.GetValue<long>());
        Assert.Contains("cost $0.0240", output, StringComparison.Ordinal);
        Assert.Contains("builder: valid · 1000+500 tokens · $0.0060", error, StringComparison.Ordinal);
        Assert.Equal(4, events.Count(e => e.EventType == TraceEventTypes.AgentOutput));
    }

    private string ProjectRoot => Path.GetDirectoryName(_cli.Home)!;

    [Fact]
    public async Task AskWithoutATerminalAndWithoutYesRunsNothing()
    {
        await AllowDotnetTestAsync();
        var (exit, output, error) = await _cli.RunAsync("ask", Task);
        Assert.True(exit == 0, output + error);
        Assert.False(File.Exists(Path.Combine(ProjectRoot, "src", "Greeter.cs")));
        var runId = output.Split('\n').Single(l => l.StartsWith("run_id: ", StringComparison.Ordinal))["run_id: ".Length..].Trim();
        var approvals = new TraceStore(Path.Combine(_cli.Home, "traces")).Read(runId).Where(e => e.EventType == TraceEventTypes.Approval).ToList();
        Assert.Equal(2, approvals.Count);
        Assert.DoesNotContain(new TraceStore(Path.Combine(_cli.Home, "traces")).Read(runId), e => e.EventType == TraceEventTypes.Execution && e.Data["status"]?.GetValue<string>() == "succeeded");
    }

    [Fact]
    public async Task AskWithYesExecutesApprovedProposalsWithinTheAllowlistAndAuditsThem()
    {
        await AllowDotnetTestAsync();
        var (exit, output, error) = await _cli.RunAsync("ask", Task, "--yes");
        var written = Path.Combine(ProjectRoot, "src", "Greeter.cs");
        Assert.True(File.Exists(written), output + error);
        Assert.Equal("public static class Greeter {}", File.ReadAllText(written));
        var runId = output.Split('\n').Single(l => l.StartsWith("run_id: ", StringComparison.Ordinal))["run_id: ".Length..].Trim();
        var events = new TraceStore(Path.Combine(_cli.Home, "traces")).Read(runId);
        Assert.Equal(2, events.Count(e => e.EventType == TraceEventTypes.Approval));
        Assert.Equal(2, events.Count(e => e.EventType == TraceEventTypes.Execution));
        // `dotnet test` in a folder without a project fails: the run says so with exit 1.
        Assert.Equal(1, exit);
    }

    [Fact]
    public async Task AskWithYesStillRefusesWhatTheDefaultAllowlistDoesNotAllow()
    {
        var (exit, output, error) = await _cli.RunAsync("ask", Task, "--yes");
        Assert.Equal("public static class Greeter {}", File.ReadAllText(Path.Combine(ProjectRoot, "src", "Greeter.cs")));
        var runId = output.Split('\n').Single(l => l.StartsWith("run_id: ", StringComparison.Ordinal))["run_id: ".Length..].Trim();
        var events = new TraceStore(Path.Combine(_cli.Home, "traces")).Read(runId);
        Assert.Single(events, e => e.EventType == TraceEventTypes.Approval);
        Assert.Equal(["succeeded", "refused"], events.Where(e => e.EventType == TraceEventTypes.Execution).Select(e => e.Data["status"]!.GetValue<string>()));
        Assert.Equal(1, exit);
        Assert.Contains("dotnet", output + error, StringComparison.Ordinal);
    }

    /// <summary>What `minime init` tells the user to add to let agents run tests (and, with it, repository code); the edit needs trusting again.</summary>
    private async Task AllowDotnetTestAsync()
    {
        var path = Path.Combine(_cli.Home, "allowlist.yaml");
        File.WriteAllText(path, File.ReadAllText(path).Replace("args: [\"--version\", \"--info\"]", "args: [\"--version\", \"--info\", \"build ...\", \"test ...\"]", StringComparison.Ordinal));
        Assert.Contains("\"test ...\"", File.ReadAllText(path), StringComparison.Ordinal);
        var (exit, output, error) = await _cli.RunAsync("trust", "--yes");
        Assert.True(exit == 0, output + error);
    }

    [Fact]
    public async Task AskInAWorkspaceWhoseAllowlistChangedSaysSoUpFrontAndRefusesEveryAction()
    {
        File.AppendAllText(Path.Combine(_cli.Home, "allowlist.yaml"), "\n# edited after init\n");

        var (exit, output, error) = await _cli.RunAsync("ask", Task, "--yes");

        Assert.Equal(1, exit);
        Assert.Contains("Every action the team proposes will be refused: this workspace is not trusted (allowlist.yaml changed since `minime init` created it on ", error);
        Assert.True(error.IndexOf("Every action the team proposes will be refused", StringComparison.Ordinal) < error.IndexOf("-- builder round 1 --", StringComparison.Ordinal), error);
        Assert.False(File.Exists(Path.Combine(ProjectRoot, "src", "Greeter.cs")));
        var runId = output.Split('\n').Single(l => l.StartsWith("run_id: ", StringComparison.Ordinal))["run_id: ".Length..].Trim();
        var executions = new TraceStore(Path.Combine(_cli.Home, "traces")).Read(runId).Where(e => e.EventType == TraceEventTypes.Execution).ToList();
        Assert.Equal(2, executions.Count);
        Assert.All(executions, e => Assert.Equal("refused", e.Data["status"]!.GetValue<string>()));
    }

    [Fact]
    public async Task AskFlagsAProposalTheIntegratorChangedAfterTheCriticReviewedIt()
    {
        // The scripted Integrator writes src/Greeter.cs with other content than the Builder's reviewed file.
        var (exit, output, error) = await _cli.RunAsync("ask", Task, "--analysis-only");
        Assert.True(exit == 0, error);
        Assert.Contains("[review: changed after review] the helper", output.ReplaceLineEndings(" "), StringComparison.Ordinal);
        Assert.DoesNotContain("[review:", output.Split('\n').Single(l => l.Contains("prove it", StringComparison.Ordinal)), StringComparison.Ordinal);

        var runId = output.Split('\n').Single(l => l.StartsWith("run_id: ", StringComparison.Ordinal))["run_id: ".Length..].Trim();
        var events = new TraceStore(Path.Combine(_cli.Home, "traces")).Read(runId);
        var review = Assert.Single(events, e => e.EventType == TraceEventTypes.ProposalReview).Data;
        Assert.Equal(1, review["flagged"]!.GetValue<int>());
    }

    [Fact]
    public async Task AskAnalysisOnlyShowsProposalsAndRunsNoTool()
    {
        var (exit, output, error) = await _cli.RunAsync("ask", Task, "--analysis-only", "--yes");
        Assert.True(exit == 0, error);
        Assert.Contains("Proposed actions · 2", output);
        Assert.False(File.Exists(Path.Combine(ProjectRoot, "src", "Greeter.cs")));
    }

    [Fact]
    public async Task AskWithAnUnreachableProviderFailsInOneLine()
    {
        _cli.SetEnvironment("MINIME_LLM__ENDPOINT", "http://127.0.0.1:1/v1");
        _cli.SetEnvironment("MINIME_LLM__MAXRETRIES", "0");
        var (exit, output, error) = await _cli.RunAsync("ask", Task);

        Assert.Equal(1, exit);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("-- ", StringComparison.Ordinal)).ToList();
        var line = Assert.Single(lines);
        Assert.StartsWith("error: Cannot reach the openai endpoint http://127.0.0.1:1/v1/ (connection refused)", line);
        Assert.DoesNotContain("   at ", error);
        Assert.Equal("", output);
    }

    [Fact]
    public async Task AskWithoutAProviderIsADryRunWithANotice()
    {
        _cli.SetEnvironment("MINIME_LLM__PROVIDER", "none");
        var (exit, output, error) = await _cli.RunAsync("ask", Task);
        Assert.Equal(0, exit);
        Assert.Contains("No LLM provider is configured", error);
        Assert.Contains("Status dry_run", output);
        Assert.Empty(_server.ChatRequests);
    }

    [Fact]
    public async Task DoctorReportsAHealthySetup()
    {
        var (exit, output, error) = await _cli.RunAsync("doctor");
        Assert.True(exit == 0, output + error);
        Assert.Contains("ok   config", output);
        Assert.Contains("ok   test call", output);
        Assert.Contains("healthy", output);
    }

    [Fact]
    public async Task DoctorSaysWhatToFix()
    {
        _cli.SetEnvironment("MINIME_LLM__ENDPOINT", "http://127.0.0.1:1/v1");
        var (exit, output, _) = await _cli.RunAsync("doctor");
        Assert.Equal(1, exit);
        Assert.Contains("FAIL endpoint", output);
        Assert.Contains("fix:", output);
        Assert.Contains("1 problem(s) to fix", output);
    }

    [Fact]
    public async Task DoctorReportsAnInvalidConfiguration()
    {
        _cli.SetEnvironment("MINIME_LLM__PROVIDER", "gpt-magic");
        var (exit, output, _) = await _cli.RunAsync("doctor");
        Assert.Equal(1, exit);
        Assert.Contains("FAIL config", output);
        Assert.Contains("environment variable MINIME_LLM__PROVIDER: llm.provider: 'gpt-magic' is not one of none, openai, ollama, anthropic", output);
    }
}
