using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using MiniMe.Agents;
using MiniMe.Configuration;
using MiniMe.Tracing;

namespace MiniMe.Memory.Facts.Capture;

/// <summary>
/// What a turn or run said: <paramref name="Said"/> is the user's words (a chat message, a run's task),
/// <paramref name="Answer"/> what MiniMe answered (context for the model only), <paramref name="Origin"/> where it was said.
/// </summary>
public sealed record FactCaptureInput(string RunId, string Said, string? Answer, FactOrigin Origin, FactSource Source, RunMeter? Meter = null);

/// <summary>One proposal and what became of it: remembered (<see cref="Result"/>) or refused (<see cref="Error"/>).</summary>
public sealed record CapturedFact(ProposedFact Proposal, ImportanceFeatures Features, double Importance, RememberResult? Result, string? Error);

public enum FactCaptureStatus
{
    /// <summary>facts.capture is off: nothing was done.</summary>
    Off,
    /// <summary>Not attempted (no model configured); traced as fact_capture_skipped.</summary>
    Skipped,
    /// <summary>The extraction failed or answered nothing usable; traced as fact_capture_failed.</summary>
    Failed,
    /// <summary>The extraction answered; its proposals went through the fact service (traced as fact_capture).</summary>
    Captured,
}

public sealed record FactCaptureResult(FactCaptureStatus Status, IReadOnlyList<CapturedFact> Facts, string? Reason);

