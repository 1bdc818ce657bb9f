using System.Text.Json.Nodes;
using MiniMe.Configuration;
using MiniMe.ModelCalls;
using MiniMe.Testing;
using MiniMe.Tracing;

namespace MiniMe.Agents.Tests;

public class AgentInvokerTests
{
    private static AgentCallScope Scope(RunMeter? meter = null, TeamObserver? observer = null) =>
        new(TeamHarness.RunId, 1, 0.3, meter ?? new RunMeter(100_000), observer);

    private static IReadOnlyList<Microsoft.Extensions.AI.ChatMessage> Prompt() => AgentPrompts.Builder(TeamHarness.Request(), null, null, null);

    [Fact]
    public async Task FencedJsonWithTrailingCommaIsRepairedWithoutReAsking()
    {
        using var h = new TeamHarness();
        h.Chat.Enqueue(ScriptedReply.Text("Here you go:\n```json\n" + AgentReplies.Build.TrimEnd('}') + ",}\n```"));
        var outcome = await h.Invoker().InvokeAsync(BuilderAgent.Spec, Prompt(), Scope(), CancellationToken.None);

        Assert.Equal(2, outcome.Value.Files.Count);
        Assert.Single(h.Chat.Calls);
        Assert.Equal(0, Assert.Single(h.EventsOf(TraceEventTypes.AgentCall)).Data["retries"]!.GetValue<int>());
        var output = Assert.Single(h.EventsOf(TraceEventTypes.AgentOutput)).Data;
        Assert.True(output["valid"]!.GetValue<bool>());
        Assert.True(output["repaired"]!.GetValue<bool>());
        Assert.Equal(0, output["attempt"]!.GetValue<int>());
        Assert.Contains("stripped a Markdown code fence", output["repairs"]!.AsArray().Select(r => r!.GetValue<string>()));
    }

    [Fact]
    public async Task InvalidOutputIsReAskedWithTheValidationErrors()
    {
        using var h = new TeamHarness();
        h.Chat.Enqueue(ScriptedReply.Text("""{"summary":"only a summary"}"""), ScriptedReply.Text(AgentReplies.Build));
        var outcome = await h.Invoker().InvokeAsync(BuilderAgent.Spec, Prompt(), Scope(), CancellationToken.None);

        Assert.Equal("Adds Greeter with a test.", outcome.Value.Summary);
        Assert.Equal(2, h.Chat.Calls.Count);
        var reAsk = h.Chat.Calls[1].Messages;
        Assert.Contains("only a summary", reAsk[^2].Text);
        Assert.Contains("$.files: required", reAsk[^1].Text);
        Assert.Equal([0, 1], h.EventsOf(TraceEventTypes.AgentCall).Select(c => c.Data["retries"]!.GetValue<int>()));
        var outputs = h.EventsOf(TraceEventTypes.AgentOutput);
        Assert.Equal([false, true], outputs.Select(c => c.Data["valid"]!.GetValue<bool>()));
        Assert.Equal([0, 1], outputs.Select(c => c.Data["attempt"]!.GetValue<int>()));
        Assert.Contains("$.files: required", outputs[0].Data["errors"]!.AsArray().Select(e => e!.GetValue<string>()));
        Assert.Equal("""{"summary":"only a summary"}""", outputs[0].Data["output"]!.GetValue<string>());
    }

    [Fact]
    public async Task OutputThatStaysInvalidIsATypedError()
    {
        using var h = new TeamHarness();
        h.Chat.Responder = _ => ScriptedReply.Text("I'd rather explain in prose.");
        var error = await Assert.ThrowsAsync<AgentOutputException>(() =>
            h.Invoker(TeamHarness.DefaultOptions with { MaxRepairAttempts = 1 }).InvokeAsync(BuilderAgent.Spec, Prompt(), Scope(), CancellationToken.None));

        Assert.Equal(AgentNames.Builder, error.Agent);
        Assert.Equal(2, error.Attempts);
        Assert.Equal(2, h.Chat.Calls.Count);
        Assert.Contains("no JSON object", error.Message);
        Assert.IsAssignableFrom<MiniMeException>(error);
    }

    [Fact]
    public async Task SemanticChecksAreReAskedToo()
    {
        using var h = new TeamHarness();
        h.Chat.Enqueue(
            ScriptedReply.Text("""{"summary":"s","proposals":[{"tool":"run_command","arguments":{"args":["test"]},"rationale":"r"}]}"""),
            ScriptedReply.Text(AgentReplies.Integration));
        var outcome = await h.Invoker().InvokeAsync(IntegratorAgent.Spec, AgentPrompts.Integrator(TeamHarness.Request(), null, null, null), Scope(), CancellationToken.None);

        Assert.Equal(["p1", "p2"], outcome.Value.Proposals.Select(p => p.Id));
        Assert.Contains("$.proposals[0].arguments.argv: run_command needs a non-empty array", h.Chat.Calls[1].Messages[^1].Text);
    }

