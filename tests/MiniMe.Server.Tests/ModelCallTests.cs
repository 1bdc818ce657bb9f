using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using MiniMe.Configuration;
using MiniMe.Server.Ask;
using MiniMe.Server.Tests.Support;
using MiniMe.Testing;
using MiniMe.Tracing;
using Scripted = MiniMe.Testing.ScriptedChatClient;

namespace MiniMe.Server.Tests;

/// <summary>
/// Every model call of the server (chat, and the agent team behind /v1/ask) goes through the one
/// model pipeline: the same price table, the same metrics, the same agent_call trace.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ModelCallTests
{
    private const string Task = "Design and implement a greeting module, refactor the service layer and add integration tests";

    // A model name of its own: /metrics of this server must show this test's calls, whatever runs beside it.
    private readonly string _modelId = "metered-model-" + Guid.NewGuid().ToString("N")[..8];

    private Task<TestServer> StartAsync(bool priced = false)
    {
        var model = new Scripted { Responder = call => AgentReplies.For(AgentReplies.AgentOf(call.SystemText)) with { PromptTokens = 1000, CompletionTokens = 500 } };
        return TestServer.StartAsync(model,
            configure: o =>
            {
                o.Llm.Model = _modelId;
                if (priced) o.Llm.Prices = [new ModelPrice { Model = _modelId, InputPerMillion = 2m, OutputPerMillion = 8m }];
            });
    }

    private static long AgentCallTokens(IEnumerable<TraceEvent> trace) =>
        trace.Where(e => e.EventType == TraceEventTypes.AgentCall).Sum(e => e.Data["prompt_tokens"]!.GetValue<long>() + e.Data["completion_tokens"]!.GetValue<long>());

    /// <summary>The sum of every *tokens_total series of this test's model in a Prometheus scrape.</summary>
    private double ScrapedTokens(string metrics) =>
        metrics.Split('\n')
            .Select(line => Regex.Match(line, @"^minime_\w*tokens_total\{([^}]*)\} (\S+)"))
            .Where(m => m.Success && m.Groups[1].Value.Contains($"model=\"{_modelId}\"", StringComparison.Ordinal))
            .Sum(m => double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));

    [Fact]
    public async Task Metrics_count_the_tokens_of_a_chat_and_of_the_model_calls_of_an_ask()
    {
        await using var server = await StartAsync();
        var client = server.Client(server.CreateKey("k"));
        var chat = await client.PostJsonAsync("/v1/chat", new { message = "How are the deployments going?" });
        var ask = await client.PostJsonAsync("/v1/ask", new { task = Task });
        Assert.Equal("completed", ask.GetProperty("status").GetString());

        var traces = new TraceStore(server.Workspace.TracesDirectory);
        var askTrace = traces.Read(ask.GetProperty("run_id").GetString()!);
        Assert.Equal(4, askTrace.Count(e => e.EventType == TraceEventTypes.AgentCall));
        var expected = chat.GetProperty("usage").GetProperty("total_tokens").GetInt64() + AgentCallTokens(askTrace);

        // The exporter caches a scrape briefly; read until the calls show up.
        var scraped = 0.0;
        string text = "";
        for (var attempt = 0; attempt < 50 && scraped != expected; attempt++)
        {
            if (attempt > 0) await System.Threading.Tasks.Task.Delay(200);
            text = await client.GetStringAsync("/metrics");
            scraped = ScrapedTokens(text);
        }
        Assert.Equal(expected, scraped);
        foreach (var agent in new[] { "chat", "architect", "builder", "critic", "integrator" })
            Assert.Matches($"minime_model_tokens_total\\{{[^}}]*agent=\"{agent}\",direction=\"completion\",model=\"{_modelId}\"[^}}]*\\}} 500\n", text);
        Assert.Matches($"minime_model_call_duration_seconds_count\\{{[^}}]*agent=\"architect\",model=\"{_modelId}\",status=\"completed\"[^}}]*\\}} 1\n", text);
    }

    [Fact]
    public async Task Chat_and_ask_price_their_calls_with_the_one_price_table_from_llm_prices()
    {
        await using var server = await StartAsync(priced: true);
        var client = server.Client(server.CreateKey("k"));
        var chat = await client.PostJsonAsync("/v1/chat", new { message = "How are the deployments going?" });
        var ask = await client.PostJsonAsync("/v1/ask", new { task = Task });

        // 1000 × $2 + 500 × $8 per million tokens, as `minime ask` prices them (the CLI's AskAndDoctorCommandTests).
        var usage = chat.GetProperty("usage");
        Assert.Equal(0.006m, usage.GetProperty("cost").GetDecimal());
        Assert.True(usage.GetProperty("priced").GetBoolean());
        var traces = new TraceStore(server.Workspace.TracesDirectory);
        var chatCall = Assert.Single(traces.Read(chat.GetProperty("run_id").GetString()!), e => e.EventType == TraceEventTypes.AgentCall);
        Assert.Equal(0.006m, chatCall.Data["cost"]!.GetValue<decimal>());
        var askTrace = traces.Read(ask.GetProperty("run_id").GetString()!);
        var calls = askTrace.Where(e => e.EventType == TraceEventTypes.AgentCall).ToList();
        Assert.Equal(4, calls.Count);
        Assert.All(calls, c => Assert.Equal(0.006m, c.Data["cost"]!.GetValue<decimal>()));
        Assert.All(calls, c => Assert.True(c.Data["priced"]!.GetValue<bool>()));
        var end = askTrace.Last(e => e.EventType == TraceEventTypes.RunEnd).Data;
        Assert.Equal(0.024m, end["cost"]!.GetValue<decimal>());
        Assert.Equal(AgentCallTokens(askTrace), end["total_tokens"]!.GetValue<long>());
        Assert.Equal(4, askTrace.Count(e => e.EventType == TraceEventTypes.AgentOutput));
    }
}
