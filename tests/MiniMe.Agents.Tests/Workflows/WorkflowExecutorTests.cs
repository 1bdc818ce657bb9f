using System.Net;
using System.Text.Json.Nodes;
using MiniMe.Testing;
using MiniMe.Tracing;
using MiniMe.Workflows;

namespace MiniMe.Agents.Tests.Workflows;

public sealed class WorkflowExecutorTests : IDisposable
{
    private readonly TeamHarness _team = new();
    private readonly TempDirectory _runs = new();

    private WorkflowCheckpoints Checkpoints => new(_runs.Path);

    private WorkflowExecutor Executor() => new(TeamHarness.Pipeline(_team.Chat), TeamHarness.DefaultOptions, _team.Traces, Checkpoints, actions: null);

    private static (WorkflowDefinition, WorkflowState) Start(string yaml, JsonObject? inputs = null)
    {
        var workflow = WorkflowParser.Load(yaml, "test.workflow.yaml");
        return (workflow, WorkflowExecutor.NewState(TeamHarness.RunId, workflow, yaml, TeamHarness.Request(), inputs ?? [], 100_000));
    }

    private static (WorkflowDefinition, WorkflowState) Builtin(string name)
    {
        var workflow = new WorkflowCatalog(null).Load(name, out var text);
        return (workflow, WorkflowExecutor.NewState(TeamHarness.RunId, workflow, text, TeamHarness.Request(), [], 100_000));
    }

    private IEnumerable<string> Agents => _team.Chat.Calls.Select(c => AgentReplies.AgentOf(c.SystemText));

    [Fact]
    public async Task The_builtin_team_revises_after_a_rejection_then_integrates_and_proposes()
    {
        var critic = 0;
        _team.Chat.Responder = call => AgentReplies.AgentOf(call.SystemText) is var agent && agent == AgentNames.Critic
            ? AgentReplies.For(agent, criticAccepts: ++critic > 1)
            : AgentReplies.For(agent);
        var (workflow, state) = Builtin("builtin:team");

        var result = await Executor().RunAsync(workflow, state, null, CancellationToken.None);

        Assert.Equal("completed", result.Status);
        Assert.Equal(["architect", "builder", "critic", "builder", "critic", "integrator"], Agents);
        Assert.Contains("The Critic rejected it (round 0)", _team.Chat.Calls[3].UserText, StringComparison.Ordinal);
        Assert.Contains("Too many layers", _team.Chat.Calls[3].UserText, StringComparison.Ordinal);
        Assert.Equal(["write_file", "run_command"], result.Proposals.Select(p => p.Tool));
        Assert.Equal(2, state.Node("builder").Runs);
        Assert.Equal(2, _team.EventsOf(TraceEventTypes.CriticReview).Count);
        var ends = _team.EventsOf(TraceEventTypes.NodeEnd).Select(e => (e.Data["node"]!.GetValue<string>(), e.Data["status"]!.GetValue<string>())).ToList();
        Assert.Equal(("integrator", "completed"), ends[^1]);
        Assert.Equal(8, ends.Count); // architect, builder, critic, review, builder, critic, review, integrator
        Assert.Equal("completed", Checkpoints.Load(TeamHarness.RunId).Status);
    }

    [Fact]
    public async Task A_loop_stops_at_max_iterations_and_the_run_goes_on_by_the_decisions_other_edge()
    {
        _team.Chat.Responder = call => AgentReplies.For(AgentReplies.AgentOf(call.SystemText), criticAccepts: false);
        var (workflow, state) = Builtin("builtin:team");

        var result = await Executor().RunAsync(workflow, state, null, CancellationToken.None);

        Assert.Equal(3, Agents.Count(a => a == AgentNames.Builder));
        Assert.Equal(AgentNames.Integrator, Agents.Last());
        Assert.Contains("unresolved violations", _team.Chat.Calls[^1].UserText, StringComparison.Ordinal);
        Assert.Equal(2, Assert.Single(state.Loops).Value);
        Assert.Equal("completed", result.Status);
    }

    [Theory]
    [InlineData(2, 2)]
    [InlineData(1, 1)]
    public async Task The_builtin_teams_loop_runs_as_many_rounds_as_the_runs_masks_allow(int maskIterations, int builds)
    {
        _team.Chat.Responder = call => AgentReplies.For(AgentReplies.AgentOf(call.SystemText), criticAccepts: false);
        var workflow = new WorkflowCatalog(null).Load("builtin:team", out var text);
        var state = WorkflowExecutor.NewState(TeamHarness.RunId, workflow, text, TeamHarness.Request(TeamHarness.Masks(maxIterations: maskIterations)), [], 100_000);

        var result = await Executor().RunAsync(workflow, state, null, CancellationToken.None);

        Assert.Equal(builds, Agents.Count(a => a == AgentNames.Builder));
        Assert.Equal(builds, result.Agents.Builds);
        Assert.Equal(builds, result.Agents.Reviews.Count);
        Assert.All(result.Agents.Reviews, r => Assert.False(r.Valid));
        Assert.Equal(AgentNames.Integrator, Agents.Last());
        Assert.Equal("completed", result.Status);
    }

