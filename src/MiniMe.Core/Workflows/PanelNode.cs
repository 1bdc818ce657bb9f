using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using MiniMe.Agents;
using MiniMe.Reflection;
using MiniMe.Tracing;

namespace MiniMe.Workflows;

/// <summary>
/// A workflow node of type <c>panel</c>: the reflection panel (<see cref="ReflectionPanel"/>) over the node's
/// <c>subject</c> (a template; default: the run's task) with its <c>perspectives</c> (default: the four of
/// <see cref="Perspectives.DefaultNames"/>), inside the workflow's run and under its budget (or the node's
/// <c>budget</c>). Its output is the panel's result: verdicts, summary, agreements, open_concerns and the
/// disagreement index, so a decision can route on <c>nodes.ID.output.disagreement</c>. The index goes
/// without the assessment embeddings here (its weights renormalised, see docs/reflection.md).
/// </summary>
public sealed class PanelNode(IChatClient chat, AgentTeamOptions options, TraceStore traces)
{
    /// <summary>What a panel node outputs (templates and conditions are checked against it).</summary>
    public static JsonObject OutputSchema { get; } = new()
    {
        ["type"] = "object",
        ["additionalProperties"] = false,
        ["properties"] = new JsonObject
        {
            ["subject"] = new JsonObject { ["type"] = "object" },
            ["perspectives"] = new JsonObject { ["type"] = "array" },
            ["verdicts"] = new JsonObject { ["type"] = "array" },
            ["summary"] = new JsonObject { ["type"] = "string" },
            ["agreements"] = new JsonObject { ["type"] = "array" },
            ["open_concerns"] = new JsonObject { ["type"] = "array" },
            ["disagreement"] = new JsonObject { ["type"] = "number" },
            ["disagreement_parts"] = new JsonObject { ["type"] = "object" },
        },
    };

    /// <summary>The node's perspectives problem for the validator, or null when they are all known.</summary>
    public static string? Check(WorkflowNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (node.Type != NodeTypes.Panel) return null;
        try
        {
            Perspectives.Parse(node.Perspectives, $"node '{node.Id}': perspectives");
            return null;
        }
        catch (InvalidInputException e)
        {
            return e.Message.TrimEnd('.');
        }
    }

    /// <param name="subject">The node's subject, rendered; empty: the run's task.</param>
    /// <param name="routed">A router chooses the model (node.model names one of llm.models); else node.model is the model id.</param>
    public async Task<JsonObject> RunAsync(WorkflowNode node, string runId, string task, string subject, RunMeter runMeter, bool routed, TeamObserver? observer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(runMeter);
        var perspectives = Perspectives.Parse(node.Perspectives, $"node '{node.Id}': perspectives");
        var text = string.IsNullOrWhiteSpace(subject) ? task : subject;
        var meter = node.Budget is { } b ? new RunMeter(Math.Max(1, Math.Min(b, Math.Max(1, runMeter.Remaining)))) : runMeter;
        var panel = new ReflectionPanel(chat, node.Model is null || routed ? options : options with { Model = node.Model }, traces);
        try
        {
            var result = await panel.ReviewAsync(runId, ReflectionSubjects.FromText(text), perspectives, meter, observer, cancellationToken).ConfigureAwait(false);
            return ReflectionPanel.ToJson(result);
        }
        finally
        {
            if (!ReferenceEquals(meter, runMeter))
                runMeter.Add(node.Id, meter.PromptTokens, meter.CompletionTokens, meter.Cost, meter.Estimated, meter.ModelMilliseconds);
        }
    }
}
