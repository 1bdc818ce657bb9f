using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MiniMe.Cli.Hosting;
using MiniMe.Memory;
using MiniMe.Memory.Facts;
using MiniMe.Server.Tests.Support;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace MiniMe.Server.Tests;

/// <summary>
/// MiniMe as an MCP server, driven by the SDK's own client: `minime mcp` as the real built CLI process
/// over stdio (the workspace owner's memory, filled by the CLI in-process first), and /mcp on the real
/// Kestrel server over Streamable HTTP behind the API keys.
/// </summary>
[Trait("Category", "Integration")]
public sealed class McpTests : IAsyncLifetime
{
    private static readonly string[] ReadTools = ["facts_list", "goals_list", "memory_search", "runs_list", "trace_get"];
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    private readonly string _root = Directory.CreateTempSubdirectory("minime-mcp-").FullName;
    private readonly List<IAsyncDisposable> _clients = [];

    private string Home => Path.Combine(_root, ".minime");
    private string TrustFile => Path.Combine(_root, "trust.json");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var client in _clients) await client.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private async Task<(int Code, string Out, string Error)> CliAsync(params string[] args)
    {
        var run = await CliRun.RunAsync(Home, TrustFile, args);
        Assert.True(run.Code == 0, $"minime {string.Join(' ', args)} exited {run.Code}: {run.Error}");
        return run;
    }

    /// <summary>init, embeddings off (lexical search: no model to load), and <paramref name="extra"/> appended to config.yaml.</summary>
    private async Task InitAsync(string extra = "")
    {
        await CliAsync("init", "--name", "nima");
        var config = Path.Combine(Home, "config.yaml");
        var text = File.ReadAllText(config).Replace("  model: minilm          #", "  model: none          #", StringComparison.Ordinal);
        Assert.Contains("  model: none ", text, StringComparison.Ordinal);
        File.WriteAllText(config, text + extra);
    }

    private static ProcessStartInfo CliProcess(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "minime.dll"));
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.Environment.Remove("MINIME_HOME");
        return info;
    }

    /// <summary>The SDK's client on `minime mcp --home HOME`, the built CLI as a child process.</summary>
    private async Task<McpClient> StdioClientAsync()
    {
        var transport = new StdioClientTransport(new StdioClientTransportOptions
        {
            Name = "minime",
            Command = "dotnet",
            Arguments = [Path.Combine(AppContext.BaseDirectory, "minime.dll"), "mcp", "--home", Home],
            EnvironmentVariables = new Dictionary<string, string?> { ["MINIME_TRUST_FILE"] = TrustFile, ["MINIME_HOME"] = null },
        });
        using var timeout = new CancellationTokenSource(Patience);
        var client = await McpClient.CreateAsync(transport, cancellationToken: timeout.Token);
        _clients.Add(client);
        return client;
    }

    private static async Task<McpClient> HttpClientAsync(Uri server, string key)
    {
        var transport = new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(server, "/mcp"),
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + key },
        });
        using var timeout = new CancellationTokenSource(Patience);
        return await McpClient.CreateAsync(transport, cancellationToken: timeout.Token);
    }

    private static async Task<string[]> ToolNamesAsync(McpClient client) =>
        [.. (await client.ListToolsAsync()).Select(t => t.Name).Order(StringComparer.Ordinal)];

    /// <summary>Calls a tool that must succeed and returns its structured result.</summary>
    private static async Task<JsonElement> CallAsync(McpClient client, string tool, Dictionary<string, object?>? arguments = null)
    {
        var result = await client.CallToolAsync(tool, arguments ?? []);
        Assert.True(result.IsError is not true, $"{tool} failed: {Text(result)}");
        var structured = JsonSerializer.SerializeToElement(result.StructuredContent);
        Assert.Equal(JsonValueKind.Object, structured.ValueKind);
        // The text content is the same JSON, for clients that read only text.
        Assert.True(JsonElement.DeepEquals(structured, JsonDocument.Parse(Text(result)).RootElement), Text(result));
        return structured;
    }

    private static string Text(CallToolResult result) => string.Concat(result.Content.OfType<TextContentBlock>().Select(b => b.Text));

    private static string InDays(int days) => DateOnly.FromDateTime(DateTime.Now).AddDays(days).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    [Fact]
    public async Task Over_stdio_the_owner_reads_memory_facts_goals_runs_and_traces_and_no_write_tool_is_listed()
    {
        await InitAsync();
        var notes = Path.Combine(_root, "notes");
        Directory.CreateDirectory(notes);
        File.WriteAllText(Path.Combine(notes, "retries.md"), "# Retry policy\n\nThe HTTP client retries idempotent requests three times with exponential backoff.\n");
        await CliAsync("import", notes);
        await CliAsync("remember", "prefers tabs over spaces", "--category", "preference");
        var goal = JsonDocument.Parse((await CliAsync("goals", "add", "Ship", "v2", "--deadline", InDays(5), "--json")).Out).RootElement.GetProperty("id").GetString()!;
        await CliAsync("goals", "progress", goal, "40");
        await CliAsync("ask", "--dry-run", "plan the retry policy rollout");
        var run = JsonDocument.Parse((await CliAsync("runs", "--json")).Out).RootElement[0].GetProperty("run_id").GetString()!;

        var client = await StdioClientAsync();

        Assert.Equal("minime", client.ServerInfo?.Name);
        Assert.Equal(ReadTools, await ToolNamesAsync(client));
        Assert.Contains("mcp.allowWrites: true", client.ServerInstructions ?? "", StringComparison.Ordinal);
        var search = await CallAsync(client, "memory_search", new() { ["query"] = "exponential backoff", ["k"] = 3 });
        var hit = Assert.Single(search.GetProperty("hits").EnumerateArray());
        Assert.Equal(Path.Combine(notes, "retries.md"), hit.GetProperty("source").GetString());
        Assert.Equal("Retry policy", hit.GetProperty("heading").GetString());
        Assert.Contains("three times with exponential backoff", hit.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.True(hit.GetProperty("score").GetDouble() > 0);
        Assert.True(hit.GetProperty("id").GetInt64() > 0);
        Assert.Empty((await CallAsync(client, "memory_search", new() { ["query"] = "kubernetes" })).GetProperty("hits").EnumerateArray());

        var fact = Assert.Single((await CallAsync(client, "facts_list")).GetProperty("facts").EnumerateArray());
        Assert.Equal(("prefers tabs over spaces", "preference"), (fact.GetProperty("text").GetString(), fact.GetProperty("category").GetString()));
        Assert.Empty((await CallAsync(client, "facts_list", new() { ["category"] = "tools" })).GetProperty("facts").EnumerateArray());
        var facts = await client.ReadResourceAsync("minime://facts");
        var resource = Assert.IsType<TextResourceContents>(Assert.Single(facts.Contents));
        Assert.Equal("prefers tabs over spaces", JsonDocument.Parse(resource.Text).RootElement.GetProperty("facts")[0].GetProperty("text").GetString());

        var listed = Assert.Single((await CallAsync(client, "goals_list")).GetProperty("goals").EnumerateArray());
        Assert.Equal((goal, "Ship v2", 40, InDays(5)),
            (listed.GetProperty("id").GetString(), listed.GetProperty("title").GetString(), listed.GetProperty("progress").GetInt32(), listed.GetProperty("deadline").GetString()));

        var runs = (await CallAsync(client, "runs_list", new() { ["limit"] = 5 })).GetProperty("runs");
        var listedRun = Assert.Single(runs.EnumerateArray());
        Assert.Equal((run, "plan the retry policy rollout"), (listedRun.GetProperty("run_id").GetString(), listedRun.GetProperty("task").GetString()));
        var trace = await CallAsync(client, "trace_get", new() { ["id"] = run });
        var events = trace.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("event_type").GetString()).ToList();
        Assert.Equal("task_start", events[0]);
        Assert.Contains("retrieval", events);
        var runResource = Assert.IsType<TextResourceContents>(Assert.Single((await client.ReadResourceAsync($"minime://runs/{run}")).Contents));
        Assert.Equal(run, JsonDocument.Parse(runResource.Text).RootElement.GetProperty("run").GetProperty("run_id").GetString());

        var missing = await client.CallToolAsync("trace_get", new Dictionary<string, object?> { ["id"] = "20260101-000000-nothing" });
        Assert.True(missing.IsError);
        Assert.Equal("An error occurred invoking 'trace_get': No run '20260101-000000-nothing'; runs_list lists yours.", Text(missing));
        var bad = await client.CallToolAsync("memory_search", new Dictionary<string, object?> { ["query"] = "retry", ["k"] = 0 });
        Assert.True(bad.IsError);
        Assert.Equal("An error occurred invoking 'memory_search': k must be between 1 and 100 (got 0).", Text(bad));
        // A write tool is not there at all while writes are off: calling it anyway is an unknown tool, and nothing is stored.
        var write = await Assert.ThrowsAsync<McpProtocolException>(async () => await client.CallToolAsync("remember", new Dictionary<string, object?> { ["text"] = "uses Rider" }));
        Assert.Contains("Unknown tool: 'remember'", write.Message, StringComparison.Ordinal);
        await using var engine = Engine.Open(Home);
        var stored = await (await engine.FactServiceAsync(CancellationToken.None)).ListAsync(new FactQuery(null, [FactStatus.Active]), CancellationToken.None);
        Assert.Equal(["prefers tabs over spaces"], stored.Select(f => f.Text));
    }

    [Fact]
    public async Task With_mcp_allow_writes_remember_and_memory_import_text_write_the_owners_memory()
    {
        await InitAsync("\nmcp:\n  allowWrites: true\n");

        var client = await StdioClientAsync();

        string[] all = [.. ReadTools.Append("memory_import_text").Append("remember").Order(StringComparer.Ordinal)];
        Assert.Equal(all, await ToolNamesAsync(client));
        var remembered = await CallAsync(client, "remember", new() { ["text"] = "uses Rider for C#", ["category"] = "tools" });
        Assert.Equal("added", remembered.GetProperty("outcome").GetString());
        var again = await CallAsync(client, "remember", new() { ["text"] = "uses Rider for C#", ["category"] = "tools" });
        Assert.Equal("reinforced", again.GetProperty("outcome").GetString());
        var imported = await CallAsync(client, "memory_import_text", new()
        {
            ["text"] = "# Deploy checklist\n\nDrain the blue pool before switching traffic to green.\n",
            ["title"] = "Deploy checklist",
            ["domain"] = "devops",
            ["tags"] = new[] { "runbook" },
        });
        Assert.Equal(1, imported.GetProperty("files_imported").GetInt32());
        var source = Assert.Single(imported.GetProperty("documents").EnumerateArray()).GetProperty("source").GetString()!;
        Assert.Equal("Deploy-checklist.md", Path.GetFileName(source));
        var hit = Assert.Single((await CallAsync(client, "memory_search", new() { ["query"] = "blue pool", ["domain"] = "devops" })).GetProperty("hits").EnumerateArray());
        Assert.Equal((source, "devops"), (hit.GetProperty("source").GetString(), hit.GetProperty("domain").GetString()));
        Assert.Equal(["runbook"], hit.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));

        await using var engine = Engine.Open(Home);
        var fact = Assert.Single(await (await engine.FactServiceAsync(CancellationToken.None)).ListAsync(new FactQuery(null, [FactStatus.Active]), CancellationToken.None));
        Assert.Equal(("uses Rider for C#", "tools", 2), (fact.Text, fact.Category, fact.SeenCount));
        var document = Assert.Single(await (await engine.StoreAsync(CancellationToken.None)).ListDocumentsAtAsync(null, CancellationToken.None));
        Assert.Equal(source, document.Source);
        Assert.True(File.Exists(source));
    }

    [Fact]
    public async Task Minime_mcp_writes_only_protocol_on_stdout_even_verbose_and_exits_0_when_the_client_closes_stdin()
    {
        await InitAsync();
        using var process = Process.Start(CliProcess("mcp", "--verbose", "--home", Home))!;
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteLineAsync(
            """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"test","version":"1"}}}""");
        await process.StandardInput.FlushAsync();
        using var timeout = new CancellationTokenSource(Patience);
        var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
        var response = JsonDocument.Parse(line!).RootElement;
        Assert.Equal(("2.0", 1), (response.GetProperty("jsonrpc").GetString(), response.GetProperty("id").GetInt32()));
        Assert.Equal("minime", response.GetProperty("result").GetProperty("serverInfo").GetProperty("name").GetString());

        process.StandardInput.Close();
        var rest = await process.StandardOutput.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);

        Assert.Equal(0, process.ExitCode);
        Assert.Equal("", rest);
        var log = await error;
        Assert.Contains("minime mcp: serving " + Home, log, StringComparison.Ordinal);
        // --verbose logs (the SDK's among them) go to stderr.
        Assert.Contains("ModelContextProtocol.Server", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Minime_mcp_stops_on_sigterm_while_the_client_keeps_stdin_open()
    {
        await InitAsync();
        using var process = Process.Start(CliProcess("mcp", "--home", Home))!;
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteLineAsync(
            """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"test","version":"1"}}}""");
        await process.StandardInput.FlushAsync();
        using var timeout = new CancellationTokenSource(Patience);
        Assert.NotNull(await process.StandardOutput.ReadLineAsync(timeout.Token));

        using (var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))!)
            await kill.WaitForExitAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);

        Assert.Equal(130, process.ExitCode);
        Assert.DoesNotContain("error:", await error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("allowWrites: sometimes", "mcp.allowWrites: 'sometimes' is not true or false")]
    [InlineData("allowWrite: true", "unknown setting 'mcp.allowWrite'; did you mean 'mcp.allowWrites'?")]
    public async Task A_bad_mcp_setting_stops_minime_mcp_with_one_line_before_anything_is_served(string setting, string message)
    {
        await InitAsync("\nmcp:\n  " + setting + "\n");

        var run = await CliRun.RunAsync(Home, TrustFile, "mcp");

        Assert.Equal(2, run.Code);
        Assert.Equal("", run.Out);
        var line = Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: " + Path.Combine(Home, "config.yaml") + ":", line, StringComparison.Ordinal);
        Assert.EndsWith(message, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Over_http_mcp_needs_an_api_key_and_acts_as_the_keys_user()
    {
        await using var server = await TestServer.StartAsync(settings: new Dictionary<string, string?> { ["embeddings:model"] = "none" });
        var aliceKey = server.CreateKey("alice-laptop", "alice");
        var ownerKey = server.CreateKey("owner-laptop");
        await server.Client(aliceKey).PostJsonAsync("/v1/memory/import", new
        {
            documents = new[] { new { name = "bluebird.md", content = "# Bluebird\n\nThe bluebird service settles card payments nightly.\n" } },
        });

        await using var alice = await HttpClientAsync(server.BaseAddress, aliceKey);
        await using var owner = await HttpClientAsync(server.BaseAddress, ownerKey);

        Assert.Equal(ReadTools, await ToolNamesAsync(alice));
        var hit = Assert.Single((await CallAsync(alice, "memory_search", new() { ["query"] = "card payments" })).GetProperty("hits").EnumerateArray());
        Assert.Equal("bluebird.md", Path.GetFileName(hit.GetProperty("source").GetString()));
        Assert.Empty((await CallAsync(owner, "memory_search", new() { ["query"] = "card payments" })).GetProperty("hits").EnumerateArray());
        Assert.Empty((await CallAsync(alice, "runs_list")).GetProperty("runs").EnumerateArray());

        var initialize = """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"test","version":"1"}}}""";
        using var anonymous = server.Client();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/mcp") { Content = new StringContent(initialize, Encoding.UTF8, "application/json") };
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var refused = await anonymous.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("API key", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        using var revoked = new HttpRequestMessage(HttpMethod.Post, "/mcp") { Content = new StringContent(initialize, Encoding.UTF8, "application/json") };
        revoked.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "mm_not_a_key");
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.SendAsync(revoked)).StatusCode);
    }

    [Fact]
    public async Task The_real_minime_serve_with_mcp_allow_writes_takes_a_note_and_a_fact_over_http_into_the_keys_memory()
    {
        await InitAsync("\nmcp:\n  allowWrites: true\n");
        var key = JsonDocument.Parse((await CliAsync("keys", "create", "laptop", "--json")).Out).RootElement.GetProperty("key").GetString()!;
        await using var serve = await ServeProcess.StartServeAsync(Home, new Dictionary<string, string> { ["MINIME_TRUST_FILE"] = TrustFile });

        await using var client = await HttpClientAsync(serve.BaseAddress, key);

        Assert.Contains("memory_import_text", await ToolNamesAsync(client));
        var imported = await CallAsync(client, "memory_import_text", new() { ["text"] = "Rotate the signing keys every ninety days.", ["title"] = "key rotation" });
        Assert.Equal("key-rotation.md", Path.GetFileName(Assert.Single(imported.GetProperty("documents").EnumerateArray()).GetProperty("source").GetString()));
        Assert.Single((await CallAsync(client, "memory_search", new() { ["query"] = "signing keys" })).GetProperty("hits").EnumerateArray());
        Assert.Equal("added", (await CallAsync(client, "remember", new() { ["text"] = "works on the payments team", ["category"] = "team" })).GetProperty("outcome").GetString());

        // The key is the owner's: the CLI sees the same fact and document.
        var facts = JsonDocument.Parse((await CliAsync("facts", "--json")).Out).RootElement;
        Assert.Contains(facts.EnumerateArray(), f => f.GetProperty("text").GetString() == "works on the payments team");
        Assert.Contains("key-rotation.md", (await CliAsync("documents")).Out, StringComparison.Ordinal);
    }
}
