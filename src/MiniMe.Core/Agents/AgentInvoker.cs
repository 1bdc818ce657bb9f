using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using MiniMe.Agents.Json;
using MiniMe.ModelCalls;
using MiniMe.Tracing;

namespace MiniMe.Agents;

/// <summary>Where one agent call belongs: the run, the round, the sampling temperature, and who listens.</summary>
public sealed record AgentCallScope(string RunId, int Iteration, double Temperature, RunMeter Meter, TeamObserver? Observer);

/// <summary>
/// Calls the model for one agent and returns schema-valid output: validate, repair the JSON
/// deterministically, and re-ask with the validation errors up to the retry limit; then
/// <see cref="AgentOutputException"/>. Each attempt is one model call through the model pipeline
/// (<see cref="ModelPipeline"/>), which budgets, prices, traces (agent_call) and measures it; the
/// invoker describes the call (<see cref="ModelCall.Begin"/>), streams its text to the observer, and
/// traces what it made of the answer as agent_output. With a toolbox (and agents.tools on, and the
/// agent's spec using tools), the call offers the read-only tools through function invocation
/// (<see cref="FunctionInvokingChatClient"/> around the pipeline: each round trip is its own agent_call),
/// bounded and traced by <see cref="AgentToolSession"/>; a model that answers without calling a tool
/// is used as before.
/// </summary>
public sealed class AgentInvoker
{
    private readonly IChatClient _chat;
    private readonly AgentTeamOptions _options;
    private readonly TraceStore _traces;
    private readonly IAgentToolbox? _tools;
    private readonly IChatClient? _withTools;
    private volatile bool _toolsRejected;

    /// <summary>The calls of tools that only propose, per run, waiting to join the run's proposals.</summary>
    public ProposedToolCalls Proposed { get; }

    /// <param name="chat">A client built with the model pipeline (<see cref="ModelPipeline.Build"/>).</param>
    /// <param name="tools">The read-only tools agents may call while they think; null: none.</param>
    /// <param name="proposed">Where calls of tools that only propose are kept (shared by the invokers of one run); null: this invoker's own.</param>
    public AgentInvoker(IChatClient chat, AgentTeamOptions options, TraceStore traces, IAgentToolbox? tools = null, ProposedToolCalls? proposed = null)
    {
        Proposed = proposed ?? new();
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(traces);
        _chat = ModelPipeline.Require(chat, nameof(AgentInvoker));
        _options = options;
        _traces = traces;
        if (tools is not null && options.ReadOnlyTools && options.MaxToolCalls > 0)
        {
            _tools = tools;
            // One more round trip than calls: over the limit the model is told to answer, and then it must.
            _withTools = new FunctionInvokingChatClient(_chat) { MaximumIterationsPerRequest = options.MaxToolCalls + 1, AllowConcurrentInvocation = false };
        }
    }

    public async Task<AgentOutcome<T>> InvokeAsync<T>(AgentSpec<T> spec, IReadOnlyList<ChatMessage> prompt, AgentCallScope scope, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(scope);
        var messages = new List<ChatMessage>(prompt);
        var calls = new List<AgentCallRecord>();
        IReadOnlyList<string> errors = [];
        for (var attempt = 0; attempt <= _options.MaxRepairAttempts; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (text, record, json) = await CallAsync(spec, messages, scope, attempt, cancellationToken).ConfigureAwait(false);
            calls.Add(record);
            if (record.Valid) return new AgentOutcome<T>(spec.Read(json!), json!, calls);
            errors = record.Errors;
            messages.Add(new ChatMessage(ChatRole.Assistant, text));
            messages.Add(new ChatMessage(ChatRole.User,
                "Your answer could not be used:\n- " + string.Join("\n- ", errors) +
                "\nReply again with only the corrected JSON object matching the schema: no prose, no code fences."));
        }
        throw new AgentOutputException(spec.Name, _options.MaxRepairAttempts + 1, errors);
    }

