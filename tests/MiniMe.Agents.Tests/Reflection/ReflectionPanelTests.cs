using MiniMe.Reflection;
using MiniMe.Testing;
using MiniMe.Tracing;

namespace MiniMe.Agents.Tests.Reflection;

/// <summary>The reflection panel over the model pipeline (scripted model, real trace store): verdicts, repair, synthesis, index, the run it is traced as.</summary>
public sealed class ReflectionPanelTests : IDisposable
{
    private readonly TeamHarness _team = new();

    private static readonly Dictionary<string, string> Split = new()
    {
        ["engineer"] = ReflectionReplies.Verdict("support", 0.9, "It is feasible and testable."),
        ["librarian"] = ReflectionReplies.Verdict("support", 0.8, "It matches what is recorded."),
        ["philosopher"] = ReflectionReplies.Verdict("mixed", 0.6, "The goal itself is unclear.", "Which goal does this serve?"),
        ["skeptic"] = ReflectionReplies.Verdict("oppose", 0.9, "Nothing shows it works.", "No evidence", "Overconfident"),
    };

    private ReflectionPanel Panel() => new(TeamHarness.Pipeline(_team.Chat), TeamHarness.DefaultOptions, _team.Traces);

    private IEnumerable<string?> Asked => _team.Chat.Calls.Select(c => ReflectionReplies.PerspectiveOf(c.SystemText));

    [Fact]
    public async Task Each_perspective_gives_its_verdict_the_synthesis_merges_them_and_the_run_is_traced()
    {
        _team.Chat.Responder = call => ReflectionReplies.For(ReflectionReplies.PerspectiveOf(call.SystemText), Split);

        var result = await Panel().RunAsync(ReflectionSubjects.FromText("Move all notes into one database.\nDetails follow."),
            Perspectives.Parse(null), CancellationToken.None);

        Assert.Equal(["engineer", "librarian", "philosopher", "skeptic", "synthesis"], Asked);
        Assert.Equal(["support", "support", "mixed", "oppose"], result.Verdicts.Select(v => v.Stance));
        Assert.Equal(["No evidence", "Overconfident"], result.Verdicts[3].Concerns);
        Assert.Equal("The panel is split on the plan.", result.Synthesis.Summary);
        Assert.Equal(["skeptic: the evidence is thin."], result.Synthesis.OpenConcerns);
        // The index is the calculator's over the verdicts (no embeddings here), never the model's.
        Assert.Equal(DisagreementCalculator.Compute(result.Verdicts), result.Disagreement);
        Assert.InRange(result.Disagreement.Value, 0.5, 1);
        Assert.Null(result.Disagreement.AssessmentDistance);
        Assert.DoesNotContain(_team.Chat.Calls, c => (c.SystemText + c.UserText).Contains("disagreement", StringComparison.OrdinalIgnoreCase));
        Assert.Contains("Nothing shows it works.", _team.Chat.Calls[^1].UserText, StringComparison.Ordinal);
        Assert.Contains("Move all notes into one database.", _team.Chat.Calls[0].UserText, StringComparison.Ordinal);

        var events = _team.Traces.Read(result.RunId);
        Assert.Equal(TraceEventTypes.TaskStart, events[0].EventType);
        Assert.Equal("reflect: Move all notes into one database.", events[0].Data["task"]!.GetValue<string>());
        Assert.Equal(5, events.Count(e => e.EventType == TraceEventTypes.AgentCall));
        var reflection = Assert.Single(events, e => e.EventType == TraceEventTypes.Reflection);
        Assert.Equal(result.Disagreement.Value, reflection.Data["disagreement"]!.GetValue<double>());
        Assert.Equal("off", reflection.Data["embeddings"]!.GetValue<string>());
        Assert.Equal(TraceEventTypes.RunEnd, events[^1].EventType);
        Assert.Equal(5, events[^1].Data["model_calls"]!.GetValue<int>());
        var listed = Assert.Single(_team.Traces.List());
        Assert.Equal((result.RunId, "completed"), (listed.RunId, listed.Status));
        Assert.Equal(result.Totals!.TotalTokens, listed.TotalTokens);
    }