    [Fact]
    public async Task A_routed_out_builder_leaves_nothing_to_review_and_the_integrator_works_from_the_plan()
    {
        _team.Chat.Responder = call => AgentReplies.For(AgentReplies.AgentOf(call.SystemText));
        var workflow = new WorkflowCatalog(null).Load("builtin:team", out var text);
        var state = WorkflowExecutor.NewState(TeamHarness.RunId, workflow, text, TeamHarness.Request(TeamHarness.Masks(builder: 0.1)), [], 100_000);

        var result = await Executor().RunAsync(workflow, state, null, CancellationToken.None);

        Assert.Equal(["architect", "integrator"], Agents);
        Assert.Equal(["builder"], result.Agents.SkippedAgents);
        Assert.Empty(result.Agents.Reviews);
        Assert.Equal(NodeStatus.Skipped, state.Node("builder").Status);
        Assert.Equal("builder routed out by the masks", state.Node("builder").Reason);
        Assert.Empty(state.Loops);
        Assert.Equal("completed", result.Status);
    }

    [Fact]
    public async Task Independent_branches_run_at_the_same_time_and_a_merge_joins_them()
    {
        var yaml = File.ReadAllText(Path.Combine(WorkflowValidationTests.RepositoryRoot(), "workflows", "examples", "review-diff.workflow.yaml"));
        var allThree = new TaskCompletionSource();
        var critics = 0;
        var overlapped = true;
        _team.Chat.Responder = call =>
        {
            var agent = AgentReplies.AgentOf(call.SystemText);
            if (agent != AgentNames.Critic) return AgentReplies.For(agent);
            if (Interlocked.Increment(ref critics) == 3) allThree.TrySetResult();
            // Each critic answers only once all three asked: run one after another, they would never answer.
            if (!allThree.Task.Wait(TimeSpan.FromSeconds(30))) overlapped = false;
            return call.UserText.Contains("security", StringComparison.Ordinal) ? AgentReplies.For(agent, criticAccepts: false) : AgentReplies.For(agent);
        };
        var (workflow, state) = Start(yaml, new JsonObject { ["diff"] = "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b" });

        var result = await Executor().RunAsync(workflow, state, null, CancellationToken.None);

        Assert.True(overlapped, "the three critic calls were in flight together");
        Assert.Equal("completed", result.Status);
        var panel = state.Node("panel").Output!.AsObject();
        Assert.Equal(3, panel["items"]!.AsArray().Count);
        Assert.Equal(1, panel["items"]!.AsArray().Count(i => !i!["valid"]!.GetValue<bool>()));
        Assert.Contains("Too many layers", panel["text"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("+b", _team.Chat.Calls.First(c => AgentReplies.AgentOf(c.SystemText) == AgentNames.Critic).UserText, StringComparison.Ordinal);
    }

    private const string Recovering = """
        name: recovering
        nodes:
          - { id: plan, type: agent, agent: architect, model: dead-model }
          - { id: plan_b, type: agent, agent: architect, model: other-model }
          - { id: build, type: agent, agent: builder }
          - { id: rescue, type: agent, agent: builder, prompt: "There is no plan: {{nodes.plan.error}}" }
          - { id: done, type: merge, strategy: first }
        edges:
          - { from: plan, to: build }
          - { from: plan, to: plan_b, kind: fallback }
          - { from: plan, to: rescue, kind: error }
          - { from: plan_b, to: done }
          - { from: build, to: done }
          - { from: rescue, to: done }
        entry: plan
        exit: done
        """;

    [Fact]
    public async Task A_failed_model_call_takes_the_fallback_edge_to_another_model()
    {
        _team.Chat.Responder = call => call.Options?.ModelId == "dead-model"
            ? ScriptedReply.Error(HttpStatusCode.ServiceUnavailable)
            : AgentReplies.For(AgentReplies.AgentOf(call.SystemText));
        var (workflow, state) = Start(Recovering);

        var result = await Executor().RunAsync(workflow, state, null, CancellationToken.None);

        Assert.Equal("completed", result.Status);
        Assert.Equal(["dead-model", "other-model"], _team.Chat.Calls.Select(c => c.Options?.ModelId));
        Assert.Equal((NodeStatus.Failed, NodeStatus.Completed, NodeStatus.Skipped, NodeStatus.Skipped),
            (state.Node("plan").Status, state.Node("plan_b").Status, state.Node("build").Status, state.Node("rescue").Status));
        Assert.Equal("One helper and its test.", state.Node("done").Output!["first"]!["summary"]!.GetValue<string>());
        Assert.True(_team.EventsOf(TraceEventTypes.NodeEnd).First().Data["model_failure"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_node_failure_without_a_fallback_takes_the_error_edge()
    {
        // The architect's answers stay invalid: after the re-asks the node fails; the error edge takes over.
        _team.Chat.Responder = call => AgentReplies.AgentOf(call.SystemText) == AgentNames.Architect
            ? ScriptedReply.Text("""{"summary":""}""")
            : AgentReplies.For(AgentReplies.AgentOf(call.SystemText));
        var (workflow, state) = Start(Recovering.Replace("  - { from: plan, to: plan_b, kind: fallback }\n", "", StringComparison.Ordinal)
            .Replace("  - { id: plan_b, type: agent, agent: architect, model: other-model }\n", "", StringComparison.Ordinal)
            .Replace("  - { from: plan_b, to: done }\n", "", StringComparison.Ordinal)
            .Replace("model: dead-model", "model: m1", StringComparison.Ordinal));

        var result = await Executor().RunAsync(workflow, state, null, CancellationToken.None);

        Assert.Equal("completed", result.Status);
        Assert.Equal((NodeStatus.Failed, NodeStatus.Skipped, NodeStatus.Completed), (state.Node("plan").Status, state.Node("build").Status, state.Node("rescue").Status));
        Assert.Contains("There is no plan: ", _team.Chat.Calls[^1].UserText, StringComparison.Ordinal);
        Assert.Equal(["write_file", "write_file"], result.Proposals.Select(p => p.Tool));
    }

    [Fact]
    public async Task A_failure_with_no_edge_to_take_fails_the_run_and_the_checkpoint_says_so()
    {
        _team.Chat.Responder = _ => ScriptedReply.Error(HttpStatusCode.InternalServerError);
        var (workflow, state) = Builtin("builtin:team");

        var e = await Assert.ThrowsAsync<WorkflowFailedException>(() => Executor().RunAsync(workflow, state, null, CancellationToken.None));

        Assert.StartsWith("Node 'architect' failed: ", e.Message, StringComparison.Ordinal);
        Assert.Equal("failed", Checkpoints.Load(TeamHarness.RunId).Status);
    }

    [Fact]
    public async Task A_run_stopped_mid_node_resumes_from_its_checkpoint_without_calling_completed_nodes_again()
    {
        using var stop = new CancellationTokenSource();
        _team.Chat.Responder = call =>
        {
            var agent = AgentReplies.AgentOf(call.SystemText);
            if (agent == AgentNames.Builder && !stop.IsCancellationRequested) stop.Cancel();
            return AgentReplies.For(agent);
        };
        var (workflow, state) = Builtin("builtin:team");
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Executor().RunAsync(workflow, state, null, stop.Token));
        var saved = Checkpoints.Load(TeamHarness.RunId);
        Assert.Equal(NodeStatus.Completed, saved.Node("architect").Status);
        var before = _team.Chat.Calls.Count;

        var result = await Executor().RunAsync(WorkflowParser.Load(saved.Manifest, saved.Source), saved, null, CancellationToken.None);

        Assert.Equal("completed", result.Status);
        Assert.Equal(["builder", "critic", "integrator"], Agents.Skip(before));
        Assert.Contains("One helper and its test.", _team.Chat.Calls[before].UserText, StringComparison.Ordinal);
        Assert.True(saved.PromptTokens > 0, "the meter carried over");
    }

    [Fact]
    public async Task A_human_node_without_anyone_to_ask_leaves_the_run_waiting()
    {
        _team.Chat.Responder = call => AgentReplies.For(AgentReplies.AgentOf(call.SystemText));
        var (workflow, state) = Start("""
            name: gated
            nodes:
              - { id: plan, type: agent, agent: architect }
              - { id: ok, type: human, message: "Build {{nodes.plan.output.summary}}?" }
              - { id: build, type: agent, agent: builder }
            edges:
              - { from: plan, to: ok }
              - { from: ok, to: build }
            entry: plan
            exit: build
            """);

        var result = await Executor().RunAsync(workflow, state, null, CancellationToken.None);

        Assert.Equal(("waiting", "ok"), (result.Status, Assert.Single(result.Waiting)));
        Assert.Equal(["architect"], Agents);
        Assert.Equal("waiting", Checkpoints.Load(TeamHarness.RunId).Status);
    }

    [Theory]
    [InlineData("budgets: { tokens: 100 }", "")]
    [InlineData("", ", budget: 80")]
    public async Task The_run_and_node_token_budgets_stop_a_call_that_has_no_room(string runBudget, string nodeBudget)
    {
        _team.Chat.Responder = call => AgentReplies.For(AgentReplies.AgentOf(call.SystemText));
        var (workflow, state) = Start($$"""
            name: budgeted
            nodes:
              - { id: plan, type: agent, agent: architect{{nodeBudget}} }
            entry: plan
            exit: plan
            {{runBudget}}
            """);

        var e = await Assert.ThrowsAsync<WorkflowFailedException>(() => Executor().RunAsync(workflow, state, null, CancellationToken.None));

        Assert.IsType<RunBudgetExceededException>(e.InnerException);
        Assert.Equal(ErrorCategory.BudgetExceeded, e.Category);
        Assert.Empty(_team.Chat.Calls);
    }

    private sealed class DenyNode(string node) : MiniMe.Hooks.IRunHook
    {
        public string Name => "deny-" + node;
        public List<string> Seen { get; } = [];

        public ValueTask<MiniMe.Hooks.HookVerdict> OnEventAsync(MiniMe.Hooks.HookEvent e, CancellationToken cancellationToken)
        {
            lock (Seen) Seen.Add($"{e.Name}:{e.Payload["node"]?.GetValue<string>()}");
            return ValueTask.FromResult(e.Name == MiniMe.Hooks.HookEvents.BeforeNode && e.Payload["node"]?.GetValue<string>() == node
                ? MiniMe.Hooks.HookVerdict.Denied("not today")
                : MiniMe.Hooks.HookVerdict.Allowed);
        }
    }

    [Fact]
    public async Task A_before_node_hook_that_denies_skips_the_node_as_vetoed()
    {
        _team.Chat.Responder = call => AgentReplies.For(AgentReplies.AgentOf(call.SystemText));
        var hook = new DenyNode("build");
        var (workflow, state) = Start("""
            name: hooked
            nodes:
              - { id: plan, type: agent, agent: architect }
              - { id: build, type: agent, agent: builder }
              - { id: done, type: merge, strategy: first }
            edges:
              - { from: plan, to: build }
              - { from: plan, to: done }
              - { from: build, to: done }
            entry: plan
            exit: done
            """);
        var executor = new WorkflowExecutor(TeamHarness.Pipeline(_team.Chat), TeamHarness.DefaultOptions, _team.Traces, Checkpoints, null,
            new MiniMe.Hooks.HookDispatcher([hook], _team.Traces));

        var result = await executor.RunAsync(workflow, state, null, CancellationToken.None);

        Assert.Equal("completed", result.Status);
        Assert.Equal(["architect"], Agents);
        Assert.Equal(("vetoed", "vetoed by hook deny-build (before_node): not today"), (state.Node("build").Status, state.Node("build").Error));
        Assert.Contains("after_node:plan", hook.Seen);
        Assert.DoesNotContain("after_node:build", hook.Seen);
    }

    [Fact]
    public void Inputs_are_typed_defaulted_and_required()
    {
        var workflow = WorkflowParser.Load("""
            name: inputs
            inputs:
              n: { type: number, default: 2 }
              strict: { type: boolean }
              name: { type: string, required: true }
            nodes:
              - { id: a, type: agent, agent: architect, prompt: "{{inputs.name}} {{inputs.n}} {{inputs.strict}}" }
            entry: a
            exit: a
            """, "i.workflow.yaml");

        var bound = WorkflowExecutor.BindInputs(workflow, new Dictionary<string, string> { ["name"] = "x", ["strict"] = "true" });
        Assert.Equal("""{"n":2,"strict":true,"name":"x"}""", bound.ToJsonString());
        Assert.Equal("The workflow 'inputs' needs --input name=VALUE (string).",
            Assert.Throws<InvalidInputException>(() => WorkflowExecutor.BindInputs(workflow, new Dictionary<string, string>())).Message);
        Assert.Equal("The workflow 'inputs' has no input 'nmae'; did you mean 'name'?",
            Assert.Throws<InvalidInputException>(() => WorkflowExecutor.BindInputs(workflow, new Dictionary<string, string> { ["nmae"] = "x" })).Message);
        Assert.Equal("--input n=many: 'n' is a number",
            Assert.Throws<InvalidInputException>(() => WorkflowExecutor.BindInputs(workflow, new Dictionary<string, string> { ["name"] = "x", ["n"] = "many" })).Message);
    }

    public void Dispose()
    {
        _team.Dispose();
        _runs.Dispose();
    }
}