    [Fact]
    public async Task StreamsDeltasToTheObserver()
    {
        using var h = new TeamHarness();
        h.Chat.Enqueue(ScriptedReply.Text(AgentReplies.Build) with { ChunkSize = 5 });
        var events = new List<TeamEvent>();
        await h.Invoker().InvokeAsync(BuilderAgent.Spec, Prompt(), Scope(observer: (e, _) => { events.Add(e); return ValueTask.CompletedTask; }), CancellationToken.None);

        Assert.IsType<AgentStarted>(events[0]);
        var deltas = events.OfType<AgentDelta>().ToList();
        Assert.True(deltas.Count > 10);
        Assert.Equal(AgentReplies.Build, string.Concat(deltas.Select(d => d.Text)));
        Assert.IsType<AgentFinished>(events[^1]);
    }

    [Fact]
    public async Task TokensAndCostComeFromUsageAndThePriceTable()
    {
        using var h = new TeamHarness();
        h.Chat.Enqueue(ScriptedReply.Text(AgentReplies.Build, promptTokens: 1000, completionTokens: 500));
        var prices = new PriceTable([new ModelPrice { Model = "scripted-model", InputPerMillion = 2m, OutputPerMillion = 8m }]);
        var meter = new RunMeter(100_000);
        await h.Invoker(prices: prices).InvokeAsync(BuilderAgent.Spec, Prompt(), Scope(meter), CancellationToken.None);

        Assert.Equal(1500, meter.TotalTokens);
        Assert.Equal(0.006m, meter.Cost);
        var call = Assert.Single(h.EventsOf(TraceEventTypes.AgentCall)).Data;
        Assert.Equal("builder", call["agent"]!.GetValue<string>());
        Assert.Equal("scripted-model", call["model"]!.GetValue<string>());
        Assert.Equal(1000, call["prompt_tokens"]!.GetValue<long>());
        Assert.Equal(500, call["completion_tokens"]!.GetValue<long>());
        Assert.Equal(0.006m, call["cost"]!.GetValue<decimal>());
        Assert.True(call["priced"]!.GetValue<bool>());
        Assert.False(call["usage_estimated"]!.GetValue<bool>());
        Assert.True(call["latency_ms"]!.GetValue<double>() >= 0);
        Assert.Equal("completed", call["status"]!.GetValue<string>());
        Assert.Equal(0, call["http_retries"]!.GetValue<int>());
        Assert.NotNull(Assert.Single(h.EventsOf(TraceEventTypes.AgentOutput)).Data["output"] as JsonObject);
    }

    [Fact]
    public async Task MissingUsageIsEstimatedWithTheTokenizer()
    {
        using var h = new TeamHarness();
        h.Chat.Enqueue(ScriptedReply.Text(AgentReplies.Build) with { OmitUsage = true });
        var meter = new RunMeter(100_000);
        await h.Invoker().InvokeAsync(BuilderAgent.Spec, Prompt(), Scope(meter), CancellationToken.None);

        Assert.True(meter.Estimated);
        Assert.True(meter.PromptTokens > 50);
        Assert.InRange(meter.CompletionTokens, 20, 200);
        var call = Assert.Single(h.EventsOf(TraceEventTypes.AgentCall)).Data;
        Assert.True(call["usage_estimated"]!.GetValue<bool>());
        Assert.False(call["priced"]!.GetValue<bool>());
    }

    [Fact]
    public async Task ExceedingTheRunBudgetStopsAfterTheCallIsTraced()
    {
        using var h = new TeamHarness();
        h.Chat.Enqueue(ScriptedReply.Text(AgentReplies.Build, promptTokens: 900, completionTokens: 300));
        var meter = new RunMeter(1000);
        var error = await Assert.ThrowsAsync<RunBudgetExceededException>(() =>
            h.Invoker().InvokeAsync(BuilderAgent.Spec, Prompt(), Scope(meter), CancellationToken.None));

        Assert.Equal(1200, error.UsedTokens);
        Assert.Contains("1,000-token budget", error.Message);
        Assert.Contains("llm.maxRunTokens", error.Message);
        Assert.Single(h.EventsOf(TraceEventTypes.AgentCall));
    }

    [Fact]
    public async Task NoRoomForAnAnswerStopsBeforeCalling()
    {
        using var h = new TeamHarness();
        h.Chat.Enqueue(ScriptedReply.Text(AgentReplies.Build));
        var meter = new RunMeter(1000);
        meter.Add("architect", 950, 0, null, estimated: false, 1);
        await Assert.ThrowsAsync<RunBudgetExceededException>(() =>
            h.Invoker().InvokeAsync(BuilderAgent.Spec, Prompt(), Scope(meter), CancellationToken.None));
        Assert.Empty(h.Chat.Calls);
    }

    [Fact]
    public async Task AnswerCapIsLimitedByTheRemainingBudget()
    {
        using var h = new TeamHarness();
        h.Chat.Enqueue(ScriptedReply.Text(AgentReplies.Build, promptTokens: 10, completionTokens: 10));
        var meter = new RunMeter(5000);
        meter.Add("architect", 3000, 0, null, estimated: false, 1);
        await h.Invoker(TeamHarness.DefaultOptions with { MaxOutputTokens = 4096 }).InvokeAsync(BuilderAgent.Spec, Prompt(), Scope(meter), CancellationToken.None);

        var cap = h.Chat.Calls[0].Options!.MaxOutputTokens!.Value;
        Assert.InRange(cap, RunMeter.MinimumAnswerTokens, 2000 - 1);
        Assert.Equal(0.3f, h.Chat.Calls[0].Options!.Temperature);
    }
}
