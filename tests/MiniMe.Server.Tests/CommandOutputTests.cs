using System.Text;
using System.Text.Json;
using MiniMe.Cli.Hosting;
using MiniMe.Configuration;
using MiniMe.Server.Tests.Support;
using MiniMe.Testing;
using MiniMe.Tools.Trust;
using MiniMe.Tracing;

namespace MiniMe.Server.Tests;

/// <summary>
/// What an approved run_command printed flows back: the terminal shows its exit code and the end of both
/// streams (`minime tool run`, the same renderer as `minime ask`), `--json` and the API's decision answer
/// carry them, and the run's trace keeps them capped and redacted (`minime trace` prints them). Real
/// processes (sh scripts, unsandboxed: tools.sandbox none), the real CLI in-process, Kestrel on loopback.
/// </summary>
[Trait("Category", "Integration")]
public sealed class CommandOutputTests : IDisposable
{
    private const string Allowlist = """
        read:
          include: ["**"]
        write:
          include: ["src/**"]
        commands:
          - program: sh
            args: ["scripts/*.sh"]
        """;

    // Two lines on stdout, two on stderr, exit 3.
    private const string BothScript = "echo 'built 4 projects'\necho 'tests: 11 passed'\necho 'warning: slow test' >&2\necho 'error: 1 failed' >&2\nexit 3\n";

    // 100 short lines on stdout (well under tools.maxOutputBytes), then 3000 bytes on stderr (over a 1024-byte cap).
    private const string LongScript = "i=1\nwhile [ $i -le 100 ]; do echo \"row $i\"; i=$((i+1)); done\ni=0\nwhile [ $i -lt 100 ]; do printf 'e%.0s' 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 >&2; i=$((i+1)); done\n";

    // The key only exists joined in the output, as a value read from somewhere would.
    private const string SecretPart = "proj-Q7x2LmN9pR4sT8vW1yZ3bC6dF0gH5jK";
    private const string LeakScript = "printf 'OPENAI key: sk-%s\\n' " + SecretPart + "\nprintf 'connecting with sk-%s\\n' " + SecretPart + " >&2\n";

    private readonly string _project = Path.Combine(Path.GetTempPath(), "minime-server-tests", Guid.NewGuid().ToString("N"));
    private readonly string _trust = Directory.CreateTempSubdirectory("minime-output-trust-").FullName;

    private string Home => Path.Combine(_project, ".minime");

    public void Dispose()
    {
        if (Directory.Exists(_project)) Directory.Delete(_project, recursive: true);
        Directory.Delete(_trust, recursive: true);
    }

    private Task<(int Code, string Out, string Error)> RunAsync(params string[] args) => CliRun.RunAsync(Home, Path.Combine(_trust, "trust.json"), args);

    /// <summary>`minime init` in a project of its own, the sh scripts allowed, no sandbox, then trusted as `minime trust --yes` would.</summary>
    private async Task SetUpAsync(Func<string, string>? config = null)
    {
        Directory.CreateDirectory(Path.Combine(_project, "scripts"));
        var init = await RunAsync("init", "--name", "tester");
        Assert.True(init.Code == 0, init.Error);
        await File.WriteAllTextAsync(Path.Combine(Home, "allowlist.yaml"), Allowlist);
        var configPath = Path.Combine(Home, "config.yaml");
        var text = (await File.ReadAllTextAsync(configPath)).Replace("sandbox: auto ", "sandbox: none ", StringComparison.Ordinal);
        await File.WriteAllTextAsync(configPath, config?.Invoke(text) ?? text);
        await File.WriteAllTextAsync(Path.Combine(_project, "scripts", "both.sh"), BothScript);
        await File.WriteAllTextAsync(Path.Combine(_project, "scripts", "long.sh"), LongScript);
        await File.WriteAllTextAsync(Path.Combine(_project, "scripts", "leak.sh"), LeakScript);
        var trusted = await RunAsync("trust", "--yes");
        Assert.True(trusted.Code == 0, trusted.Out + trusted.Error);
    }

