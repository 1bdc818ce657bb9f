using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using MiniMe.Server.Tests.Support;
using MiniMe.Testing;
using MiniMe.Tracing;

namespace MiniMe.Server.Tests;

/// <summary>
/// Named models from config.yaml through the real command line: llm.models, llm.agents and llm.fallbacks
/// validated at load (exit 2 naming the setting), `minime doctor` checking each model, and a chat whose
/// model is down answered by the fallback through the engine's one router.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ModelRouterCliTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("minime-router-cli-").FullName;
    private LoopbackOpenAiServer _model = null!;

    private string Home => Path.Combine(_root, ".minime");
    private string TrustFile => Path.Combine(_root, "trust.json");
    private string ConfigPath => Path.Combine(Home, "config.yaml");

    public async Task InitializeAsync() => _model = await LoopbackOpenAiServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _model.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private Task<(int Code, string Out, string Error)> RunAsync(params string[] args) => CliRun.RunAsync(Home, TrustFile, args);

    /// <summary>A port nothing listens on.</summary>
    private static string DeadEndpoint()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"http://127.0.0.1:{port}/v1";
    }

    /// <summary>init, then embeddings: none, no retries, and <paramref name="llm"/> appended under llm: (two-space indented lines).</summary>
    private async Task InitAsync(string llm, string? tail = null)
    {
        var init = await RunAsync("init", "--name", "nima");
        Assert.True(init.Code == 0, init.Error);
        var text = File.ReadAllText(ConfigPath)
            .Replace("  model: minilm          #", "  model: none          #", StringComparison.Ordinal)
            .Replace("  maxRetries: 3 ", "  maxRetries: 0 ", StringComparison.Ordinal)
            .Replace("  provider: none         # none (dry runs only)", llm.TrimEnd('\n') + "\n  # none (dry runs only)", StringComparison.Ordinal);
        File.WriteAllText(ConfigPath, text + (tail ?? ""));
    }

    private string TwoModels(string aEndpoint) => $"""
          models:
            - name: a
              provider: openai
              endpoint: {aEndpoint}
              model: loopback-model
              apiKeyVariable: MINIME_TEST_UNSET_KEY
            - name: b
              provider: openai
              endpoint: {_model.BaseUrl}
              model: loopback-model
              apiKeyVariable: MINIME_TEST_UNSET_KEY
              inputPerMillion: 1
              outputPerMillion: 2

        """;

    /// <summary>The 1-based line of config.yaml holding <paramref name="text"/>.</summary>
    private int LineOf(string text) => Array.FindIndex(File.ReadAllLines(ConfigPath), l => l.Contains(text, StringComparison.Ordinal)) + 1;

    [Theory]
    [InlineData("  agents:\n    architect: bgi\n", "llm.agents.architect: unknown model 'bgi'; known models: a, b", "architect: bgi")]
    [InlineData("  fallbacks: [a, c]\n", "llm.fallbacks[1]: unknown model 'c'; known models: a, b", "fallbacks: [a, c]")]
    public async Task An_unknown_model_name_is_refused_with_exit_2_naming_the_setting(string setting, string message, string line)
    {
        await InitAsync(TwoModels(_model.BaseUrl.ToString()) + setting);

        var ask = await RunAsync("ask", "--dry-run", "add a helper");

        Assert.Equal(2, ask.Code);
        var error = Assert.Single(ask.Error.Trim().Split('\n'));
        Assert.Contains($"config.yaml:{LineOf(line)}:", error, StringComparison.Ordinal);
        Assert.EndsWith(message, error, StringComparison.Ordinal);
        Assert.Empty(_model.ChatRequests);
    }

    [Fact]
    public async Task A_router_rule_naming_an_unknown_model_is_refused_with_exit_2()
    {
        await InitAsync(TwoModels(_model.BaseUrl.ToString()), "\nrouter:\n  rules:\n    - when: {complexity: high}\n      model: huge\n    - model: a\n");

        var ask = await RunAsync("ask", "--dry-run", "add a helper");

        Assert.Equal(2, ask.Code);
        var lines = ask.Error.Trim().Split('\n');
        Assert.Contains(lines, l => l.Contains($"config.yaml:{LineOf("model: huge")}:", StringComparison.Ordinal) && l.EndsWith("router.rules[0].model: unknown model 'huge'; known models: a, b", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.EndsWith("router.rules[1].when: give at least one of agent, nodeType, complexity, budgetBelowTokens", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Doctor_checks_every_model_and_fails_for_the_one_that_is_down()
    {
        var dead = DeadEndpoint();
        await InitAsync(TwoModels(dead));
        _model.Enqueue(ScriptedReply.Text("OK"));

        var doctor = await RunAsync("doctor");

        Assert.Equal(1, doctor.Code);
        var lines = doctor.Out.Split('\n');
        var a = Assert.Single(lines, l => l.Contains(" model a ", StringComparison.Ordinal));
        var b = Assert.Single(lines, l => l.Contains(" model b ", StringComparison.Ordinal));
        Assert.True(a.StartsWith("FAIL", StringComparison.Ordinal), doctor.Out);
        Assert.Contains($"openai loopback-model at {dead}: Cannot reach", a, StringComparison.Ordinal);
        Assert.Contains("connection refused", a, StringComparison.Ordinal);
        Assert.StartsWith("ok", b, StringComparison.Ordinal);
        Assert.Contains("reachable, test call answered in", b, StringComparison.Ordinal);
        Assert.Single(_model.ChatRequests);
        Assert.Contains("1 problem(s) to fix", doctor.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_chat_whose_model_is_down_is_answered_by_the_fallback_and_traced()
    {
        await InitAsync(TwoModels(DeadEndpoint()) + "  agents:\n    chat: a\n  fallbacks: [b]\n");
        _model.Enqueue(ScriptedReply.Text("Answered by b.", promptTokens: 1_000_000, completionTokens: 1_000_000));

        var chat = await RunAsync("chat", "--json", "hello");

        Assert.True(chat.Code == 0, chat.Error);
        using var json = JsonDocument.Parse(chat.Out);
        Assert.Equal("Answered by b.", json.RootElement.GetProperty("answer").GetString());
        var runId = json.RootElement.GetProperty("run_id").GetString()!;
        var events = new TraceStore(Path.Combine(Home, "traces")).Read(runId);
        var fallback = Assert.Single(events, e => e.EventType == TraceEventTypes.ModelFallback).Data;
        Assert.Equal(("a", "b", "unreachable"), (fallback["from"]!.GetValue<string>(), fallback["to"]!.GetValue<string>(), fallback["reason"]!.GetValue<string>()));
        var answered = Assert.Single(events, e => e.EventType == TraceEventTypes.AgentCall && e.Data["status"]!.GetValue<string>() == "completed").Data;
        Assert.Equal("b", answered["model_name"]!.GetValue<string>());
        Assert.Equal(3m, answered["cost"]!.GetValue<decimal>()); // b's own prices: 1 + 2 USD per million
        Assert.Single(_model.ChatRequests);
    }
}
