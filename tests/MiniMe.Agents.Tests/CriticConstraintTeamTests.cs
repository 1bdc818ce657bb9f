using System.Text.Json.Nodes;
using MiniMe.Actions;
using MiniMe.Identity;
using MiniMe.Testing;
using MiniMe.Tracing;

namespace MiniMe.Agents.Tests;

/// <summary>The constraint set inside the team: blocking findings force a revision, and the Integrator's proposals are re-checked against what was reviewed.</summary>
public class CriticConstraintTeamTests
{
    private const string SecretBuild = """{"summary":"Adds Greeter.","files":[{"path":"src/Greeter.cs","content":"public static class Greeter {\n  const string password = \"hunter2\";\n}"},{"path":"tests/GreeterTests.cs","content":"// test"}],"patches":[]}""";

    private const string EvalBuild = """{"summary":"Adds a calculator.","files":[{"path":"src/calc.py","content":"def run():\n    return eval(input())\n"},{"path":"tests/test_calc.py","content":"# test"}],"patches":[]}""";

    private static void AnswerByAgent(TeamHarness h, Func<string, int, ScriptedReply?> answer)
    {
        var counts = new Dictionary<string, int>();
        h.Chat.Responder = call =>
        {
            var agent = AgentReplies.AgentOf(call.SystemText);
            counts[agent] = counts.GetValueOrDefault(agent) + 1;
            return answer(agent, counts[agent]) ?? AgentReplies.For(agent);
        };
    }

    /// <summary>An Integrator answer that proposes the Builder's files exactly as built (then the tests).</summary>
    private static string PassThroughIntegration(Func<string, string, string>? content = null)
    {
        var build = AgentReplies.Parse(AgentReplies.Build);
        var proposals = new JsonArray();
        foreach (var file in build["files"]!.AsArray())
        {
            var path = file!["path"]!.GetValue<string>();
            var text = file["content"]!.GetValue<string>();
            proposals.Add(new JsonObject
            {
                ["tool"] = "write_file",
                ["arguments"] = new JsonObject { ["path"] = path, ["content"] = content?.Invoke(path, text) ?? text },
                ["rationale"] = "as built",
            });
        }
        proposals.Add(new JsonObject { ["tool"] = "run_command", ["arguments"] = new JsonObject { ["argv"] = new JsonArray("dotnet", "test") }, ["rationale"] = "prove it" });
        return new JsonObject { ["summary"] = "merged", ["proposals"] = proposals }.ToJsonString();
    }

    [Theory]
    [InlineData(SecretBuild, "secret.keyword-value", "src/Greeter.cs", 2)]
    [InlineData(EvalBuild, "code.eval", "src/calc.py", 2)]
    public async Task ABlockingConstraintMakesTheBuilderReviseUntilItIsClean(string firstBuild, string ruleId, string path, int line)
    {
        using var h = new TeamHarness();
        AnswerByAgent(h, (agent, n) => agent == AgentNames.Builder && n == 1 ? ScriptedReply.Text(firstBuild) : null);
        var result = await h.Team().RunAsync(TeamHarness.Request(), null, CancellationToken.None);

        Assert.Equal(2, result.Iterations);
        Assert.False(result.Unresolved);
        var first = result.Reviews[0];
        Assert.False(first.Valid);
        var finding = Assert.Single(first.Violations, v => v.RuleId == ruleId);
        Assert.Equal(path, finding.Location);
        Assert.Equal(line, finding.Line);
        Assert.True(finding.Blocking);
        Assert.True(result.Reviews[1].Valid);

        var revision = h.Chat.Calls.Last(c => AgentReplies.AgentOf(c.SystemText) == AgentNames.Builder);
        Assert.Contains(finding.Message, revision.UserText, StringComparison.Ordinal);
        var traced = h.EventsOf(TraceEventTypes.CriticReview)[0].Data["violations"]!.AsArray().Single(v => v!["rule_id"]?.GetValue<string>() == ruleId)!;
        Assert.Equal(line, traced["line"]!.GetValue<int>());
        Assert.Equal("blocking", traced["severity"]!.GetValue<string>());
        Assert.DoesNotContain("hunter2", h.Traces.PathFor(TeamHarness.RunId) is { } file ? File.ReadAllText(file) : "", StringComparison.Ordinal);
    }

