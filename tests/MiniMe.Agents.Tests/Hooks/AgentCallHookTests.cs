using System.Text.Json.Nodes;
using MiniMe.Hooks;
using MiniMe.Testing;
using MiniMe.Tracing;

namespace MiniMe.Agents.Tests.Hooks;

/// <summary>before_agent_call/after_agent_call through the model pipeline, with the run's dispatcher current.</summary>
public sealed class AgentCallHookTests
{
    private sealed class Recorder(Func<HookEvent, HookVerdict>? decide = null) : IRunHook
    {
        public List<HookEvent> Seen { get; } = [];
        public string Name => "recorder";

        public ValueTask<HookVerdict> OnEventAsync(HookEvent e, CancellationToken cancellationToken)
        {
            Seen.Add(e);
            return ValueTask.FromResult(decide?.Invoke(e) ?? HookVerdict.Allowed);
        }
    }

    private static void AnswerByAgent(TeamHarness h) => h.Chat.Responder = call => AgentReplies.For(AgentReplies.AgentOf(call.SystemText));

    [Fact]
    public async Task Every_model_call_of_the_team_is_shown_to_the_hooks_before_and_after()
    {
        using var h = new TeamHarness();
        AnswerByAgent(h);
        var hook = new Recorder();
        using (new HookDispatcher([hook], h.Traces).Enter())
            await h.Team().RunAsync(TeamHarness.Request(), null, CancellationToken.None);

        Assert.Equal(
            ["before_agent_call:architect", "after_agent_call:architect", "before_agent_call:builder", "after_agent_call:builder",
             "before_agent_call:critic", "after_agent_call:critic", "before_agent_call:integrator", "after_agent_call:integrator"],
            hook.Seen.Select(e => $"{e.Name}:{e.Payload["agent"]}"));
        Assert.All(hook.Seen, e => Assert.Equal(TeamHarness.RunId, e.RunId));
        Assert.Contains("Add a greeting helper", hook.Seen[0].Payload["messages"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal("completed", hook.Seen[1].Payload["status"]!.GetValue<string>());
        Assert.Equal(8, h.EventsOf(TraceEventTypes.Hook).Count);
    }

    [Fact]
    public async Task A_denied_agent_call_is_never_sent_and_the_run_stops_with_the_reason()
    {
        using var h = new TeamHarness();
        AnswerByAgent(h);
        var hook = new Recorder(e => e.Name == HookEvents.BeforeAgentCall && (string?)e.Payload["agent"] == AgentNames.Builder
            ? HookVerdict.Denied("builders are off today")
            : HookVerdict.Allowed);
        HookVetoedException vetoed;
        using (new HookDispatcher([hook], h.Traces).Enter())
            vetoed = await Assert.ThrowsAsync<HookVetoedException>(() => h.Team().RunAsync(TeamHarness.Request(), null, CancellationToken.None));

        Assert.Equal("vetoed by hook recorder (before_agent_call): builders are off today", vetoed.Message);
        Assert.Equal(["architect"], h.Chat.Calls.Select(c => AgentReplies.AgentOf(c.SystemText)));
        Assert.Equal("deny", h.EventsOf(TraceEventTypes.Hook).Last().Data["verdict"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_patch_of_the_messages_changes_what_the_model_is_sent()
    {
        using var h = new TeamHarness();
        AnswerByAgent(h);
        var hook = new Recorder(e =>
        {
            if (e.Name != HookEvents.BeforeAgentCall) return HookVerdict.Allowed;
            var messages = (JsonArray)e.Payload["messages"]!.DeepClone();
            messages.Add(new JsonObject { ["role"] = "user", ["text"] = "Reminder from the hook: keep it small." });
            return new HookVerdict.Patch(new JsonObject { ["messages"] = messages });
        });
        using (new HookDispatcher([hook], h.Traces).Enter())
            await h.Team().RunAsync(TeamHarness.Request(), null, CancellationToken.None);

        Assert.All(h.Chat.Calls, c => Assert.Contains("Reminder from the hook: keep it small.", c.UserText, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Without_a_current_dispatcher_calls_go_through_untouched()
    {
        using var h = new TeamHarness();
        AnswerByAgent(h);
        await h.Team().RunAsync(TeamHarness.Request(), null, CancellationToken.None);

        Assert.Equal(4, h.Chat.Calls.Count);
        Assert.Empty(h.EventsOf(TraceEventTypes.Hook));
    }
}