/// <summary>
/// Fact capture (docs/facts.md, "Capture"; facts.capture): after a chat turn or a run, the extraction model
/// proposes facts about the user (<see cref="FactExtractor"/>); each gets an importance computed in code
/// (<see cref="FactImportance"/>: novelty against the known facts, explicitness, recency, decision/emotional
/// weight) and goes through <see cref="FactService"/> with its origin: a repetition reinforces the known fact, a
/// contradiction supersedes it, anything uncertain waits in `minime facts review`. With facts.capture review every
/// new statement waits for review; with auto those below facts.captureConfidence do. Never throws but for
/// cancellation: a failure is traced (fact_capture_failed) and the turn or run goes on.
/// </summary>
public sealed class FactCapture(
    FactOptions options,
    Func<CancellationToken, Task<FactService>> facts,
    IChatClient? chat,
    TraceStore traces,
    int repairAttempts = 1,
    bool jsonResponseFormat = true)
{
    public const string NoModelReason = "no model is configured (llm.provider: none), so no facts are captured";

    public FactCaptureMode Mode => options.Capture;

    public async Task<FactCaptureResult> CaptureAsync(FactCaptureInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (options.Capture == FactCaptureMode.Off) return new FactCaptureResult(FactCaptureStatus.Off, [], null);
        if (chat is null)
        {
            traces.Append(input.RunId, TraceEventTypes.FactCaptureSkipped, new JsonObject { ["mode"] = Code(options.Capture), ["reason"] = NoModelReason });
            return new FactCaptureResult(FactCaptureStatus.Skipped, [], NoModelReason);
        }
        if (string.IsNullOrWhiteSpace(input.Said)) return Failed(input, "there is nothing the user said to capture from");
        try
        {
            var extraction = await new FactExtractor(chat, repairAttempts, jsonResponseFormat, options.MaxChars)
                .ExtractAsync(input.Said, input.Answer, input.RunId, traces, input.Meter, cancellationToken).ConfigureAwait(false);
            var service = await facts(cancellationToken).ConfigureAwait(false);
            var captured = new List<CapturedFact>();
            foreach (var proposal in extraction.Facts.Take(options.CaptureMaxFacts))
                captured.Add(await RememberAsync(service, input, proposal, cancellationToken).ConfigureAwait(false));
            traces.Append(input.RunId, TraceEventTypes.FactCapture, new JsonObject
            {
                ["mode"] = Code(options.Capture),
                ["origin"] = Origin(input.Origin),
                ["attempts"] = extraction.Attempts,
                ["repaired"] = extraction.Repairs.Count > 0,
                ["repairs"] = new JsonArray([.. extraction.Repairs.Select(r => (JsonNode?)r)]),
                ["proposed"] = extraction.Facts.Count,
                ["facts"] = new JsonArray([.. captured.Select(c => (JsonNode?)Describe(c))]),
            });
            return new FactCaptureResult(FactCaptureStatus.Captured, captured, null);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            return Failed(input, e is FactExtractionException ? e.Message : $"{e.GetType().Name}: {SecretRedactor.RedactText(e.Message)}");
        }
    }

    /// <summary>
    /// Traces fact_capture_skipped for a turn or run that called no model: with <paramref name="reason"/>, or when
    /// no model is configured, <see cref="NoModelReason"/>. Nothing when facts.capture is off.
    /// </summary>
    public void Skip(string runId, string? reason)
    {
        if (options.Capture == FactCaptureMode.Off) return;
        var why = chat is null ? NoModelReason : reason;
        if (why is null) return;
        traces.Append(runId, TraceEventTypes.FactCaptureSkipped, new JsonObject { ["mode"] = Code(options.Capture), ["reason"] = why });
    }

    private async Task<CapturedFact> RememberAsync(FactService service, FactCaptureInput input, ProposedFact proposal, CancellationToken cancellationToken)
    {
        // The explicitness and tense cues are read in the user's words the fact comes from, when the model quoted them.
        var said = proposal.Evidence is { } evidence && input.Said.Contains(evidence, StringComparison.OrdinalIgnoreCase) ? evidence : input.Said;
        ImportanceFeatures features;
        try
        {
            var similarity = await service.KnownSimilarityAsync(proposal.Text, cancellationToken).ConfigureAwait(false);
            features = FactImportance.Features(said, similarity, proposal.Explicit, proposal.DecisionWeight, proposal.EmotionalWeight);
        }
        catch (InvalidInputException e)
        {
            return new CapturedFact(proposal, new ImportanceFeatures(0, 0, 0, 0), 0, null, e.Message);
        }
        var importance = FactImportance.Score(features);
        var confidence = Math.Clamp(proposal.Confidence, 0, 1);
        var hold = options.Capture == FactCaptureMode.Review
            ? $"captured from {input.Origin} (facts.capture: review)"
            : confidence < options.CaptureConfidence
                ? string.Create(CultureInfo.InvariantCulture, $"captured from {input.Origin} with confidence {confidence:0.00}, below facts.captureConfidence {options.CaptureConfidence:0.00}")
                : null;
        try
        {
            var result = await service.RememberAsync(
                new RememberRequest(proposal.Text, proposal.Category, input.Source, confidence, importance, input.Origin, hold), cancellationToken).ConfigureAwait(false);
            return new CapturedFact(proposal, features, importance, result, null);
        }
        catch (Exception e) when (e is InvalidInputException or FactStateException)
        {
            return new CapturedFact(proposal, features, importance, null, e.Message);
        }
    }

    private FactCaptureResult Failed(FactCaptureInput input, string reason)
    {
        traces.Append(input.RunId, TraceEventTypes.FactCaptureFailed, new JsonObject
        {
            ["mode"] = Code(options.Capture),
            ["origin"] = Origin(input.Origin),
            ["reason"] = reason,
        });
        return new FactCaptureResult(FactCaptureStatus.Failed, [], reason);
    }

    private static JsonObject Describe(CapturedFact c) => new()
    {
        ["text"] = c.Proposal.Text,
        ["category"] = c.Proposal.Category,
        ["confidence"] = c.Proposal.Confidence,
        ["explicit"] = c.Proposal.Explicit,
        ["importance"] = c.Importance,
        ["novelty"] = Math.Round(c.Features.Novelty, 3),
        ["explicitness"] = Math.Round(c.Features.Explicitness, 3),
        ["recency"] = Math.Round(c.Features.Recency, 3),
        ["weight"] = Math.Round(c.Features.Weight, 3),
        ["outcome"] = c.Result is { } r ? r.Outcome.ToString().ToLowerInvariant() : "refused",
        ["fact_id"] = c.Result?.Fact.Id,
        ["review_id"] = c.Result?.Review?.Id,
        ["error"] = c.Error,
    };

    public static JsonObject Origin(FactOrigin origin)
    {
        ArgumentNullException.ThrowIfNull(origin);
        return new JsonObject { ["kind"] = origin.Kind, ["id"] = origin.Id, ["message_id"] = origin.MessageId, ["run_id"] = origin.RunId };
    }

    private static string Code(FactCaptureMode mode) => SettingValues.Name(mode);
}