    [Fact]
    public async Task WarningsAloneDoNotForceARevision()
    {
        using var h = new TeamHarness();
        var principles = new[] { new WeightedPrinciple(new Principle { Name = "No interpolation", Description = "Avoid `$\"` strings." }, 0.5, PrincipleScope.Global) };
        AnswerByAgent(h, (_, _) => null);
        var result = await h.Team().RunAsync(TeamHarness.Request(principles: principles), null, CancellationToken.None);

        var review = Assert.Single(result.Reviews);
        Assert.True(review.Valid);
        var warning = Assert.Single(review.Violations, v => v.RuleId == "principle.keyword");
        Assert.Equal("No interpolation", warning.Rule);
        Assert.False(warning.Blocking);
    }

    [Fact]
    public async Task AnIntegratorThatChangesAReviewedFileYieldsAFlaggedProposalAndATraceEvent()
    {
        using var h = new TeamHarness();
        var changed = PassThroughIntegration((path, text) => path == "src/Greeter.cs" ? text + "\nclass Db { string password = \"hunter2\"; }" : text);
        AnswerByAgent(h, (agent, _) => agent == AgentNames.Integrator ? ScriptedReply.Text(changed) : null);
        var events = new List<TeamEvent>();
        var result = await h.Team().RunAsync(TeamHarness.Request(), (e, _) => { events.Add(e); return ValueTask.CompletedTask; }, CancellationToken.None);

        Assert.True(Assert.Single(result.Reviews).Valid);
        var flagged = Assert.Single(result.Proposals, p => p.Review is not null);
        Assert.Equal("src/Greeter.cs", flagged.Arguments["path"]!.GetValue<string>());
        Assert.StartsWith(ProposalReviewStatus.Changed, flagged.Review, StringComparison.Ordinal);
        Assert.Contains("secret.keyword-value line 2 (blocking)", flagged.Review, StringComparison.Ordinal);
        Assert.StartsWith("[review: changed after review", flagged.Rationale, StringComparison.Ordinal);
        Assert.EndsWith("as built", flagged.Rationale, StringComparison.Ordinal);
        // What the approval prompt receives is the flagged proposal.
        Assert.Equal(flagged, Assert.Single(events.OfType<ProposalsReady>()).Proposals.Single(p => p.Review is not null));
        Assert.Same(result.Proposals, result.Integration!.Proposals);

        var check = Assert.Single(result.Recheck!.Flagged);
        Assert.NotEqual(check.ReviewedDigest, check.Digest);
        var trace = Assert.Single(h.EventsOf(TraceEventTypes.ProposalReview)).Data;
        Assert.Equal(1, trace["flagged"]!.GetValue<int>());
        var entry = trace["proposals"]!.AsArray().Single(p => p!["path"]?.GetValue<string>() == "src/Greeter.cs")!;
        Assert.Equal(ProposalReviewStatus.Changed, entry["status"]!.GetValue<string>());
        Assert.Equal("secret.keyword-value", entry["findings"]![0]!["rule_id"]!.GetValue<string>());
        Assert.Equal(ProposalReviewStatus.Reviewed, trace["proposals"]!.AsArray().Single(p => p!["path"]?.GetValue<string>() == "tests/GreeterTests.cs")!["status"]!.GetValue<string>());
        var proposed = h.EventsOf(TraceEventTypes.ActionProposal).Single(e => e.Data["arguments"]!["path"]?.GetValue<string>() == "src/Greeter.cs").Data;
        Assert.StartsWith(ProposalReviewStatus.Changed, proposed["review"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnIntegratorThatProposesWhatWasReviewedFlagsNothing()
    {
        using var h = new TeamHarness();
        var same = PassThroughIntegration();
        AnswerByAgent(h, (agent, _) => agent == AgentNames.Integrator ? ScriptedReply.Text(same) : null);
        var result = await h.Team().RunAsync(TeamHarness.Request(), null, CancellationToken.None);

        Assert.Equal(3, result.Proposals.Count);
        Assert.All(result.Proposals, p => Assert.Null(p.Review));
        Assert.All(result.Proposals, p => Assert.DoesNotContain("[review:", p.Rationale, StringComparison.Ordinal));
        Assert.Empty(result.Recheck!.Flagged);
        Assert.Equal(0, Assert.Single(h.EventsOf(TraceEventTypes.ProposalReview)).Data["flagged"]!.GetValue<int>());
    }

    [Fact]
    public async Task WithoutAnIntegratorTheBuildersFilesAreTheProposalsAndNothingIsRechecked()
    {
        using var h = new TeamHarness();
        AnswerByAgent(h, (_, _) => null);
        var result = await h.Team().RunAsync(TeamHarness.Request(TeamHarness.Masks(integrator: 0.1)), null, CancellationToken.None);

        Assert.Null(result.Recheck);
        Assert.All(result.Proposals, p => Assert.Null(p.Review));
        Assert.Empty(h.EventsOf(TraceEventTypes.ProposalReview));
    }

    // --- ProposalRecheck on its own ---

    private static ActionProposal Write(string id, string path, string content) => new(id, "write_file", new JsonObject { ["path"] = path, ["content"] = content }, "why", "integrator");

    private static readonly BuildOutput Reviewed = new("s", [new FileDraft("src/A.cs", "class A {}", null), new FileDraft("tests/ATests.cs", "// t", null)], []);

    [Fact]
    public void ANewPathIsFlaggedAsNotReviewedAndADroppedOneIsReported()
    {
        var recheck = ProposalRecheck.Run(Reviewed, [Write("p1", "./src/A.cs", "class A {}"), Write("p2", "src/B.cs", "class B {}")], null, [], 0.5);

        Assert.Equal([ProposalReviewStatus.Reviewed, ProposalReviewStatus.New], recheck.Checks.Select(c => c.Status));
        Assert.Null(recheck.Proposals[0].Review);
        Assert.Equal(ProposalReviewStatus.New, recheck.Proposals[1].Review);
        Assert.Equal(["tests/ATests.cs"], recheck.Dropped);
    }

    [Fact]
    public void APatchInPlaceOfAReviewedWholeFileCountsAsChanged()
    {
        var patch = new ActionProposal("p1", "apply_patch", new JsonObject { ["path"] = "src/A.cs", ["patch"] = "--- a/src/A.cs\n+++ b/src/A.cs\n@@ -1,1 +1,1 @@\n-class A {}\n+class A { }\n" }, "why");
        var check = Assert.Single(ProposalRecheck.Run(Reviewed, [patch, Write("p2", "tests/ATests.cs", "// t")], null, [], 0.5).Flagged);
        Assert.Equal(ProposalReviewStatus.Changed, check.Review);
    }

    [Fact]
    public void CommandsAreFlaggedOnlyWhenAStaticCheckFires()
    {
        var commands = new[]
        {
            new ActionProposal("p1", "run_command", new JsonObject { ["argv"] = new JsonArray("dotnet", "test") }, "test"),
            new ActionProposal("p2", "run_command", new JsonObject { ["argv"] = new JsonArray("bash", "-c", "dotnet test && git push") }, "test and push"),
        };
        var recheck = ProposalRecheck.Run(Reviewed, commands, null, [], 0.5);

        Assert.Null(recheck.Proposals[0].Review);
        Assert.Equal("command checked after review; static checks: command.shell (blocking)", recheck.Proposals[1].Review);
        Assert.Equal("command.shell", Assert.Single(Assert.Single(recheck.Flagged).Findings).RuleId);
    }

    [Fact]
    public void WithNoReviewedBuildEveryFileIsNotReviewed()
    {
        var recheck = ProposalRecheck.Run(null, [Write("p1", "src/A.cs", "class A {}")], null, [], 0.5);
        Assert.Equal(ProposalReviewStatus.New, Assert.Single(recheck.Proposals).Review);
    }
}
