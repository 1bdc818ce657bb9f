using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MiniMe.Tracing;

namespace MiniMe.Feedback;

/// <summary>A correction pair: what the user changed about a run, and optionally the corrected text.</summary>
public sealed record FeedbackEntry(DateTimeOffset Timestamp, string RunId, JsonNode Delta, string? Correction);

/// <summary>feedback.jsonl: append-only correction pairs; each is also appended to the run's trace.</summary>
public sealed class FeedbackStore(string path, TraceStore traces, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public string Path { get; } = System.IO.Path.GetFullPath(path);

    /// <summary>Parses a --delta argument; malformed JSON gives a one-line error with the position.</summary>
    public static JsonNode ParseDelta(string json)
    {
        if (string.IsNullOrWhiteSpace(json))
            throw new InvalidInputException("--delta is empty; pass a JSON object such as '{\"rigor\": 0.8}'.");
        try
        {
            return JsonNode.Parse(json) ?? throw new InvalidInputException("--delta is JSON null; pass a JSON object or value.");
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $" at line {line + 1}, position {e.BytePositionInLine + 1}" : "";
            throw new InvalidInputException($"--delta is not valid JSON{where}: {FirstSentence(e.Message)}", e);
        }
    }

    public FeedbackEntry Record(string runId, JsonNode delta, string? correction)
    {
        ArgumentNullException.ThrowIfNull(delta);
        if (!traces.Exists(runId))
            throw new NotFoundException($"No run '{runId}' in {traces.Location}; `minime runs` lists the runs.");
        var entry = new FeedbackEntry(_time.GetUtcNow(), runId, SecretRedactor.Redact(delta.DeepClone())!, correction);
        var line = new JsonObject
        {
            ["timestamp"] = entry.Timestamp.ToString("O", CultureInfo.InvariantCulture),
            ["run_id"] = runId,
            ["delta"] = entry.Delta.DeepClone(),
            ["correction"] = correction is null ? null : SecretRedactor.RedactText(correction),
        }.ToJsonString(JsonFormats.Line);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        JsonLinesFile.AppendLine(Path, line);
        traces.Append(runId, TraceEventTypes.Feedback, new JsonObject
        {
            ["delta"] = entry.Delta.DeepClone(),
            ["correction"] = correction,
        });
        return entry;
    }

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(". ", StringComparison.Ordinal);
        return cut > 0 ? message[..(cut + 1)] : message;
    }
}
