using MiniMe.Identity;
using MiniMe.Testing;
using MiniMe.Tracing;

namespace MiniMe.Agents.Tests;

public class AgentTeamTests
{
    private static void AnswerByAgent(TeamHarness h, Func<string, int, ScriptedReply>? answer = null)
    {
        var counts = new Dictionary<string, int>();
        h.Chat.Responder = call =>
        {
            var agent = AgentReplies.AgentOf(call.SystemText);
            counts[agent] = counts.GetValueOrDefault(agent) + 1;
            return answer?.Invoke(agent, counts[agent]) ?? AgentReplies.For(agent);
        };
    }

    private static int CallsTo(TeamHarness h, string agent) => h.Chat.Calls.Count(c => AgentReplies.AgentOf(c.SystemText) == agent);

    [Fact]
    public async Task RunsArchitectBuilderCriticIntegratorAndTracesEachStep()
    {
        using var h = new TeamHarness();
        AnswerByAgent(h);
        var result = await h.Team().RunAsync(TeamHarness.Request(), null, CancellationToken.None);

        Assert.Equal(["architect", "builder", "critic", "integrator"], h.Chat.Calls.Select(c => AgentReplies.AgentOf(c.SystemText)));
        Assert.Equal("Greeter", Assert.Single(result.Plan!.Modules).Name);
        Assert.True(Assert.Single(result.Reviews).Valid);
        Assert.False(result.Unresolved);
        Assert.Equal(["write_file", "run_command"], result.Proposals.Select(p => p.Tool));
        Assert.All(result.Proposals, p => Assert.Equal("integrator", p.ProposedBy));

        // The Builder sees the plan; the Critic sees the build; the Integrator sees both.
        Assert.Contains("Formats greetings", h.Chat.Calls[1].UserText);
        Assert.Contains("tests/GreeterTests.cs", h.Chat.Calls[2].UserText);
        Assert.Contains("Formats greetings", h.Chat.Calls[3].UserText);
        Assert.Contains("tests/GreeterTests.cs", h.Chat.Calls[3].UserText);
        Assert.All(h.Chat.Calls, c => Assert.Contains("JSON schema", c.SystemText));

        Assert.Equal(["architect", "builder", "critic", "integrator"], h.EventsOf(TraceEventTypes.AgentCall).Select(e => e.Data["agent"]!.GetValue<string>()));
        var review = Assert.Single(h.EventsOf(TraceEventTypes.CriticReview)).Data;
        Assert.True(review["valid"]!.GetValue<bool>());
        Assert.True(review["model_review"]!.GetValue<bool>());
        var proposals = h.EventsOf(TraceEventTypes.ActionProposal);
        Assert.Equal(["p1", "p2"], proposals.Select(p => p.Data["id"]!.GetValue<string>()));
        Assert.Equal("dotnet", proposals[1].Data["arguments"]!["argv"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task CriticRejectionMakesTheBuilderReviseWithTheViolations()
    {
        using var h = new TeamHarness();
        AnswerByAgent(h, (agent, n) => agent == AgentNames.Critic ? AgentReplies.For(agent, criticAccepts: n > 1) : AgentReplies.For(agent));
        var result = await h.Team().RunAsync(TeamHarness.Request(), null, CancellationToken.None);

        Assert.Equal(2, result.Iterations);
        Assert.Equal(2, CallsTo(h, AgentNames.Builder));
        var revision = h.Chat.Calls.Where(c => AgentReplies.AgentOf(c.SystemText) == AgentNames.Builder).Last();
        Assert.Contains("[Simplicity] Too many layers", revision.UserText);
        Assert.Contains("Inline the helper.", revision.UserText);
        Assert.Equal([false, true], result.Reviews.Select(r => r.Valid));
        Assert.False(result.Unresolved);
    }

    [Theory]
    [InlineData(3, 3, 3)]
    [InlineData(3, 2, 2)]
    [InlineData(1, 3, 1)]
    public async Task CriticLoopIsCappedByMasksAndConfiguration(int maskIterations, int configuredIterations, int expectedRounds)
    {
        using var h = new TeamHarness();
        AnswerByAgent(h, (agent, _) => AgentReplies.For(agent, criticAccepts: false));
        var result = await h.Team(TeamHarness.DefaultOptions with { MaxIterations = configuredIterations })
            .RunAsync(TeamHarness.Request(TeamHarness.Masks(maxIterations: maskIterations)), null, CancellationToken.None);

        Assert.Equal(expectedRounds, result.Iterations);
        Assert.Equal(expectedRounds, CallsTo(h, AgentNames.Builder));
        Assert.Equal(expectedRounds, CallsTo(h, AgentNames.Critic));
        Assert.Equal(1, CallsTo(h, AgentNames.Integrator));
        Assert.True(result.Unresolved);
        Assert.Equal(expectedRounds, h.EventsOf(TraceEventTypes.CriticReview).Count);
        Assert.Contains("unresolved violations", h.Chat.Calls[^1].UserText);
    }

    [Fact]
    public async Task LowRoutingWeightsSkipAgents()
    {
        using var h = new TeamHarness();
        AnswerByAgent(h);
        var events = new List<TeamEvent>();
        var result = await h.Team().RunAsync(
            TeamHarness.Request(TeamHarness.Masks(architect: 0.1, critic: 0.05, integrator: 0.19)),
            (e, _) => { events.Add(e); return ValueTask.CompletedTask; },
            CancellationToken.None);

        Assert.Equal(["builder"], h.Chat.Calls.Select(c => AgentReplies.AgentOf(c.SystemText)));
        Assert.Equal(["architect", "critic", "integrator"], result.SkippedAgents);
        Assert.Null(result.Plan);
        Assert.Null(result.Integration);
        Assert.False(Assert.Single(result.Reviews).ModelReviewed);
        // Without an Integrator the Builder's files become the proposals.
        Assert.Equal(["src/Greeter.cs", "tests/GreeterTests.cs"], result.Proposals.Select(p => p.Arguments["path"]!.GetValue<string>()));
        Assert.All(result.Proposals, p => Assert.Equal("builder", p.ProposedBy));
        Assert.Equal(3, h.EventsOf(TraceEventTypes.AgentSkipped).Count);
        Assert.Equal(3, events.OfType<AgentSkipped>().Count());
        Assert.Equal(0.1, h.EventsOf(TraceEventTypes.AgentSkipped)[0].Data["weight"]!.GetValue<double>());
    }

    [Fact]
    public async Task StaticViolationsForceARevisionEvenWhenTheModelAccepts()
    {
        using var h = new TeamHarness();
        const string escaping = """{"summary":"s","files":[{"path":"../outside.cs","content":"x"},{"path":"tests/T.cs","content":"t"}],"patches":[]}""";
        AnswerByAgent(h, (agent, n) => agent == AgentNames.Builder && n == 1 ? ScriptedReply.Text(escaping) : AgentReplies.For(agent));
        var result = await h.Team().RunAsync(TeamHarness.Request(), null, CancellationToken.None);

        Assert.Equal(2, result.Iterations);
        var first = result.Reviews[0];
        Assert.False(first.Valid);
        var violation = Assert.Single(first.Violations, v => v.Source == "static");
        Assert.Equal(StaticCritic.PathsRule, violation.Rule);
        Assert.Equal("../outside.cs", violation.Location);
        Assert.Contains("Static checks already found", h.Chat.Calls.First(c => AgentReplies.AgentOf(c.SystemText) == AgentNames.Critic).UserText);
        Assert.True(result.Reviews[1].Valid);
        var traced = h.EventsOf(TraceEventTypes.CriticReview)[0].Data;
        Assert.Equal(1, traced["static_violations"]!.GetValue<int>());
    }

    [Fact]
    public async Task AgentPrinciplesReachOnlyTheirAgent()
    {
        using var h = new TeamHarness();
        AnswerByAgent(h);
        var strict = new WeightedPrinciple(new Principle { Name = "Critic is strict", Description = "Reject weak tests.", Scope = PrincipleScope.Agent, Target = "critic" }, 0.1, PrincipleScope.Agent);
        var request = TeamHarness.Request() with
        {
            AgentPrinciples = new Dictionary<string, IReadOnlyList<WeightedPrinciple>> { [AgentNames.Critic] = [strict] },
        };
        await h.Team().RunAsync(request, null, CancellationToken.None);

        Assert.All(h.Chat.Calls, c => Assert.Equal(AgentReplies.AgentOf(c.SystemText) == AgentNames.Critic, c.SystemText.Contains("Reject weak tests.", StringComparison.Ordinal)));
    }
}