    [Fact]
    public async Task Fenced_output_is_repaired_an_unknown_stance_is_asked_again_and_a_numeric_stance_is_labelled()
    {
        var skeptic = 0;
        _team.Chat.Responder = call => ReflectionReplies.PerspectiveOf(call.SystemText) switch
        {
            "engineer" => ScriptedReply.Text("Here is my verdict:\n```json\n" + ReflectionReplies.Verdict("Support", 0.7) + "\n```"),
            "skeptic" when ++skeptic == 1 => ScriptedReply.Text(ReflectionReplies.Verdict("maybe", 0.5)),
            "skeptic" => ScriptedReply.Text("""{"assessment":"Weak.","stance":-0.6,"concerns":[],"confidence":0.8}"""),
            var other => ReflectionReplies.For(other, Split),
        };

        var result = await Panel().RunAsync(ReflectionSubjects.FromText("A plan"), Perspectives.Parse("engineer,skeptic"), CancellationToken.None);

        Assert.Equal(["engineer", "skeptic", "skeptic", "synthesis"], Asked);
        Assert.Equal(("support", 1.0), (result.Verdicts[0].Stance, result.Verdicts[0].StanceValue));
        Assert.Equal(("oppose", -0.6), (result.Verdicts[1].Stance, result.Verdicts[1].StanceValue));
        Assert.Contains("'maybe' is not one of support, mixed, oppose", _team.Chat.Calls[2].Messages[^1].Text, StringComparison.Ordinal);
        var outputs = _team.Traces.Read(result.RunId).Where(e => e.EventType == TraceEventTypes.AgentOutput).ToList();
        Assert.True(outputs[0].Data["repaired"]!.GetValue<bool>());
        Assert.False(outputs[1].Data["valid"]!.GetValue<bool>());
        Assert.True(outputs[2].Data["valid"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Output_that_stays_invalid_fails_with_one_clear_error_and_the_run_ends_as_error()
    {
        _team.Chat.Responder = call => ReflectionReplies.PerspectiveOf(call.SystemText) == "engineer"
            ? ScriptedReply.Text("""{"assessment":"ok","stance":"support","concerns":[],"confidence":7}""")
            : ReflectionReplies.For(ReflectionReplies.PerspectiveOf(call.SystemText), Split);

        var error = await Assert.ThrowsAsync<AgentOutputException>(() =>
            Panel().RunAsync(ReflectionSubjects.FromText("A plan"), Perspectives.Parse("engineer,skeptic"), CancellationToken.None));

        Assert.Equal("engineer", error.Agent);
        Assert.Contains("$.confidence: must be <= 1", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Equal(3, _team.Chat.Calls.Count); // MaxRepairAttempts 2: three answers, then the error
        Assert.Equal("error", Assert.Single(_team.Traces.List()).Status);
    }

    [Fact]
    public async Task A_run_is_reviewed_from_its_trace_and_unknown_runs_and_perspectives_are_one_line_errors()
    {
        _team.Chat.Responder = call => ReflectionReplies.For(ReflectionReplies.PerspectiveOf(call.SystemText), Split);
        var first = await Panel().RunAsync(ReflectionSubjects.FromText("Adopt a weekly review"), Perspectives.Parse("skeptic"), CancellationToken.None);

        var subject = ReflectionSubjects.FromRun(_team.Traces, first.RunId);

        Assert.Equal((SubjectKinds.Run, first.RunId, "reflect: Adopt a weekly review"), (subject.Kind, subject.Id, subject.Title));
        Assert.Contains("[skeptic] assessment: Nothing shows it works.; stance: oppose", subject.Text, StringComparison.Ordinal);
        Assert.Contains("Outcome: completed", subject.Text, StringComparison.Ordinal);
        var missing = Assert.Throws<NotFoundException>(() => ReflectionSubjects.FromRun(_team.Traces, "20260101-000000-ffffff"));
        Assert.Equal("No run '20260101-000000-ffffff'; `minime runs` lists the runs you have.", missing.Message);
        var unknown = Assert.Throws<InvalidInputException>(() => Perspectives.Parse("engineer, skeptik"));
        Assert.Equal("--perspectives: unknown perspective 'skeptik'; did you mean 'skeptic'?", unknown.Message);
        Assert.Throws<InvalidInputException>(() => ReflectionSubjects.FromText("  "));
        Assert.Equal(["engineer", "skeptic"], Perspectives.Parse("Engineer,skeptic,engineer").Select(p => p.Name));
    }

    public void Dispose() => _team.Dispose();
}
