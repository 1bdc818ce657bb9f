using System.Text.Json.Nodes;

namespace MiniMe.Tracing;

/// <summary>One line of a trace file: when, what kind, and the event's data.</summary>
public sealed record TraceEvent(DateTimeOffset Timestamp, string EventType, JsonObject Data);
