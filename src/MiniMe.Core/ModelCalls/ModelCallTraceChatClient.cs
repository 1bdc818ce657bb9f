using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using MiniMe.Tracing;

namespace MiniMe.ModelCalls;

/// <summary>
/// The trace: one agent_call event per model call, when it ends, in the run's trace
/// (<see cref="ModelCallInfo.RunId"/> in <see cref="ModelCallInfo.Traces"/>): agent, model, round,
/// schema re-ask (<c>retries</c>), HTTP retries (<c>http_retries</c>), tokens and whether they were
/// estimated, cost, latency, time to first token, the options asked with, the finish reason and the
/// status; a failed or cancelled call also carries its error and the output that arrived.
/// </summary>
public sealed class ModelCallTraceChatClient(IChatClient innerClient) : ModelCallChatClient(innerClient)
{
    /// <summary>Longest partial output kept in a trace event.</summary>
    public const int MaxTraceChars = 8000;

    protected override void OnFinished(ModelCall call)
    {
        var info = call.Info;
        if (info.Traces is null || info.RunId is null) return;
        var data = new JsonObject
        {
            ["agent"] = info.Agent,
            ["model"] = call.Model,
            ["model_name"] = call.ModelName,
            ["iteration"] = info.Iteration,
            ["retries"] = info.Attempt,
            ["http_retries"] = call.HttpRetries,
            ["status"] = Status(call.Status),
            ["prompt_tokens"] = call.PromptTokens,
            ["completion_tokens"] = call.CompletionTokens,
            ["usage_estimated"] = call.UsageEstimated,
            ["cost"] = call.Cost ?? 0m,
            ["priced"] = call.Priced,
            ["latency_ms"] = call.LatencyMs,
            ["streamed"] = call.Streamed,
            ["first_token_ms"] = call.FirstTokenMs is { } first ? Math.Round(first, 2) : null,
            ["temperature"] = call.Temperature is { } t ? Math.Round(t, 4) : null,
            ["max_output_tokens"] = call.MaxOutputTokens,
            ["finish_reason"] = call.FinishReason,
            ["answer_chars"] = call.Output.Length,
        };
        if (call.Status != ModelCallStatus.Completed)
        {
            data["error"] = call.Error;
            data["partial_output"] = Truncate(call.Output);
        }
        if (info.TraceData is { } extra)
            foreach (var (key, value) in extra) data[key] = value?.DeepClone();
        info.Traces.AppendBatched(info.RunId, TraceEventTypes.AgentCall, data);
    }

    public static string Status(ModelCallStatus status) => status switch
    {
        ModelCallStatus.Completed => "completed",
        ModelCallStatus.Failed => "failed",
        ModelCallStatus.Cancelled => "cancelled",
        _ => "pending",
    };

    /// <summary>Text for a trace event: at most <see cref="MaxTraceChars"/> characters, saying how many more there were.</summary>
    public static string Truncate(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Length <= MaxTraceChars ? text : text[..MaxTraceChars] + $"… ({text.Length - MaxTraceChars} more characters)";
    }
}
