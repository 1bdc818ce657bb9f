using System.Globalization;
using System.Text.Json.Nodes;
using MiniMe.Tracing;

namespace MiniMe.Replay;

/// <summary>
/// The trace log of a replay: the replayed run's lines go to <paramref name="inner"/> (the replay's own
/// folder), with what a clock measured taken from the recorded trace: line N's <c>timestamp</c>, and
/// every duration in its data (keys <c>ms</c> or ending in <c>_ms</c>, at any depth) found at the same
/// place in the recorded line N, when line N is the same kind of event. Everything else is what the
/// replay computed, so two traces that differ anywhere else differ in bytes.
/// </summary>
public sealed class ReplayTraceLog(ITraceLog inner, string runId, IReadOnlyList<string> recorded) : ITraceLog, IAsyncDisposable
{
    private readonly Lock _gate = new();
    private int _next;

    public string Location => inner.Location;

    public string LocationOf(string runId) => inner.LocationOf(runId);

    public bool Exists(string runId) => inner.Exists(runId);

    public void Append(string runId1, string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        lock (_gate)
        {
            var n = runId1 == runId ? _next++ : -1;
            inner.Append(runId1, n >= 0 && n < recorded.Count ? Overlay(line, recorded[n]) : line);
        }
    }

    public void Flush(string runId1) => inner.Flush(runId1);

    public ValueTask FlushAsync(string runId1, CancellationToken cancellationToken = default) => inner.FlushAsync(runId1, cancellationToken);

    public IReadOnlyList<string>? ReadLines(string runId1) => inner.ReadLines(runId1);

    public IEnumerable<string> RunIds() => inner.RunIds();

    public ValueTask DisposeAsync() => inner is IAsyncDisposable d ? d.DisposeAsync() : ValueTask.CompletedTask;

    /// <summary>True for the data keys that hold a measured duration.</summary>
    public static bool IsDuration(string key) => key == "ms" || key.EndsWith("_ms", StringComparison.Ordinal);

    private static string Overlay(string line, string original)
    {
        try
        {
            if (JsonNode.Parse(line) is not JsonObject replayed || JsonNode.Parse(original) is not JsonObject recorded) return line;
            if (replayed["event_type"]?.ToString() != recorded["event_type"]?.ToString()) return line;
            if (recorded["timestamp"] is JsonValue stamp && DateTimeOffset.TryParse(stamp.ToString(), CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
                replayed["timestamp"] = stamp.ToString();
            if (replayed["data"] is JsonNode data && recorded["data"] is JsonNode was) Durations(data, was);
            return replayed.ToJsonString(JsonFormats.Line);
        }
        catch (System.Text.Json.JsonException)
        {
            return line;
        }
    }

    private static void Durations(JsonNode now, JsonNode was)
    {
        switch (now)
        {
            case JsonObject obj when was is JsonObject before:
                foreach (var key in obj.Select(p => p.Key).ToList())
                {
                    if (!before.TryGetPropertyValue(key, out var old)) continue;
                    if (IsDuration(key) && obj[key] is null or JsonValue && old is null or JsonValue) obj[key] = old?.DeepClone();
                    else if (obj[key] is { } child && old is not null) Durations(child, old);
                }
                break;
            case JsonArray array when was is JsonArray before:
                for (var i = 0; i < Math.Min(array.Count, before.Count); i++)
                    if (array[i] is { } child && before[i] is { } old) Durations(child, old);
                break;
        }
    }
}

/// <summary>Where two traces first differ, line by line.</summary>
public static class TraceComparison
{
    /// <summary>The 0-based line where they first differ; null when identical.</summary>
    public static int? FirstDifference(IReadOnlyList<string> original, IReadOnlyList<string> replayed)
    {
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(replayed);
        for (var i = 0; i < Math.Max(original.Count, replayed.Count); i++)
            if (i >= original.Count || i >= replayed.Count || !string.Equals(original[i], replayed[i], StringComparison.Ordinal)) return i;
        return null;
    }

    /// <summary>The lines a replay reproduces: up to and including the first run_end (what follows it, approvals and executions, is never replayed).</summary>
    public static IReadOnlyList<string> Replayable(IReadOnlyList<string> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var kept = new List<string>();
        foreach (var line in lines)
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            kept.Add(line);
            if (EventType(line) == TraceEventTypes.RunEnd) break;
        }
        return kept;
    }

    public static string? EventType(string line)
    {
        try
        {
            return (JsonNode.Parse(line) as JsonObject)?["event_type"]?.ToString();
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
