using System.Text.Json;
using System.Text.Json.Nodes;
using MiniMe.Server.Tests.Support;
using MiniMe.Testing;
using MiniMe.Tracing;

namespace MiniMe.Server.Tests;

/// <summary>
/// MiniMe as an MCP client (mcp.servers): the servers are real, the repo's own `minime mcp` (the built CLI started over
/// stdio on a second workspace) and /mcp of a real `minime serve` on loopback; the model is the loopback OpenAI server,
/// scripted to have the Architect call a server's tool. The client side is the real CLI in-process.
/// </summary>
[Trait("Category", "Integration")]
public sealed class McpClientTests : IDisposable
{
    private const string Note = "The HTTP client retries idempotent requests three times with exponential backoff.";
    private const string NoProposals = """{"summary":"Nothing to change in the repository.","proposals":[]}""";

    private readonly string _root = Directory.CreateTempSubdirectory("minime-mcpclient-").FullName;

    private string Home => Path.Combine(_root, "project", ".minime");
    private string Target => Path.Combine(_root, "target", ".minime");
    private string TrustFile => Path.Combine(_root, "trust.json");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private Task<(int Code, string Out, string Error)> RunAsync(params string[] args) => CliRun.RunAsync(Home, TrustFile, args);

    private async Task<(int Code, string Out, string Error)> OkAsync(string home, params string[] args)
    {
        var run = await CliRun.RunAsync(home, TrustFile, args);
        Assert.True(run.Code == 0, $"minime {string.Join(' ', args)} exited {run.Code}: {run.Out}{run.Error}");
        return run;
    }

