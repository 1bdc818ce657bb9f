using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using MiniMe.Agents.Json;
using MiniMe.Context;
using MiniMe.Tracing;

namespace MiniMe.Agents;

/// <summary>Where one agent call belongs: the run, the round, the sampling temperature, and who listens.</summary>
public sealed record AgentCallScope(string RunId, int Iteration, double Temperature, RunMeter Meter, TeamObserver? Observer);

/// <summary>
/// Calls the model for one agent and returns schema-valid output: streams the answer to the
/// observer, accounts tokens and cost against the run, repairs the JSON deterministically, and
/// re-asks with the validation errors up to the retry limit; then <see cref="AgentOutputException"/>.
/// Each model call is one agent_call trace event.
/// </summary>
public sealed class AgentInvoker(IChatClient chat, AgentTeamOptions options, TraceStore traces, ITokenCounter tokenCounter)
{
    /// <summary>Longest raw answer kept in a trace event for an invalid answer.</summary>
    private const int RawTraceChars = 8000;

    public async Task<AgentOutcome<T>> InvokeAsync<T>(AgentSpec<T> spec, IReadOnlyList<ChatMessage> prompt, AgentCallScope scope, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(scope);
        var messages = new List<ChatMessage>(prompt);
        var calls = new List<AgentCallRecord>();
        IReadOnlyList<string> errors = [];
        for (var attempt = 0; attempt <= options.MaxRepairAttempts; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (text, record, json) = await CallAsync(spec, messages, scope, attempt, cancellationToken).ConfigureAwait(false);
            calls.Add(record);
            scope.Meter.EnsureWithinBudget(spec.Name);
            if (record.Valid) return new AgentOutcome<T>(spec.Read(json!), json!, calls);
            errors = record.Errors;
            messages.Add(new ChatMessage(ChatRole.Assistant, text));
            messages.Add(new ChatMessage(ChatRole.User,
                "Your answer could not be used:\n- " + string.Join("\n- ", errors) +
                "\nReply again with only the corrected JSON object matching the schema: no prose, no code fences."));
        }
        throw new AgentOutputException(spec.Name, options.MaxRepairAttempts + 1, errors);
    }

    private async Task<(string Text, AgentCallRecord Record, JsonObject? Json)> CallAsync<T>(
        AgentSpec<T> spec, List<ChatMessage> messages, AgentCallScope scope, int attempt, CancellationToken cancellationToken)
    {
        var promptEstimate = messages.Sum(m => tokenCounter.Count(m.Text) + 4);
        var chatOptions = new ChatOptions
        {
            ModelId = options.Model,
            Temperature = (float)(options.Temperature ?? scope.Temperature),
            MaxOutputTokens = scope.Meter.AnswerCap(spec.Name, promptEstimate, options.MaxOutputTokens),
            ResponseFormat = options.JsonResponseFormat ? ChatResponseFormat.Json : null,
        };
        await Notify(scope, new AgentStarted(spec.Name, scope.Iteration, attempt), cancellationToken).ConfigureAwait(false);

        var updates = new List<ChatResponseUpdate>();
        var clock = Stopwatch.StartNew();
        try
        {
            await foreach (var update in chat.GetStreamingResponseAsync(messages, chatOptions, cancellationToken).ConfigureAwait(false))
            {
                updates.Add(update);
                if (update.Text is { Length: > 0 } delta)
                    await Notify(scope, new AgentDelta(spec.Name, delta), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            var partial = updates.ToChatResponse();
            traces.Append(scope.RunId, TraceEventTypes.AgentCall, new JsonObject
            {
                ["agent"] = spec.Name,
                ["model"] = partial.ModelId ?? options.Model,
                ["iteration"] = scope.Iteration,
                ["retries"] = attempt,
                ["latency_ms"] = Math.Round(clock.Elapsed.TotalMilliseconds, 2),
                ["status"] = e is OperationCanceledException ? "cancelled" : "failed",
                ["error"] = e is OperationCanceledException ? null : e.Message,
                ["partial_output"] = Truncate(partial.Text),
            });
            throw;
        }
        var latency = clock.Elapsed.TotalMilliseconds;
        var response = updates.ToChatResponse();
        var text = response.Text;

        var reportedPrompt = response.Usage?.InputTokenCount;
        var reportedCompletion = response.Usage?.OutputTokenCount;
        var estimated = reportedPrompt is null || reportedCompletion is null;
        var promptTokens = reportedPrompt ?? promptEstimate;
        var completionTokens = reportedCompletion ?? tokenCounter.Count(text);
        var model = response.ModelId ?? options.Model;
        var cost = options.Prices.Cost(model, promptTokens, completionTokens);
        scope.Meter.Add(spec.Name, promptTokens, completionTokens, cost, estimated, latency);

        var read = JsonRepair.Read(text);
        IReadOnlyList<string> errors = read.Error is { } parseError ? [parseError] : spec.Validate(read.Value!);
        if (errors.Count == 0)
        {
            try
            {
                spec.Read(read.Value!);
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
            {
                errors = [$"$: {e.Message}"];
            }
        }
        var valid = errors.Count == 0;
        var record = new AgentCallRecord(spec.Name, model, scope.Iteration, attempt, promptTokens, completionTokens, estimated,
            Math.Round(latency, 2), cost, valid, read.Repairs, errors);

        traces.Append(scope.RunId, TraceEventTypes.AgentCall, new JsonObject
        {
            ["agent"] = spec.Name,
            ["model"] = model,
            ["iteration"] = scope.Iteration,
            ["retries"] = attempt,
            ["prompt_tokens"] = promptTokens,
            ["completion_tokens"] = completionTokens,
            ["usage_estimated"] = estimated,
            ["latency_ms"] = record.LatencyMs,
            ["cost"] = cost ?? 0m,
            ["priced"] = cost is not null,
            ["temperature"] = chatOptions.Temperature is { } t ? Math.Round(t, 4) : null,
            ["max_output_tokens"] = chatOptions.MaxOutputTokens,
            ["finish_reason"] = response.FinishReason?.Value,
            ["valid"] = valid,
            ["repaired"] = read.Repairs.Count > 0,
            ["repairs"] = new JsonArray([.. read.Repairs.Select(r => (JsonNode?)r)]),
            ["errors"] = new JsonArray([.. errors.Select(r => (JsonNode?)r)]),
            ["output"] = valid ? read.Value!.DeepClone() : Truncate(text),
        });
        await Notify(scope, new AgentFinished(record), cancellationToken).ConfigureAwait(false);
        return (text, record, valid ? read.Value : null);
    }

    private static ValueTask Notify(AgentCallScope scope, TeamEvent e, CancellationToken cancellationToken) =>
        scope.Observer is { } observer ? observer(e, cancellationToken) : ValueTask.CompletedTask;

    private static string Truncate(string text) => text.Length <= RawTraceChars ? text : text[..RawTraceChars] + $"… ({text.Length - RawTraceChars} more characters)";
}
