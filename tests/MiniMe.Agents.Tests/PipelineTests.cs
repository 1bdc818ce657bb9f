using MiniMe.Configuration;
using MiniMe.Context;
using MiniMe.Identity;
using MiniMe.Masks;
using MiniMe.Memory.Retrieval;
using MiniMe.Runs;
using MiniMe.Storage.Sqlite;
using MiniMe.Testing;
using MiniMe.Tracing;

namespace MiniMe.Agents.Tests;

/// <summary>The ask pipeline with the team: one run_end with totals, whatever way the run ends.</summary>
public sealed class PipelineTests : IAsyncLifetime
{
    private readonly TempDirectory _directory = new();
    private SqliteMemoryStore _store = null!;

    private TraceStore Traces => new(Path.Combine(_directory.Path, "traces"));

    public async Task InitializeAsync()
    {
        _store = new SqliteMemoryStore(Path.Combine(_directory.Path, "memory.db"));
        await _store.InitializeAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _directory.Dispose();
    }

    private AskPipeline Pipeline(ScriptedChatClient chat, AgentTeamOptions? options = null)
    {
        var counter = new TiktokenTokenCounter();
        var team = new AgentTeam(TeamHarness.Pipeline(chat), options ?? TeamHarness.DefaultOptions, Traces);
        var preparation = new RunPreparation(new KeywordTaskClassifier(), new HeuristicMaskPolicy(), new HybridRetriever(_store, new RetrievalOptions()),
            new ContextBroker(counter), new IdentityDocument(), Traces);
        return new AskPipeline(preparation, Traces, 6000, team: team);
    }

    private static ScriptedChatClient ByAgent(Func<string, ScriptedReply>? answer = null) =>
        new() { Responder = call => answer?.Invoke(AgentReplies.AgentOf(call.SystemText)) ?? AgentReplies.For(AgentReplies.AgentOf(call.SystemText)) };

    private const string Task = "Design and implement a cache module with an eviction policy, then refactor the service layer and add integration tests";

    [Fact]
    public async Task CompletedRunEndsWithOneRunEndCarryingTheTotals()
    {
        var chat = ByAgent();
        var result = await Pipeline(chat).RunAsync(new AskRequest(Task, DryRun: false), null, CancellationToken.None);

        Assert.Equal("completed", result.Status);
        Assert.NotNull(result.Team);
        var events = Traces.Read(result.RunId);
        var end = Assert.Single(events, e => e.EventType == TraceEventTypes.RunEnd);
        Assert.Same(end, events[^1]);
        Assert.Equal("completed", end.Data["status"]!.GetValue<string>());
        Assert.Equal(result.Totals!.TotalTokens, end.Data["total_tokens"]!.GetValue<long>());
        Assert.Equal(chat.Calls.Count, end.Data["model_calls"]!.GetValue<int>());
        Assert.Equal(result.Team!.Proposals.Count, end.Data["proposals"]!.GetValue<int>());
        Assert.True(end.Data["context_tokens"]!.GetValue<int>() > 0);
        Assert.Equal(events.Count(e => e.EventType == TraceEventTypes.AgentCall), chat.Calls.Count);
        Assert.Equal(events.Count(e => e.EventType == TraceEventTypes.AgentOutput), chat.Calls.Count);
        // The run's totals are the sum of its model calls as traced.
        Assert.Equal(result.Totals!.TotalTokens, events.Where(e => e.EventType == TraceEventTypes.AgentCall)
            .Sum(e => e.Data["prompt_tokens"]!.GetValue<long>() + e.Data["completion_tokens"]!.GetValue<long>()));
        Assert.Equal(result.Totals!.Cost, events.Where(e => e.EventType == TraceEventTypes.AgentCall).Sum(e => e.Data["cost"]!.GetValue<decimal>()));
        // The agents work from the assembled context.
        Assert.All(chat.Calls, c => Assert.Contains(Task, c.SystemText));
    }

