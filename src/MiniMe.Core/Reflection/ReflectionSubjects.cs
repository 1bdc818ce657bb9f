using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using MiniMe.Memory.Facts;
using MiniMe.Tracing;

namespace MiniMe.Reflection;

/// <summary>Loads what a panel reviews: a run from its trace, a fact with its history, or free text.</summary>
public static class ReflectionSubjects
{
    /// <summary>The most of a subject's text the panel is shown.</summary>
    public const int MaxTextChars = 16_000;

    private const int MaxValueChars = 800;

    public static ReflectionSubject FromText(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new InvalidInputException("The text to reflect on is empty; give --text \"...\" with something to review.");
        var trimmed = text.Trim();
        return new ReflectionSubject(SubjectKinds.Text, null, FirstLine(trimmed), Cap(trimmed));
    }

    /// <summary>A run's task, plan, agents' outputs, proposals and outcome, from its trace (through <see cref="TraceStore"/>).</summary>
    public static ReflectionSubject FromRun(TraceStore traces, string runId)
    {
        ArgumentNullException.ThrowIfNull(traces);
        if (string.IsNullOrWhiteSpace(runId) || !traces.Exists(runId.Trim()))
            throw new NotFoundException($"No run '{runId}'; `minime runs` lists the runs you have.");
        runId = runId.Trim();
        var events = traces.Read(runId);
        var text = new StringBuilder();
        var start = events.FirstOrDefault(e => e.EventType == TraceEventTypes.TaskStart);
        var task = start?.Data["task"]?.GetValue<string>() ?? "";
        text.Append("Run ").Append(runId).Append('\n');
        text.Append("Task: ").Append(task).Append('\n');
        if (start?.Data["mode"] is JsonValue mode) text.Append("Mode: ").Append(mode.ToString()).Append('\n');
        if (start?.Data["domain"] is JsonValue domain) text.Append("Domain: ").Append(domain.ToString()).Append('\n');
        foreach (var e in events)
        {
            switch (e.EventType)
            {
                case TraceEventTypes.AgentOutput when e.Data["valid"] is JsonValue v && v.GetValue<bool>():
                    text.Append("\n[").Append(e.Data["agent"]?.GetValue<string>()).Append("] ").Append(Describe(e.Data["output"])).Append('\n');
                    break;
                case TraceEventTypes.NodeEnd:
                    text.Append("\n[node ").Append(e.Data["node"]?.ToString()).Append("] ").Append(e.Data["status"]?.ToString()).Append('\n');
                    break;
                case TraceEventTypes.ActionProposal:
                    text.Append("\nProposal ").Append(e.Data["id"]?.ToString()).Append(": ").Append(e.Data["tool"]?.ToString()).Append(' ')
                        .Append(Value(e.Data["arguments"])).Append(" (").Append(e.Data["rationale"]?.ToString()).Append(")\n");
                    break;
                case TraceEventTypes.Approval or TraceEventTypes.Execution or TraceEventTypes.Feedback:
                    text.Append('\n').Append(e.EventType).Append(": ").Append(Value(e.Data)).Append('\n');
                    break;
                case TraceEventTypes.Error:
                    text.Append("\nError: ").Append(e.Data["message"]?.ToString()).Append('\n');
                    break;
            }
        }
        var end = events.LastOrDefault(e => e.EventType == TraceEventTypes.RunEnd);
        text.Append("\nOutcome: ").Append(end?.Data["status"]?.ToString() ?? "incomplete (no run_end)");
        if (end?.Data["total_tokens"] is JsonValue tokens) text.Append(", ").Append(tokens.ToString()).Append(" tokens");
        text.Append('\n');
        return new ReflectionSubject(SubjectKinds.Run, runId, task.Length == 0 ? $"run {runId}" : FirstLine(task), Cap(text.ToString()));
    }

    /// <summary>A fact's text, category, status, scores and history.</summary>
    public static async Task<ReflectionSubject> FromFactAsync(IFactStore facts, long id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(facts);
        var fact = await facts.GetAsync(id, cancellationToken).ConfigureAwait(false)
            ?? throw new NotFoundException($"No fact #{id}; `minime facts list` shows the facts you have.");
        var history = await facts.GetHistoryAsync(id, 50, cancellationToken).ConfigureAwait(false);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Fact #{fact.Id}: {fact.Text}\n");
        text.Append(CultureInfo.InvariantCulture, $"Category: {fact.Category}; status: {fact.Status.ToString().ToLowerInvariant()}; source: {fact.Source.ToString().ToLowerInvariant()}\n");
        text.Append(CultureInfo.InvariantCulture, $"Confidence {fact.Confidence:0.##}, importance {fact.Importance:0.##}, seen {fact.SeenCount} time(s), first {fact.CreatedAt:yyyy-MM-dd}, last {fact.LastSeenAt:yyyy-MM-dd}\n");
        if (fact.SupersededBy is { } by) text.Append(CultureInfo.InvariantCulture, $"Superseded by #{by}\n");
        if (history.Count > 0)
        {
            text.Append("History:\n");
            foreach (var h in history.OrderBy(h => h.At))
                text.Append(CultureInfo.InvariantCulture, $"- {h.At:yyyy-MM-dd HH:mm} {h.Change.ToString().ToLowerInvariant()}")
                    .Append(h.Text is null ? "" : $": {h.Text}")
                    .Append(h.RelatedFactId is { } r ? $" (#{r})" : "")
                    .Append(h.Detail is null ? "" : $" [{h.Detail}]").Append('\n');
        }
        return new ReflectionSubject(SubjectKinds.Fact, fact.Id.ToString(CultureInfo.InvariantCulture), FirstLine(fact.Text), Cap(text.ToString()));
    }

    private static string Describe(JsonNode? output)
    {
        if (output is not JsonObject o) return Value(output);
        var parts = new List<string>();
        foreach (var key in (string[])["summary", "assessment", "stance", "valid"])
            if (o[key] is JsonValue v) parts.Add($"{key}: {v}");
        if (o["violations"] is JsonArray { Count: > 0 } violations) parts.Add("violations: " + Value(violations));
        if (o["proposals"] is JsonArray { Count: > 0 } proposals) parts.Add("proposals: " + Value(proposals));
        if (o["files"] is JsonArray { Count: > 0 } files) parts.Add("files: " + string.Join(", ", files.Select(f => f?["path"]?.ToString()).Where(p => p is not null)));
        return parts.Count > 0 ? string.Join("; ", parts) : Value(o);
    }

    private static string Value(JsonNode? node)
    {
        var text = node?.ToJsonString(JsonFormats.Line) ?? "";
        return text.Length <= MaxValueChars ? text : text[..MaxValueChars] + "…";
    }

    private static string FirstLine(string text)
    {
        var line = text.Split('\n', 2)[0].Trim();
        return line.Length <= 120 ? line : line[..119] + "…";
    }

    private static string Cap(string text) => text.Length <= MaxTextChars ? text : text[..MaxTextChars] + "\n… (truncated)";
}
