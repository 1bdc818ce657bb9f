using System.Security.Claims;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using MiniMe.Server.Auth;
using MiniMe.Hosting.Users;
using MiniMe.Tracing;

namespace MiniMe.Server.Endpoints;

/// <summary>A run as listed, with what the charts need: tokens, cost and elapsed time.</summary>
public sealed record RunView(
    string RunId,
    DateTimeOffset Started,
    string Task,
    string? Mode,
    string? Domain,
    string Status,
    int Events,
    long? TotalTokens,
    long? PromptTokens,
    long? CompletionTokens,
    double? Cost,
    double? ElapsedMs);

public sealed record TraceEventView(DateTimeOffset Timestamp, string EventType, JsonObject Data);

public sealed record RunDetail(RunView Run, IReadOnlyList<TraceEventView> Events);

internal static class RunEndpoints
{
    public static void Map(RouteGroupBuilder v1)
    {
        var runs = v1.MapGroup("/runs").WithTags("Runs and traces");
        runs.MapGet("/", (ClaimsPrincipal user, UserSpaces spaces, int? limit) =>
            {
                var traces = spaces.Get(user.UserId()).Traces;
                return TypedResults.Ok(traces.List(Limits.Clamp(limit, 50, 1000)).Select(r => View(r.RunId, traces.Read(r.RunId))).ToList());
            })
            .WithSummary("Your runs (chat turns and asks), newest first");
        runs.MapGet("/{id}", (string id, ClaimsPrincipal user, UserSpaces spaces) =>
                TypedResults.Ok(Detail(spaces.Get(user.UserId()).Traces, id, "GET /v1/runs lists yours")))
            .WithSummary("A run's trace: every event with its data").ProducesProblem(404);
    }

    /// <summary>A run's trace, every event with its data (as stored: redacted when written); <paramref name="where"/> says where run ids are listed.</summary>
    internal static RunDetail Detail(TraceStore traces, string id, string where)
    {
        if (!traces.Exists(id)) throw new NotFoundException($"No run '{id}'; {where}.");
        var events = traces.Read(id);
        return new RunDetail(View(id, events), [.. events.Select(e => new TraceEventView(e.Timestamp, e.EventType, e.Data))]);
    }

    /// <summary>The same reading of a trace as `minime runs`, plus the run_end totals.</summary>
    internal static RunView View(string runId, IReadOnlyList<TraceEvent> events)
    {
        var startEvent = events.FirstOrDefault(e => e.EventType == TraceEventTypes.TaskStart);
        var start = startEvent?.Data;
        var end = events.LastOrDefault(e => e.EventType == TraceEventTypes.RunEnd)?.Data;
        var status = Text(end, "status") ?? (events.Any(e => e.EventType == TraceEventTypes.Error) ? "error" : "incomplete");
        return new RunView(
            runId, startEvent?.Timestamp ?? events.FirstOrDefault()?.Timestamp ?? DateTimeOffset.MinValue,
            Text(start, "task") ?? "", Text(start, "mode"), Text(start, "domain"), status, events.Count,
            Long(end, "total_tokens"), Long(end, "prompt_tokens"), Long(end, "completion_tokens"),
            Number(end, "cost"), Number(end, "elapsed_ms"));
    }

    private static string? Text(JsonObject? data, string name) =>
        data?[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static long? Long(JsonObject? data, string name) =>
        data?[name] is JsonValue v && v.TryGetValue<long>(out var n) ? n : Number(data, name) is { } d ? (long)d : null;

    private static double? Number(JsonObject? data, string name) =>
        data?[name] is JsonValue v && v.TryGetValue<double>(out var d) ? d : null;
}