    [Fact]
    public async Task StreamYieldsTeamEventsThenTheResult()
    {
        var events = new List<TeamEvent>();
        await foreach (var e in Pipeline(ByAgent()).StreamAsync(new AskRequest(Task, DryRun: false), null, CancellationToken.None))
            events.Add(e);

        var finished = Assert.IsType<RunFinished>(events[^1]);
        Assert.Equal("completed", finished.Result.Status);
        Assert.Contains(events, e => e is AgentDelta);
        Assert.Contains(events, e => e is CriticVerdict);
        Assert.IsType<ProposalsReady>(events[^2]);
    }

    [Fact]
    public async Task CancellationLeavesACompleteTrace()
    {
        using var cts = new CancellationTokenSource();
        var chat = ByAgent(agent => agent == AgentNames.Builder ? AgentReplies.For(agent) with { Delay = TimeSpan.FromMinutes(5) } : AgentReplies.For(agent));
        var pipeline = Pipeline(chat);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pipeline.RunAsync(new AskRequest(Task, DryRun: false), null,
            (e, _) =>
            {
                if (e is AgentStarted { Agent: AgentNames.Builder }) cts.Cancel();
                return ValueTask.CompletedTask;
            }, cts.Token));

        var runId = Assert.Single(Traces.List()).RunId;
        var events = Traces.Read(runId);
        var end = events[^1];
        Assert.Equal(TraceEventTypes.RunEnd, end.EventType);
        Assert.Equal("cancelled", end.Data["status"]!.GetValue<string>());
        Assert.True(end.Data["total_tokens"]!.GetValue<long>() > 0); // the architect's call is counted
        var cancelledCall = events.Last(e => e.EventType == TraceEventTypes.AgentCall);
        Assert.Equal("builder", cancelledCall.Data["agent"]!.GetValue<string>());
        Assert.Equal("cancelled", cancelledCall.Data["status"]!.GetValue<string>());
        Assert.DoesNotContain(events, e => e.EventType == TraceEventTypes.AgentOutput && e.Data["agent"]!.GetValue<string>() == "builder");
        Assert.Equal(end.Data["total_tokens"]!.GetValue<long>(), events.Where(e => e.EventType == TraceEventTypes.AgentCall)
            .Sum(e => e.Data["prompt_tokens"]!.GetValue<long>() + e.Data["completion_tokens"]!.GetValue<long>()));
        Assert.Equal("cancelled", Traces.List()[0].Status);
    }

    [Fact]
    public async Task BudgetExceededEndsTheRunWithAClearStatus()
    {
        var chat = ByAgent(agent => AgentReplies.For(agent) with { PromptTokens = 800, CompletionTokens = 400 });
        var error = await Assert.ThrowsAsync<RunBudgetExceededException>(() =>
            Pipeline(chat, TeamHarness.DefaultOptions with { MaxRunTokens = 2000 }).RunAsync(new AskRequest(Task, DryRun: false), null, CancellationToken.None));

        Assert.Equal(2400, error.UsedTokens);
        Assert.Equal(2, chat.Calls.Count);
        var events = Traces.Read(Traces.List()[0].RunId);
        Assert.Equal("budget_exceeded", events[^1].Data["status"]!.GetValue<string>());
        Assert.Equal(2400, events[^1].Data["total_tokens"]!.GetValue<long>());
        Assert.Contains(events, e => e.EventType == TraceEventTypes.Error && e.Data["type"]!.GetValue<string>() == nameof(RunBudgetExceededException));
    }

    [Fact]
    public async Task DryRunNeverCallsTheModel()
    {
        var chat = ByAgent();
        var result = await Pipeline(chat).RunAsync(new AskRequest(Task, DryRun: true), null, CancellationToken.None);
        Assert.Equal("dry_run", result.Status);
        Assert.Null(result.Team);
        Assert.Empty(chat.Calls);
    }
}
