using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MiniMe.Tracing;

/// <summary>A run as listed by `minime runs`.</summary>
public sealed record RunSummary(string RunId, DateTimeOffset Started, string Task, string? Domain, int Events, string Status, long? TotalTokens);

/// <summary>
/// Run traces: one JSON object per line with timestamp, event_type and data, kept by an
/// <see cref="ITraceLog"/> (by default one JSONL file per run in the traces folder). Appends are
/// whole lines, written at once, so a crash leaves a readable trace; secrets are redacted before
/// writing. <see cref="Append"/> returns once the event is durable (on disk); <see cref="AppendBatched"/>
/// returns once it is written (a crash of the process loses nothing the OS has) and leaves the fsync to
/// the log's group commit, made durable by the run's next durable append or <see cref="FlushAsync"/>
/// (the agent team flushes before it hands over its proposals and before it returns).
/// </summary>
public sealed class TraceStore(ITraceLog log, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>The traces folder given: one file per run.</summary>
    public TraceStore(string directory, TimeProvider? time = null) : this(new FileTraceLog(directory), time)
    {
    }

    /// <summary>Where the traces are, for messages: the folder, or the database table.</summary>
    public string Location => log.Location;

    /// <summary>Where the runs' model calls are recorded for `minime replay` (docs/replay.md); null: not recorded.</summary>
    public MiniMe.Replay.ModelCallRecordings? Recordings { get; init; }

    /// <summary>Where one run's trace is (its file, when traces are files).</summary>
    public string PathFor(string runId) => log.LocationOf(Valid(runId));

    public bool Exists(string runId) => RunId.IsValid(runId) && log.Exists(runId);

    private static string Valid(string runId) => RunId.IsValid(runId)
        ? runId
        : throw new InvalidInputException($"'{runId}' is not a valid run id (letters, digits, '-' and '_' only).");

    /// <summary>Appends one event (redacted) to the run's trace; durable (with every earlier event of the run) when this returns.</summary>
    public TraceEvent Append(string runId, string eventType, JsonObject data)
    {
        var traceEvent = AppendBatched(runId, eventType, data);
        log.Flush(runId);
        return traceEvent;
    }

    /// <summary>
    /// Appends one event (redacted) to the run's trace without waiting for the disk: written (in order)
    /// when this returns, durable after the run's next <see cref="Append"/>, <see cref="Flush"/> or
    /// <see cref="FlushAsync"/> (and usually sooner: the file log fsyncs in the background).
    /// </summary>
    public TraceEvent AppendBatched(string runId, string eventType, JsonObject data)
    {
        ArgumentNullException.ThrowIfNull(data);
        Valid(runId);
        var redacted = (JsonObject)SecretRedactor.Redact(data.DeepClone())!;
        var traceEvent = new TraceEvent(_time.GetUtcNow(), eventType, redacted);
        var line = new JsonObject
        {
            ["timestamp"] = traceEvent.Timestamp.ToString("O", CultureInfo.InvariantCulture),
            ["event_type"] = eventType,
            ["data"] = redacted.DeepClone(),
        }.ToJsonString(JsonFormats.Line);
        log.Append(runId, line);
        return traceEvent;
    }

    /// <summary>Returns when every event appended to the run before the call is durable.</summary>
    public void Flush(string runId) => log.Flush(Valid(runId));

    /// <summary>Completes when every event appended to the run before the call is durable.</summary>
    public ValueTask FlushAsync(string runId, CancellationToken cancellationToken = default) => log.FlushAsync(Valid(runId), cancellationToken);

    /// <summary>A run's lines exactly as stored (`minime replay` compares them byte for byte); null when there is no such run.</summary>
    public IReadOnlyList<string>? ReadLines(string runId) => log.ReadLines(Valid(runId));

    /// <summary>Reads a run's events; a torn line (crash mid-write) is skipped, not fatal, wherever it is.</summary>
    public IReadOnlyList<TraceEvent> Read(string runId)
    {
        var lines = log.ReadLines(Valid(runId))
            ?? throw new NotFoundException($"No run '{runId}' in {Location}; `minime runs` lists the runs.");
        var events = new List<TraceEvent>();
        foreach (var line in lines)
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
        return log.RunIds()
            .Where(RunId.IsValid)
            .OrderDescending(StringComparer.Ordinal)
            .Take(limit)
            .Select(Summarize)
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