    private static string Args(string script) => $$"""{"argv": ["sh", "scripts/{{script}}"]}""";

    private static string RunIdIn(string output) =>
        output.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith("run ", StringComparison.Ordinal) && l.Contains("minime trace", StringComparison.Ordinal)).Split(' ')[1];

    [Fact]
    public async Task Tool_run_shows_the_exit_code_and_both_streams_and_json_carries_them()
    {
        await SetUpAsync();

        var shown = await RunAsync("tool", "run", "run_command", "--args", Args("both.sh"), "--yes");

        Assert.Equal(1, shown.Code);
        Assert.Contains("sh exited with 3", shown.Error, StringComparison.Ordinal);
        Assert.Contains("exit 3 ·", shown.Out, StringComparison.Ordinal);
        var lines = shown.Out.Split('\n').Select(l => l.Trim()).ToList();
        var stdout = lines.IndexOf("── stdout ──");
        var stderr = lines.IndexOf("── stderr ──");
        Assert.True(stdout >= 0 && stderr > stdout, shown.Out);
        Assert.Equal(["built 4 projects", "tests: 11 passed"], lines[(stdout + 1)..stderr]);
        Assert.Equal(["warning: slow test", "error: 1 failed"], lines[(stderr + 1)..(stderr + 3)]);

        var json = await RunAsync("tool", "run", "run_command", "--args", Args("both.sh"), "--yes", "--json");
        Assert.Equal(1, json.Code);
        var command = JsonDocument.Parse(json.Out).RootElement.GetProperty("command");
        Assert.Equal(3, command.GetProperty("exit_code").GetInt32());
        Assert.Equal("built 4 projects\ntests: 11 passed\n", command.GetProperty("stdout").GetString());
        Assert.Equal("warning: slow test\nerror: 1 failed\n", command.GetProperty("stderr").GetString());
        Assert.False(command.GetProperty("stdout_truncated").GetBoolean());
        Assert.False(command.GetProperty("timed_out").GetBoolean());
        Assert.True(command.GetProperty("duration_ms").GetDouble() > 0);
    }

    [Fact]
    public async Task Ask_with_yes_shows_what_the_approved_command_printed_under_its_outcome()
    {
        await using var model = await LoopbackOpenAiServer.StartAsync();
        model.Responder = r => AgentReplies.For(AgentReplies.AgentOf(r.MessagesText),
            integration: """{"summary":"Run the checks.","proposals":[{"tool":"run_command","arguments":{"argv":["sh","scripts/both.sh"]},"rationale":"see what fails"}]}""");
        await SetUpAsync(config => config
            .Replace("  model: minilm          #", "  model: none          #", StringComparison.Ordinal)
            .Replace("  maxRetries: 3 ", "  maxRetries: 0 ", StringComparison.Ordinal)
            .Replace("  provider: none         # none (dry runs only)",
                "  provider: openai\n  endpoint: " + model.BaseUrl + "\n  model: loopback-model\n  apiKeyVariable: MINIME_TEST_UNSET_KEY\n  # none (dry runs only)", StringComparison.Ordinal));

        var ask = await RunAsync("ask", AgentReplies.TeamTask, "--yes");

        Assert.True(model.ChatRequests.Count > 0, ask.Out + ask.Error);
        var lines = ask.Out.Split('\n').Select(l => l.Trim()).ToList();
        var outcome = lines.FindIndex(l => l.StartsWith("p1 run_command: sh exited with 3", StringComparison.Ordinal));
        Assert.True(outcome >= 0, ask.Out + ask.Error);
        Assert.StartsWith("exit 3 ·", lines[outcome + 1], StringComparison.Ordinal);
        Assert.Equal(["── stdout ──", "built 4 projects", "tests: 11 passed", "── stderr ──", "warning: slow test", "error: 1 failed"], lines[(outcome + 2)..(outcome + 8)]);
    }

    [Fact]
    public async Task Long_output_shows_its_last_lines_with_the_count_above_and_the_capped_stream_says_so()
    {
        await SetUpAsync(config => config
            .Replace("maxOutputBytes: 1048576 ", "maxOutputBytes: 1024 ", StringComparison.Ordinal)
            .Replace("traceOutputBytes: 16384 ", "traceOutputBytes: 200 ", StringComparison.Ordinal));

        var shown = await RunAsync("tool", "run", "run_command", "--args", Args("long.sh"), "--yes");

        Assert.True(shown.Code == 0, shown.Error);
        var lines = shown.Out.Split('\n').Select(l => l.Trim()).ToList();
        var runId = RunIdIn(shown.Out);
        // 100 lines: the first 60 are counted, not shown; the trace holds only the last 200 bytes of them.
        Assert.Contains($"… 60 lines above; the trace keeps the last 200 B: minime trace {runId}", lines);
        Assert.DoesNotContain("row 60", lines);
        Assert.Equal(Enumerable.Range(61, 40).Select(i => $"row {i}"), lines.SkipWhile(l => l != "row 61").Take(40));
        Assert.Contains("! stderr capped at tools.maxOutputBytes: 1 KB kept of 2.8 KB printed", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("! stdout capped", StringComparison.Ordinal));

        var execution = Assert.Single(new TraceStore(Path.Combine(Home, "traces")).Read(runId), e => e.EventType == TraceEventTypes.Execution);
        var traced = execution.Data["stdout"]!.GetValue<string>();
        Assert.True(Encoding.UTF8.GetByteCount(traced) <= 200, traced);
        Assert.EndsWith("row 99\nrow 100\n", traced, StringComparison.Ordinal);
        Assert.StartsWith("row ", traced, StringComparison.Ordinal);   // cut at a line start
        Assert.True(execution.Data["stdout_truncated"]!.GetValue<bool>());
        Assert.True(execution.Data["stderr_truncated"]!.GetValue<bool>());
        Assert.Equal(2900, execution.Data["stderr_bytes"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_secret_the_command_prints_is_redacted_on_screen_and_in_the_trace_file_which_minime_trace_prints()
    {
        await SetUpAsync();

        var shown = await RunAsync("tool", "run", "run_command", "--args", Args("leak.sh"), "--yes");

        Assert.True(shown.Code == 0, shown.Error);
        Assert.DoesNotContain(SecretPart, shown.Out, StringComparison.Ordinal);
        Assert.Contains("OPENAI key: [REDACTED]", shown.Out, StringComparison.Ordinal);
        var runId = RunIdIn(shown.Out);
        var file = await File.ReadAllTextAsync(Path.Combine(Home, "traces", runId + ".jsonl"));
        Assert.DoesNotContain(SecretPart, file, StringComparison.Ordinal);
        var execution = Assert.Single(new TraceStore(Path.Combine(Home, "traces")).Read(runId), e => e.EventType == TraceEventTypes.Execution);
        Assert.Equal("OPENAI key: [REDACTED]\n", execution.Data["stdout"]!.GetValue<string>());
        Assert.Equal("connecting with [REDACTED]\n", execution.Data["stderr"]!.GetValue<string>());
        Assert.Equal(0, execution.Data["exit_code"]!.GetValue<int>());

        var trace = await RunAsync("trace", runId);
        Assert.True(trace.Code == 0, trace.Error);
        Assert.Contains("| OPENAI key: [REDACTED]", trace.Out, StringComparison.Ordinal);
        Assert.Contains("| connecting with [REDACTED]", trace.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(SecretPart, trace.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_negative_trace_output_cap_is_refused_with_the_setting_named()
    {
        await SetUpAsync();
        var configPath = Path.Combine(Home, "config.yaml");
        var config = await File.ReadAllTextAsync(configPath);
        Assert.Contains("traceOutputBytes: 16384 ", config, StringComparison.Ordinal);   // shipped, with its comment
        await File.WriteAllTextAsync(configPath, config.Replace("traceOutputBytes: 16384 ", "traceOutputBytes: -1 ", StringComparison.Ordinal));

        var listed = await RunAsync("tool", "list");

        Assert.Equal(ExitCodes.Usage, listed.Code);
        Assert.Matches(@"config\.yaml:\d+:\d+: tools\.traceOutputBytes must be between 0 and 16,777,216 \(is -1\)", listed.Error);
    }

    [Fact]
    public async Task The_api_decision_answer_of_an_approved_command_carries_its_output()
    {
        var model = new MiniMe.Testing.ScriptedChatClient
        {
            Responder = call => AgentReplies.For(AgentReplies.AgentOf(call.SystemText),
                integration: """{"summary":"Run the checks.","proposals":[{"tool":"run_command","arguments":{"argv":["sh","scripts/both.sh"]},"rationale":"see what fails"}]}"""),
        };
        await using var server = await TestServer.StartAsync(model, configure: o => o.Tools.Sandbox = SandboxMode.None);
        await File.WriteAllTextAsync(server.Workspace.AllowlistPath, Allowlist);
        Directory.CreateDirectory(Path.Combine(server.Root, "scripts"));
        await File.WriteAllTextAsync(Path.Combine(server.Root, "scripts", "both.sh"), BothScript);
        var tools = ConfigurationLoader.Load(server.Workspace).Tools;
        tools.Sandbox = SandboxMode.None;
        WorkspaceTrust.Record(new TrustStore(server.TrustFile), server.Workspace, tools, TrustSource.User, DateTimeOffset.UtcNow);
        var client = server.Client(server.CreateKey("k"));
        var ask = await client.PostJsonAsync("/v1/ask", new { task = AgentReplies.TeamTask });
        var proposal = Assert.Single((await client.GetJsonAsync("/v1/proposals")).EnumerateArray());

        var decided = await client.PostJsonAsync($"/v1/proposals/{proposal.GetProperty("id").GetString()}/approve", new { });

        Assert.True(decided.GetProperty("executed").GetBoolean(), decided.GetProperty("message").GetString());
        Assert.StartsWith("failed: sh exited with 3", decided.GetProperty("message").GetString(), StringComparison.Ordinal);
        var output = decided.GetProperty("output");
        Assert.Equal(3, output.GetProperty("exit_code").GetInt32());
        Assert.Equal("built 4 projects\ntests: 11 passed\n", output.GetProperty("stdout").GetString());
        Assert.Equal("warning: slow test\nerror: 1 failed\n", output.GetProperty("stderr").GetString());
        Assert.False(output.GetProperty("stdout_truncated").GetBoolean());
        Assert.False(output.GetProperty("stderr_truncated").GetBoolean());
        var execution = Assert.Single(new TraceStore(server.Workspace.TracesDirectory).Read(ask.GetProperty("run_id").GetString()!), e => e.EventType == TraceEventTypes.Execution);
        Assert.Equal("warning: slow test\nerror: 1 failed\n", execution.Data["stderr"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_api_decision_answer_of_a_file_write_has_no_command_output()
    {
        var model = new MiniMe.Testing.ScriptedChatClient
        {
            Responder = call => AgentReplies.For(AgentReplies.AgentOf(call.SystemText),
                integration: """{"summary":"Write.","proposals":[{"tool":"write_file","arguments":{"path":"src/a.txt","content":"a\n"},"rationale":"a file"}]}"""),
        };
        await using var server = await TestServer.StartAsync(model);
        var client = server.Client(server.CreateKey("k"));
        await client.PostJsonAsync("/v1/ask", new { task = AgentReplies.TeamTask });
        var proposal = Assert.Single((await client.GetJsonAsync("/v1/proposals")).EnumerateArray());

        var decided = await client.PostJsonAsync($"/v1/proposals/{proposal.GetProperty("id").GetString()}/approve", new { });

        Assert.True(decided.GetProperty("executed").GetBoolean(), decided.GetProperty("message").GetString());
        Assert.True(!decided.TryGetProperty("output", out var output) || output.ValueKind == JsonValueKind.Null);
    }
}
