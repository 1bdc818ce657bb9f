using System.Text.Json.Nodes;
using MiniMe.Testing;
using MiniMe.Tracing;
using MiniMe.Workflows;

namespace MiniMe.Agents.Tests.Workflows;

/// <summary>The workflow node type panel: parsed, validated and run through the reflection panel inside the workflow's run.</summary>
public sealed class PanelNodeTests : IDisposable
{
    private readonly TeamHarness _team = new();
    private readonly TempDirectory _runs = new();

    private const string Yaml = """
        name: plan-review
        nodes:
          - { id: plan, type: agent, agent: architect }
          - id: panel
            type: panel
            perspectives: [engineer, skeptic]
            subject: "Review this plan: {{nodes.plan.output.summary}}"
          - { id: split, type: decision, condition: "nodes.panel.output.disagreement > 0.5" }
          - { id: ask, type: human, message: "The panel disagrees: {{nodes.panel.output.summary}}" }
          - { id: integrate, type: agent, agent: integrator }
        edges:
          - { from: plan, to: panel }
          - { from: panel, to: split }
          - { from: split, to: ask, kind: conditional, when: "nodes.panel.output.disagreement > 0.5" }
          - { from: split, to: integrate }
          - { from: ask, to: integrate }
        entry: plan
        exit: integrate
        """;

    [Fact]
    public async Task A_panel_node_reviews_its_rendered_subject_and_a_decision_routes_on_its_disagreement()
    {
        var verdicts = new Dictionary<string, string>
        {
            ["engineer"] = ReflectionReplies.Verdict("support", 0.9, "Sound plan."),
            ["skeptic"] = ReflectionReplies.Verdict("support", 0.85, "Fine by me."),
        };
        _team.Chat.Responder = call => ReflectionReplies.PerspectiveOf(call.SystemText) is { } who
            ? ReflectionReplies.For(who, verdicts)
            : AgentReplies.For(AgentReplies.AgentOf(call.SystemText), integration: """{"summary":"Nothing to change.","proposals":[]}""");
        var workflow = WorkflowParser.Load(Yaml, "plan.workflow.yaml");
        var state = WorkflowExecutor.NewState(TeamHarness.RunId, workflow, Yaml, TeamHarness.Request(), [], 100_000);

        var result = await new WorkflowExecutor(TeamHarness.Pipeline(_team.Chat), TeamHarness.DefaultOptions, _team.Traces, new WorkflowCheckpoints(_runs.Path), actions: null)
            .RunAsync(workflow, state, null, CancellationToken.None);

        Assert.Equal("completed", result.Status);
        var panel = state.Node("panel").Output!.AsObject();
        Assert.Equal(["engineer", "skeptic"], panel["perspectives"]!.AsArray().Select(p => p!.GetValue<string>()));
        Assert.Equal(2, panel["verdicts"]!.AsArray().Count);
        Assert.InRange(panel["disagreement"]!.GetValue<double>(), 0, 0.5);
        Assert.Equal("The panel is split on the plan.", panel["summary"]!.GetValue<string>());
        var engineerCall = _team.Chat.Calls.First(c => ReflectionReplies.PerspectiveOf(c.SystemText) == "engineer");
        Assert.Contains("Review this plan: One helper and its test.", engineerCall.UserText, StringComparison.Ordinal);
        Assert.Equal(NodeStatus.Skipped, state.Node("ask").Status); // agreement: the decision took the normal edge
        Assert.Equal(NodeStatus.Completed, state.Node("integrate").Status);
        Assert.Single(_team.EventsOf(TraceEventTypes.Reflection));
    }

    [Fact]
    public void Unknown_perspectives_and_fields_the_panel_output_lacks_are_reported_with_line_and_column()
    {
        var bad = Yaml.Replace("[engineer, skeptic]", "[engineer, skeptik]", StringComparison.Ordinal)
            .Replace("nodes.panel.output.summary}}\" }", "nodes.panel.output.verdict}}\" }", StringComparison.Ordinal);

        var error = Assert.Throws<WorkflowValidationException>(() => WorkflowParser.Load(bad, "plan.workflow.yaml"));

        Assert.Contains(error.Problems, p => p.StartsWith("plan.workflow.yaml:6:19: node 'panel': perspectives: unknown perspective 'skeptik'; did you mean 'skeptic'?", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("nodes.panel.output.verdict", StringComparison.Ordinal));
        Assert.Equal(2, error.Problems.Count);
    }

    public void Dispose()
    {
        _team.Dispose();
        _runs.Dispose();
    }
}