    private async Task<(string Text, AgentCallRecord Record, JsonObject? Json)> CallAsync<T>(
        AgentSpec<T> spec, List<ChatMessage> messages, AgentCallScope scope, int attempt, CancellationToken cancellationToken)
    {
        var chatOptions = new ChatOptions
        {
            ModelId = _options.Model,
            Temperature = (float)(_options.Temperature ?? scope.Temperature),
            MaxOutputTokens = _options.MaxOutputTokens, // the pipeline caps it to the budget left
            ResponseFormat = _options.JsonResponseFormat ? ChatResponseFormat.Json : null,
        };
        var session = _tools is not null && spec.UsesTools && !_toolsRejected ? new AgentToolSession(_tools, _options, _traces, scope.RunId, spec.Name, Proposed) : null;
        if (session is not null)
        {
            chatOptions.Tools = [.. session.Functions];
            chatOptions.ToolMode = ChatToolMode.Auto;
        }
        using var call = ModelCall.Begin(new ModelCallInfo(scope.RunId, spec.Name, scope.Iteration, attempt, _traces, scope.Meter));
        await Notify(scope, new AgentStarted(spec.Name, scope.Iteration, attempt), cancellationToken).ConfigureAwait(false);

        var answer = new StringBuilder();
        async Task StreamAsync(IChatClient client)
        {
            await foreach (var update in client.GetStreamingResponseAsync(messages, chatOptions, cancellationToken).ConfigureAwait(false))
            {
                if (session is not null && ToolTraffic(session, update)) answer.Clear(); // the answer is what follows the last tool result
                if (update.Text is not { Length: > 0 } delta) continue;
                answer.Append(delta);
                await Notify(scope, new AgentDelta(spec.Name, delta), cancellationToken).ConfigureAwait(false);
            }
        }
        try
        {
            await StreamAsync(session is null ? _chat : _withTools!).ConfigureAwait(false);
        }
        catch (Exception e) when (session is not null && answer.Length == 0 && session.Calls == 0 && !cancellationToken.IsCancellationRequested && RejectsTools(e))
        {
            // A model without tool support (Ollama: "does not support tools", HTTP 400): asked again without tools, and not offered them again.
            _toolsRejected = true;
            session.Rejected(e.Message);
            chatOptions = chatOptions.Clone();
            chatOptions.Tools = null;
            chatOptions.ToolMode = null;
            session = null;
            await StreamAsync(_chat).ConfigureAwait(false);
        }
        var text = answer.ToString();

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
        var record = new AgentCallRecord(spec.Name, call.Model ?? _options.Model, scope.Iteration, attempt, call.PromptTokens, call.CompletionTokens,
            call.UsageEstimated, call.LatencyMs, call.Cost, valid, read.Repairs, errors, call.HttpRetries);

        _traces.AppendBatched(scope.RunId, TraceEventTypes.AgentOutput, new JsonObject
        {
            ["agent"] = spec.Name,
            ["iteration"] = scope.Iteration,
            ["attempt"] = attempt,
            ["valid"] = valid,
            ["repaired"] = read.Repairs.Count > 0,
            ["repairs"] = new JsonArray([.. read.Repairs.Select(r => (JsonNode?)r)]),
            ["errors"] = new JsonArray([.. errors.Select(r => (JsonNode?)r)]),
            ["output"] = valid ? read.Value!.DeepClone() : ModelCallTraceChatClient.Truncate(text),
        });
        await Notify(scope, new AgentFinished(record), cancellationToken).ConfigureAwait(false);
        return (text, record, valid ? read.Value : null);
    }

    /// <summary>An HTTP 400 (or a provider saying it does not support tools) to a request that offered tools.</summary>
    private static bool RejectsTools(Exception error)
    {
        for (var e = error; e is not null; e = e.InnerException)
            if (e is HttpRequestException { StatusCode: System.Net.HttpStatusCode.BadRequest } ||
                e.Message.Contains("HTTP 400", StringComparison.Ordinal) || e.Message.Contains("support tools", StringComparison.OrdinalIgnoreCase))
                return true;
        return false;
    }

    /// <summary>Traces calls of functions that were not offered; true when the update carries tool results.</summary>
    private static bool ToolTraffic(AgentToolSession session, ChatResponseUpdate update)
    {
        var results = false;
        foreach (var content in update.Contents)
        {
            if (content is FunctionCallContent requested && !session.Offered.Contains(requested.Name)) session.NotOffered(requested);
            results |= content is FunctionResultContent;
        }
        return results;
    }

    private static ValueTask Notify(AgentCallScope scope, TeamEvent e, CancellationToken cancellationToken) =>
        scope.Observer is { } observer ? observer(e, cancellationToken) : ValueTask.CompletedTask;
}
