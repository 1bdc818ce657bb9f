using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MiniMe.Tracing;

/// <summary>A run as listed by `minime runs`.</summary>
public sealed record RunSummary(string RunId, DateTimeOffset Started, string Task, string? Domain, int Events, string Status, long? TotalTokens);

/// <summary>
/// The traces directory: one JSONL file per run, one JSON object per line with timestamp,
/// event_type and data. Appends are whole lines, flushed immediately, so a crash leaves a
/// readable trace, and an append after a line torn by a crash starts on a new line
/// (<see cref="JsonLinesFile"/>); secrets are redacted before writing.
/// </summary>
public sealed class TraceStore(string directory, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public string Directory { get; } = Path.GetFullPath(directory);

    public string PathFor(string runId)
    {
        if (!RunId.IsValid(runId))
            throw new InvalidInputException($"'{runId}' is not a valid run id (letters, digits, '-' and '_' only).");
        return Path.Combine(Directory, runId + ".jsonl");
    }

    public bool Exists(string runId) => RunId.IsValid(runId) && File.Exists(PathFor(runId));

    /// <summary>Appends one event (redacted) to the run's trace.</summary>
    public TraceEvent Append(string runId, string eventType, JsonObject data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var path = PathFor(runId);
        System.IO.Directory.CreateDirectory(Directory);
        var redacted = (JsonObject)SecretRedactor.Redact(data.DeepClone())!;
        var traceEvent = new TraceEvent(_time.GetUtcNow(), eventType, redacted);
        var line = new JsonObject
        {
            ["timestamp"] = traceEvent.Timestamp.ToString("O", CultureInfo.InvariantCulture),
            ["event_type"] = eventType,
            ["data"] = redacted.DeepClone(),
        }.ToJsonString(JsonFormats.Line);
        JsonLinesFile.AppendLine(path, line);
        return traceEvent;
    }

    /// <summary>Reads a run's events; a torn line (crash mid-write) is skipped, not fatal, wherever it is.</summary>
    public IReadOnlyList<TraceEvent> Read(string runId)
    {
        var path = PathFor(runId);
        if (!File.Exists(path))
            throw new NotFoundException($"No run '{runId}' in {Directory}; `minime runs` lists the runs.");
        var events = new List<TraceEvent>();
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                if (JsonNode.Parse(line) is not JsonObject obj) continue;
                var timestamp = DateTimeOffset.Parse(obj["timestamp"]!.GetValue<string>(), CultureInfo.InvariantCulture);
                var type = obj["event_type"]!.GetValue<string>();
                var data = obj["data"] as JsonObject ?? new JsonObject();
                events.Add(new TraceEvent(timestamp, type, (JsonObject)data.DeepClone()));
            }
            catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or NullReferenceException)
            {
                // A partial line from an interrupted write: the rest of the trace is still useful.
            }
        }
        return events;
    }

    /// <summary>All runs, newest first.</summary>
    public IReadOnlyList<RunSummary> List(int limit = int.MaxValue)
    {
        if (!System.IO.Directory.Exists(Directory)) return [];
        return System.IO.Directory.EnumerateFiles(Directory, "*.jsonl")
            .Select(Path.GetFileNameWithoutExtension)
            .Where(RunId.IsValid)
            .OrderDescending(StringComparer.Ordinal)
            .Take(limit)
            .Select(id => Summarize(id!))
            .ToList();
    }

    private RunSummary Summarize(string runId)
    {
        var events = Read(runId);
        var start = events.FirstOrDefault(e => e.EventType == TraceEventTypes.TaskStart);
        var end = events.LastOrDefault(e => e.EventType == TraceEventTypes.RunEnd);
        var status = end?.Data["status"]?.GetValue<string>()
            ?? (events.Any(e => e.EventType == TraceEventTypes.Error) ? "error" : "incomplete");
        long? tokens = end?.Data["total_tokens"] is JsonValue t && t.TryGetValue<long>(out var n) ? n : null;
        return new RunSummary(
            runId,
            start?.Timestamp ?? events.FirstOrDefault()?.Timestamp ?? DateTimeOffset.MinValue,
            start?.Data["task"]?.GetValue<string>() ?? "",
            start?.Data["domain"]?.GetValue<string>(),
            events.Count,
            status,
            tokens);
    }
}