    /// <summary>init with embeddings off (no model to load), <paramref name="edit"/> applied to config.yaml.</summary>
    private async Task InitAsync(string home, Func<string, string>? edit = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(home)!);
        await OkAsync(home, "init", "--name", "nima");
        var config = Path.Combine(home, "config.yaml");
        var text = File.ReadAllText(config).Replace("  model: minilm          #", "  model: none          #", StringComparison.Ordinal);
        Assert.Contains("  model: none ", text, StringComparison.Ordinal);
        File.WriteAllText(config, edit?.Invoke(text) ?? text);
    }

    /// <summary>The workspace `minime mcp` serves: one imported note; writes on when asked.</summary>
    private async Task InitTargetAsync(bool writes = false)
    {
        await InitAsync(Target, text => writes ? text + "\nmcp:\n  allowWrites: true\n" : text);
        var notes = Path.Combine(_root, "target", "notes");
        Directory.CreateDirectory(notes);
        File.WriteAllText(Path.Combine(notes, "retries.md"), "# Retry policy\n\n" + Note + "\n");
        await OkAsync(Target, "import", notes);
    }

    /// <summary>`minime mcp --home TARGET` as the built CLI: the argv of a stdio server entry, as YAML.</summary>
    private string StdioCommand() =>
        JsonSerializer.Serialize(new[] { "dotnet", Path.Combine(AppContext.BaseDirectory, "minime.dll"), "mcp", "--home", Target });

    private static Func<string, string> WithModel(LoopbackOpenAiServer model) => text => text
        .Replace("  maxRetries: 3 ", "  maxRetries: 0 ", StringComparison.Ordinal)
        .Replace("  provider: none         # none (dry runs only)",
            "  provider: openai\n  endpoint: " + model.BaseUrl + "\n  model: loopback-model\n  apiKeyVariable: MINIME_TEST_UNSET_KEY\n  # none (dry runs only)", StringComparison.Ordinal);

    private static bool HasToolResult(RecordedRequest request) =>
        request.Body?["messages"] is JsonArray messages && messages.Any(m => m?["role"]?.GetValue<string>() == "tool");

    /// <summary>The Architect calls <paramref name="tool"/> once, then plans; the others answer as usual; the Integrator proposes nothing.</summary>
    private static ScriptedReply Respond(RecordedRequest request, string tool, string arguments)
    {
        var agent = AgentReplies.AgentOf(request.MessagesText);
        if (agent == MiniMe.Agents.AgentNames.Architect && !HasToolResult(request)) return ScriptedReply.ToolCall(tool, arguments);
        return AgentReplies.For(agent, integration: NoProposals);
    }

    private static IReadOnlyList<string> Offered(RecordedRequest request) =>
        request.Body?["tools"] is JsonArray tools ? [.. tools.Select(t => t!["function"]!["name"]!.GetValue<string>())] : [];

    private IReadOnlyList<TraceEvent> LastRun()
    {
        var traces = new TraceStore(Path.Combine(Home, "traces"));
        return traces.Read(traces.List()[0].RunId);
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private async Task<JsonElement> ServersAsync()
    {
        var listed = await RunAsync("mcp", "servers", "--json");
        Assert.True(listed.Code == 0, listed.Out + listed.Error);
        return JsonDocument.Parse(listed.Out).RootElement;
    }

    [Fact]
    public async Task A_read_only_servers_tool_is_called_by_an_agent_during_a_run_and_a_dead_server_is_a_warning()
    {
        await InitTargetAsync();
        await using var model = await LoopbackOpenAiServer.StartAsync();
        model.Responder = r => Respond(r, "mcp__notes__memory_search", """{"query":"exponential backoff","k":3}""");
        await InitAsync(Home, text => WithModel(model)(text) + $$"""

            mcp:
              servers:
                - name: notes
                  command: {{StdioCommand()}}
                  readOnly: true
                  tools: [memory_search, facts_list]
                  timeoutSeconds: 120
                - name: gone
                  command: ["{{Path.Combine(_root, "no-such-server")}}"]
                  readOnly: true
            """);
        await OkAsync(Home, "trust", "--yes");

        var ask = await RunAsync("ask", AgentReplies.TeamTask);

        Assert.True(ask.Code == 0, ask.Out + ask.Error);
        // The dead server: one line, and the run went on.
        var warning = Assert.Single(ask.Error.Split('\n'), l => l.StartsWith("warning: mcp server 'gone'", StringComparison.Ordinal));
        Assert.Contains("unreachable", warning, StringComparison.Ordinal);
        var architect = model.ChatRequests.Where(r => AgentReplies.AgentOf(r.MessagesText) == MiniMe.Agents.AgentNames.Architect).ToList();
        Assert.Equal(2, architect.Count);
        // Only the allowed tools of the reachable server are offered, next to the workspace's own read-only tools.
        var offered = Offered(architect[0]);
        Assert.Contains("mcp__notes__memory_search", offered);
        Assert.Contains("mcp__notes__facts_list", offered);
        Assert.Contains("read_file", offered);
        Assert.DoesNotContain("mcp__notes__runs_list", offered);
        Assert.DoesNotContain(offered, t => t.StartsWith("mcp__gone__", StringComparison.Ordinal));
        // The tool's answer (the target's memory, over MCP) went back to the model.
        var toolMessage = architect[1].Body!["messages"]!.AsArray().Last(m => m!["role"]!.GetValue<string>() == "tool")!;
        Assert.Contains("three times with exponential backoff", toolMessage["content"]!.ToJsonString(), StringComparison.Ordinal);

        var events = LastRun();
        var call = Assert.Single(events, e => e.EventType == TraceEventTypes.AgentToolCall && Text(e.Data["tool"]) == "mcp__notes__memory_search");
        Assert.Null(call.Data["error"]);
        Assert.Equal("exponential backoff", Text(call.Data["arguments"]!["query"]));
        Assert.True(call.Data["bytes"]!.GetValue<int>() > Note.Length);
        Assert.Contains(events, e => e.EventType == TraceEventTypes.AgentToolCall && (Text(e.Data["error"]) ?? "").StartsWith("mcp server 'gone' unreachable", StringComparison.Ordinal));
        Assert.Equal("completed", new TraceStore(Path.Combine(Home, "traces")).List()[0].Status);
    }

    [Fact]
    public async Task A_call_of_a_server_not_marked_read_only_is_a_proposal_that_runs_only_after_approval()
    {
        await InitTargetAsync(writes: true);
        await using var model = await LoopbackOpenAiServer.StartAsync();
        model.Responder = r => Respond(r, "mcp__facts__remember", """{"text":"deploys only on Tuesdays","category":"team"}""");
        await InitAsync(Home, text => WithModel(model)(text) + $$"""

            mcp:
              servers:
                - name: facts
                  command: {{StdioCommand()}}
                  tools: [remember]
                  timeoutSeconds: 120
            """);
        await OkAsync(Home, "trust", "--yes");

        // Without --yes and without a terminal nobody approves: the call is proposed, shown, and not run.
        var unapproved = await RunAsync("ask", AgentReplies.TeamTask);

        Assert.True(unapproved.Code == 0, unapproved.Out + unapproved.Error);
        var toolMessage = model.ChatRequests.Where(HasToolResult).First().Body!["messages"]!.AsArray().Last(m => m!["role"]!.GetValue<string>() == "tool")!;
        Assert.Contains("proposed as call 1: nothing ran", toolMessage["content"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain("deploys only on Tuesdays", (await OkAsync(Target, "facts", "--json")).Out, StringComparison.Ordinal);
        var first = LastRun();
        var proposal = Assert.Single(first, e => e.EventType == TraceEventTypes.ActionProposal);
        Assert.Equal("mcp__facts__remember", Text(proposal.Data["tool"]));
        var refused = Assert.Single(first, e => e.EventType == TraceEventTypes.Approval);
        Assert.Equal("rejected", Text(refused.Data["decision"]));
        Assert.DoesNotContain(first, e => e.EventType == TraceEventTypes.Execution && Text(e.Data["status"]) == "succeeded");

        // Approved (--yes), the same proposal runs through the server, after the run's agents are done.
        var approved = await RunAsync("ask", AgentReplies.TeamTask, "--yes");

        Assert.True(approved.Code == 0, approved.Out + approved.Error);
        var facts = JsonDocument.Parse((await OkAsync(Target, "facts", "--json")).Out).RootElement;
        Assert.Contains(facts.EnumerateArray(), f => f.GetProperty("text").GetString() == "deploys only on Tuesdays");
        var second = LastRun();
        Assert.Equal("accepted", Text(Assert.Single(second, e => e.EventType == TraceEventTypes.Approval).Data["decision"]));
        var execution = Assert.Single(second, e => e.EventType == TraceEventTypes.Execution);
        Assert.Equal("mcp__facts__remember", Text(execution.Data["tool"]));
        Assert.Equal("succeeded", Text(execution.Data["status"]));
        Assert.Equal("deploys only on Tuesdays", Text(execution.Data["args"]!["text"]));
    }

    [Fact]
    public async Task An_untrusted_workspace_starts_no_stdio_server_and_changing_a_server_asks_for_trust_again()
    {
        var marker = Path.Combine(_root, "started");
        await InitAsync(Home, text => text + $$"""

            mcp:
              servers:
                - name: hostile
                  command: ["sh", "-c", "touch '{{marker}}'"]
                  timeoutSeconds: 20
            """);

        var untrusted = await ServersAsync();

        var server = Assert.Single(untrusted.EnumerateArray());
        Assert.Equal("untrusted", server.GetProperty("state").GetString());
        Assert.Equal(0, server.GetProperty("tools").GetArrayLength());
        var doctor = await RunAsync("doctor");
        Assert.Contains("hostile (stdio): not started", doctor.Out, StringComparison.Ordinal);
        Assert.False(File.Exists(marker), "an untrusted workspace started the server");

        // Trusted, the program runs (it is no MCP server, so it is unreachable: a state, not a crash).
        await OkAsync(Home, "trust", "--yes");
        var trusted = Assert.Single((await ServersAsync()).EnumerateArray());
        Assert.Equal("unreachable", trusted.GetProperty("state").GetString());
        Assert.False(string.IsNullOrEmpty(trusted.GetProperty("error").GetString()));
        Assert.True(File.Exists(marker));

        // Another command is another fingerprint: not trusted until reviewed again.
        var config = Path.Combine(Home, "config.yaml");
        File.WriteAllText(config, File.ReadAllText(config).Replace("touch '", "touch '" + marker + "-2' '", StringComparison.Ordinal));
        Assert.Equal("untrusted", Assert.Single((await ServersAsync()).EnumerateArray()).GetProperty("state").GetString());
        Assert.False(File.Exists(marker + "-2"));
    }

    [Theory]
    [InlineData("    - name: both\n      command: [\"x\"]\n      url: http://127.0.0.1:1/mcp\n", "mcp.servers[0]: give either command (a program started over stdio) or url (an HTTP endpoint), not both")]
    [InlineData("    - name: neither\n      readOnly: true\n", "mcp.servers[0]: give command: [program, args...] (stdio) or url: https://... (HTTP)")]
    [InlineData("    - name: ftp\n      url: ftp://example.com/mcp\n", "mcp.servers[0].url: 'ftp://example.com/mcp' is not an http:// or https:// URL")]
    [InlineData("    - name: shell\n      command: [\"npx -y server\"]\n", "mcp.servers[0].command: 'npx -y server' is one string with spaces")]
    [InlineData("    - name: a\n      url: http://127.0.0.1:1/mcp\n    - name: a\n      url: http://127.0.0.1:2/mcp\n", "mcp.servers[1].name: 'a' names two servers")]
    [InlineData("    - name: \"two words\"\n      url: http://127.0.0.1:1/mcp\n", "mcp.servers[0].name: 'two words' may hold only letters")]
    [InlineData("    - name: s\n      url: http://127.0.0.1:1/mcp\n      env: [GITHUB_TOKEN]\n", "mcp.servers[0].env: only a stdio server (command) gets environment variables")]
    [InlineData("    - name: s\n      command: [\"x\"]\n      timeoutSeconds: 0\n", "mcp.servers[0].timeoutSeconds must be between 1 and 600 (is 0)")]
    [InlineData("    - name: s\n      comand: [\"x\"]\n", "comand")]
    public async Task A_bad_server_entry_is_refused_with_one_line_saying_where(string entry, string expected)
    {
        await InitAsync(Home, text => text + "\nmcp:\n  servers:\n" + entry);

        var refused = await RunAsync("mcp", "servers");

        Assert.Equal(2, refused.Code);
        var line = Assert.Single(refused.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.Contains(expected, StringComparison.Ordinal));
        Assert.DoesNotContain("   at ", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_url_server_is_reached_with_the_key_from_its_variable_and_a_wrong_key_is_unreachable()
    {
        await InitTargetAsync();
        var key = JsonDocument.Parse((await OkAsync(Target, "keys", "create", "client", "--json")).Out).RootElement.GetProperty("key").GetString()!;
        await using var serve = await ServeProcess.StartServeAsync(Target, new Dictionary<string, string> { ["MINIME_TRUST_FILE"] = TrustFile });
        var variable = "MINIME_TEST_MCP_KEY_" + Guid.NewGuid().ToString("N");
        var wrong = variable + "_WRONG";
        Environment.SetEnvironmentVariable(variable, key);
        Environment.SetEnvironmentVariable(wrong, "not-a-key");
        try
        {
            var url = new Uri(serve.BaseAddress, "/mcp");
            await InitAsync(Home, text => text + $$"""

                mcp:
                  servers:
                    - name: remote
                      url: {{url}}
                      apiKeyVariable: {{variable}}
                      readOnly: true
                    - name: locked
                      url: {{url}}
                      apiKeyVariable: {{wrong}}
                """);
            await OkAsync(Home, "trust", "--yes");

            var servers = (await ServersAsync()).EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!);

            Assert.Equal("connected", servers["remote"].GetProperty("state").GetString());
            Assert.Equal("http", servers["remote"].GetProperty("transport").GetString());
            var tools = servers["remote"].GetProperty("tools").EnumerateArray().Select(t => t.GetProperty("name").GetString()).ToList();
            Assert.Contains("mcp__remote__memory_search", tools);
            Assert.All(servers["remote"].GetProperty("tools").EnumerateArray(), t => Assert.True(t.GetProperty("read_only").GetBoolean()));
            Assert.Equal("unreachable", servers["locked"].GetProperty("state").GetString());
            var table = await RunAsync("mcp", "list");
            Assert.Contains("mcp__remote__memory_search", table.Out, StringComparison.Ordinal);
            Assert.Contains("proposals", table.Out, StringComparison.Ordinal);
            var doctor = await RunAsync("doctor");
            Assert.Contains("remote (http): reachable", doctor.Out, StringComparison.Ordinal);
            Assert.Contains("locked (http): unreachable", doctor.Out, StringComparison.Ordinal);
            Assert.DoesNotContain(key, table.Out + doctor.Out, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
            Environment.SetEnvironmentVariable(wrong, null);
        }
    }
}
