using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using MiniMe.Agents;
using MiniMe.Runs;
using MiniMe.Tracing;

namespace MiniMe.Reflection;

/// <summary>
/// The reflection panel: each perspective (<see cref="Perspectives"/>) reviews the subject as its own agent
/// through <see cref="AgentInvoker"/> (schema-validated, repaired and re-asked like the team's agents), the
/// synthesis agent merges their verdicts, and <see cref="DisagreementCalculator"/> computes the index from
/// the verdicts in code, with the embeddings of the assessments when an embedding model is on.
/// <see cref="RunAsync"/> is a run of its own (task_start, agent calls, reflection, run_end, under
/// agents' budget); <see cref="ReviewAsync"/> works inside a run that exists (a workflow's panel node).
/// </summary>
public sealed class ReflectionPanel
{
    /// <summary>The sampling temperature of the panel's calls (llm.temperature overrides it).</summary>
    public const double Temperature = 0.3;

    private readonly AgentInvoker _invoker;
    private readonly AgentTeamOptions _options;
    private readonly TraceStore _traces;
    private readonly IEmbeddingGenerator<string, Embedding<float>>? _embeddings;
    private readonly TimeProvider _time;

    /// <param name="chat">A client built with the model pipeline.</param>
    /// <param name="embeddings">The embedding model for the assessment distance; null: the index goes without it.</param>
    public ReflectionPanel(IChatClient chat, AgentTeamOptions options, TraceStore traces, IEmbeddingGenerator<string, Embedding<float>>? embeddings = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(traces);
        _invoker = new AgentInvoker(chat, options, traces);
        _options = options;
        _traces = traces;
        _embeddings = embeddings;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The panel as a run: traced in its own run folder, listed by `minime runs`, metered under agents' run budget.</summary>
    public async Task<ReflectionResult> RunAsync(ReflectionSubject subject, IReadOnlyList<Perspective> perspectives, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(perspectives);
        var clock = Stopwatch.StartNew();
        var runId = RunId.New(_time.GetUtcNow());
        using var span = MiniMe.ModelCalls.MiniMeTelemetry.ActivitySource.StartActivity("minime.run reflect");
        span?.SetTag("minime.run_id", runId);
        var meter = new RunMeter(_options.MaxRunTokens);
        _traces.AppendBatched(runId, TraceEventTypes.TaskStart, new JsonObject
        {
            ["task"] = "reflect: " + subject.Title,
            ["mode"] = "reflect",
            ["subject_kind"] = subject.Kind,
            ["subject_id"] = subject.Id,
            ["perspectives"] = new JsonArray([.. perspectives.Select(p => (JsonNode?)p.Name)]),
            ["budget_tokens"] = meter.BudgetTokens,
        });
        try
        {
            var result = await ReviewAsync(runId, subject, perspectives, meter, null, cancellationToken).ConfigureAwait(false);
            _traces.Append(runId, TraceEventTypes.RunEnd, Totals("completed", meter, clock));
            return result with { Totals = RunTotals.From(meter, 0, clock.Elapsed) };
        }
        catch (OperationCanceledException)
        {
            _traces.Append(runId, TraceEventTypes.RunEnd, Totals("cancelled", meter, clock));
            throw;
        }
        catch (Exception e)
        {
            _traces.Append(runId, TraceEventTypes.Error, new JsonObject { ["type"] = e.GetType().Name, ["message"] = e.Message });
            _traces.Append(runId, TraceEventTypes.RunEnd, Totals(e is RunBudgetExceededException ? "budget_exceeded" : "error", meter, clock));
            throw;
        }
    }

    /// <summary>Verdicts, synthesis and index inside run <paramref name="runId"/>: agent calls and one reflection event are traced there.</summary>
    public async Task<ReflectionResult> ReviewAsync(string runId, ReflectionSubject subject, IReadOnlyList<Perspective> perspectives, RunMeter meter,
        TeamObserver? observer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(perspectives);
        ArgumentNullException.ThrowIfNull(meter);
        if (perspectives.Count == 0) throw new InvalidInputException("A reflection panel needs at least one perspective.");
        var scope = new AgentCallScope(runId, 0, Temperature, meter, observer);
        var verdicts = new List<PerspectiveVerdict>();
        foreach (var perspective in perspectives)
        {
            var spec = perspective.Spec;
            var outcome = await _invoker.InvokeAsync(spec, Prompt(spec, SubjectMessage(subject) + $"\n\nGive the {perspective.Title}'s verdict."), scope, cancellationToken).ConfigureAwait(false);
            verdicts.Add(outcome.Value);
        }

        var (embeddings, embeddingNote) = await EmbedAsync(verdicts, cancellationToken).ConfigureAwait(false);
        var index = DisagreementCalculator.Compute(verdicts, embeddings);

        var synthesisUser = new StringBuilder(SubjectMessage(subject)).Append("\n\nThe perspectives' verdicts:\n");
        foreach (var v in verdicts) synthesisUser.Append(JsonSerializer.Serialize(VerdictJson(v), JsonFormats.Line)).Append('\n');
        synthesisUser.Append("\nMerge them.");
        var synthesis = (await _invoker.InvokeAsync(Perspectives.Synthesis, Prompt(Perspectives.Synthesis, synthesisUser.ToString()), scope, cancellationToken).ConfigureAwait(false)).Value;

        var result = new ReflectionResult(runId, subject, verdicts, synthesis, index);
        _traces.AppendBatched(runId, TraceEventTypes.Reflection, ToJson(result, embeddingNote));
        return result;
    }

    /// <summary>The result as JSON (the reflection trace event, the panel node's output).</summary>
    public static JsonObject ToJson(ReflectionResult result, string? embeddings = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        var json = new JsonObject
        {
            ["subject"] = new JsonObject { ["kind"] = result.Subject.Kind, ["id"] = result.Subject.Id, ["title"] = result.Subject.Title },
            ["perspectives"] = new JsonArray([.. result.Verdicts.Select(v => (JsonNode?)v.Perspective)]),
            ["verdicts"] = new JsonArray([.. result.Verdicts.Select(v => (JsonNode?)VerdictJson(v))]),
            ["summary"] = result.Synthesis.Summary,
            ["agreements"] = new JsonArray([.. result.Synthesis.Agreements.Select(a => (JsonNode?)a)]),
            ["open_concerns"] = new JsonArray([.. result.Synthesis.OpenConcerns.Select(a => (JsonNode?)a)]),
            ["disagreement"] = result.Disagreement.Value,
            ["disagreement_parts"] = new JsonObject
            {
                ["stance_dispersion"] = result.Disagreement.StanceDispersion,
                ["confidence_spread"] = result.Disagreement.ConfidenceSpread,
                ["assessment_distance"] = result.Disagreement.AssessmentDistance,
                ["formula"] = result.Disagreement.Formula,
            },
        };
        if (embeddings is not null) json["embeddings"] = embeddings;
        return json;
    }

    private static JsonObject VerdictJson(PerspectiveVerdict v) => new()
    {
        ["perspective"] = v.Perspective,
        ["assessment"] = v.Assessment,
        ["stance"] = v.Stance,
        ["stance_value"] = v.StanceValue,
        ["concerns"] = new JsonArray([.. v.Concerns.Select(c => (JsonNode?)c)]),
        ["confidence"] = v.Confidence,
    };

    /// <summary>The assessments' vectors, or null (and why) when embeddings are off or fail: the index then goes without them.</summary>
    private async Task<(IReadOnlyList<ReadOnlyMemory<float>>? Vectors, string Note)> EmbedAsync(List<PerspectiveVerdict> verdicts, CancellationToken cancellationToken)
    {
        if (_embeddings is null) return (null, "off");
        if (verdicts.Count < 2) return (null, "not needed");
        try
        {
            var vectors = await _embeddings.GenerateAsync(verdicts.Select(v => v.Assessment), cancellationToken: cancellationToken).ConfigureAwait(false);
            if (vectors.Count != verdicts.Count) return (null, $"failed: {vectors.Count} vectors for {verdicts.Count} assessments");
            return ([.. vectors.Select(v => v.Vector)], "on");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return (null, "failed: " + e.Message);
        }
    }

    private static string SubjectMessage(ReflectionSubject subject) =>
        $"Subject ({subject.Kind}{(subject.Id is null ? "" : " " + subject.Id)}):\n{subject.Text.TrimEnd()}";

    private static IReadOnlyList<ChatMessage> Prompt<T>(AgentSpec<T> spec, string user)
    {
        var system = new StringBuilder(spec.Instructions.Trim())
            .Append("\n\n## Output\nAnswer with one JSON object and nothing else: no prose, no Markdown code fences. It must match this JSON schema:\n")
            .Append(spec.SchemaText);
        return [new ChatMessage(ChatRole.System, system.ToString()), new ChatMessage(ChatRole.User, user)];
    }

    private static JsonObject Totals(string status, RunMeter meter, Stopwatch clock) => new()
    {
        ["status"] = status,
        ["prompt_tokens"] = meter.PromptTokens,
        ["completion_tokens"] = meter.CompletionTokens,
        ["total_tokens"] = meter.TotalTokens,
        ["budget_tokens"] = meter.BudgetTokens,
        ["cost"] = meter.Cost,
        ["model_calls"] = meter.Calls,
        ["usage_estimated"] = meter.Estimated,
        ["model_ms"] = Math.Round(meter.ModelMilliseconds, 2),
        ["elapsed_ms"] = Math.Round(clock.Elapsed.TotalMilliseconds, 2),
    };
}
