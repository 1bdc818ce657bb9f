using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using MiniMe.Agents;
using MiniMe.Tracing;

namespace MiniMe.ModelCalls;

/// <summary>
/// Who makes a model call and where it belongs: the run, the agent (architect, builder, critic,
/// integrator, chat, summarizer, ...), the Builder/Critic round, the schema re-ask attempt, the
/// trace to write its agent_call to and the run's meter (budget) when it has one.
/// </summary>
/// <param name="RunId">The run the call belongs to; with <paramref name="Traces"/>, where its agent_call goes.</param>
/// <param name="Attempt">0 for the first ask, then 1, 2, ... for re-asks after invalid output (agent_call's <c>retries</c>).</param>
/// <param name="Meter">The run's token meter and budget; null: no budget, nothing added up.</param>
public sealed record ModelCallInfo(
    string? RunId,
    string Agent,
    int Iteration = 0,
    int Attempt = 0,
    TraceStore? Traces = null,
    RunMeter? Meter = null)
{
    /// <summary>The agent name of a call made without <see cref="ModelCall.Begin"/>.</summary>
    public const string UnattributedAgent = "unattributed";

    /// <summary>Extra fields for the call's agent_call event (e.g. summarized_messages).</summary>
    public JsonObject? TraceData { get; init; }
}

public enum ModelCallStatus
{
    /// <summary>Not made yet, or still running.</summary>
    Pending,
    Completed,
    Failed,
    /// <summary>Cancelled, or a stream its reader stopped before the end.</summary>
    Cancelled,
}

/// <summary>
/// The ambient description of one model call, set by the caller around it
/// (<c>using var call = ModelCall.Begin(new ModelCallInfo(...))</c>) and flowing with the async
/// context (AsyncLocal, never in <see cref="ChatOptions.AdditionalProperties"/>, which providers may
/// send). The model-call decorators (<see cref="ModelCallChatClient"/>) read who is calling from
/// <see cref="Info"/> and leave here what happened: model, tokens, cost, latency, first token, finish
/// reason, HTTP retries, status, error and output. One scope describes one model call at a time; a
/// second call in the same scope replaces the results of the first.
/// </summary>
public sealed class ModelCall : IDisposable
{
    private static readonly AsyncLocal<ModelCall?> s_current = new();

    private readonly ModelCall? _previous;
    private int _depth;
    private int _httpRetries;
    private long _started;
    private bool _recorded;

    private ModelCall(ModelCallInfo info, ModelCall? previous)
    {
        Info = info;
        _previous = previous;
    }

    /// <summary>The call being described in this async context, if any.</summary>
    public static ModelCall? Current => s_current.Value;

    /// <summary>Describes the model call(s) made in this async context until disposed.</summary>
    public static ModelCall Begin(ModelCallInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        var call = new ModelCall(info, s_current.Value);
        s_current.Value = call;
        return call;
    }

    /// <summary>Counts an HTTP retry (a 429/5xx/timeout answered by trying again) on the current call.</summary>
    public static void CountHttpRetry()
    {
        if (s_current.Value is { } call) Interlocked.Increment(ref call._httpRetries);
    }

    public ModelCallInfo Info { get; }

    public ModelCallStatus Status { get; private set; }

    /// <summary>The named model (llm.models, or <c>default</c>) the call went to, as the router chose it and fallbacks changed it; null without a router.</summary>
    public string? ModelName { get; internal set; }

    /// <summary>The model that answered (or was asked, when the call failed).</summary>
    public string? Model { get; internal set; }

    public long PromptTokens { get; internal set; }
    public long CompletionTokens { get; internal set; }
    public long TotalTokens => PromptTokens + CompletionTokens;

    /// <summary>True when the tokens were counted with the local tokenizer because the server reported none.</summary>
    public bool UsageEstimated { get; internal set; }

    /// <summary>USD from llm.prices, or null when the model is not in the price table.</summary>
    public decimal? Cost { get; internal set; }

    public bool Priced => Cost is not null;

    public double LatencyMs { get; private set; }

    /// <summary>Streams: milliseconds from the request to the first text.</summary>
    public double? FirstTokenMs { get; private set; }

    public string? FinishReason { get; private set; }

    public int HttpRetries => Volatile.Read(ref _httpRetries);

    public bool Streamed { get; private set; }

    /// <summary>The options the model was asked with (after the budget capped the answer).</summary>
    public float? Temperature { get; private set; }
    public int? MaxOutputTokens { get; private set; }

    /// <summary>The failure, secrets redacted; null unless <see cref="Status"/> is Failed.</summary>
    public string? Error { get; private set; }

    /// <summary>The failure's exception type name; null unless <see cref="Status"/> is Failed.</summary>
    public string? ErrorType { get; private set; }

    /// <summary>The answer's text: whole when completed, what arrived before the end otherwise.</summary>
    public string Output { get; private set; } = "";

    /// <summary>Usage as the server reported it (null fields: not reported).</summary>
    public long? ReportedPromptTokens { get; private set; }
    public long? ReportedCompletionTokens { get; private set; }

    /// <summary>The messages the model was sent (for estimating usage).</summary>
    internal IReadOnlyList<ChatMessage> Messages { get; private set; } = [];

    public void Dispose()
    {
        if (ReferenceEquals(s_current.Value, this)) s_current.Value = _previous;
    }

    /// <summary>Called by each decorator as it starts the call: the current call, or a new unattributed one (<paramref name="owned"/>).</summary>
    internal static ModelCall Enter(out bool owned)
    {
        var call = s_current.Value;
        owned = call is null;
        if (call is null)
        {
            call = new ModelCall(new ModelCallInfo(null, ModelCallInfo.UnattributedAgent), null);
            s_current.Value = call;
        }
        if (call._depth++ == 0) call.Reset();
        return call;
    }

    internal void Exit(bool owned)
    {
        _depth--;
        if (owned && ReferenceEquals(s_current.Value, this)) s_current.Value = null;
    }

    private void Reset()
    {
        Status = ModelCallStatus.Pending;
        Model = null;
        PromptTokens = CompletionTokens = 0;
        ReportedPromptTokens = ReportedCompletionTokens = null;
        UsageEstimated = false;
        Cost = null;
        LatencyMs = 0;
        FirstTokenMs = null;
        FinishReason = null;
        Error = ErrorType = null;
        Output = "";
        Volatile.Write(ref _httpRetries, 0);
        _recorded = false;
        _started = Stopwatch.GetTimestamp();
    }

    /// <summary>The request is going to the next client; the innermost decorator's call wins (its clock is the model's).</summary>
    internal void Sending(IEnumerable<ChatMessage> messages, ChatOptions? options, bool streamed, string? defaultModel)
    {
        Messages = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        Streamed = streamed;
        Temperature = options?.Temperature;
        MaxOutputTokens = options?.MaxOutputTokens;
        Model = options?.ModelId ?? defaultModel ?? Model;
        _started = Stopwatch.GetTimestamp();
    }

    internal void Received(ChatResponseUpdate update)
    {
        if (FirstTokenMs is null && update.Text.Length > 0) FirstTokenMs = Elapsed();
    }

    /// <summary>The model answered; the first decorator to see the end records it.</summary>
    internal void Completed(ChatResponse response)
    {
        if (!Record()) return;
        Status = ModelCallStatus.Completed;
        Take(response);
    }

    /// <summary>What the (whole or partial) answer says: model, finish reason, text and the usage the server reported.</summary>
    private void Take(ChatResponse response)
    {
        Model = response.ModelId ?? Model;
        FinishReason = response.FinishReason?.Value;
        Output = response.Text;
        ReportedPromptTokens = response.Usage?.InputTokenCount;
        ReportedCompletionTokens = response.Usage?.OutputTokenCount;
        PromptTokens = ReportedPromptTokens ?? 0;
        CompletionTokens = ReportedCompletionTokens ?? 0;
    }

    /// <summary>The call threw (<paramref name="error"/>) or its reader stopped early (null); <paramref name="partial"/> is what arrived.</summary>
    internal void Ended(Exception? error, IReadOnlyList<ChatResponseUpdate> partial)
    {
        if (!Record()) return;
        Status = error is null or OperationCanceledException ? ModelCallStatus.Cancelled : ModelCallStatus.Failed;
        if (Status == ModelCallStatus.Failed)
        {
            Error = SecretRedactor.RedactText(error!.Message);
            ErrorType = error.GetType().Name;
        }
        if (partial.Count > 0) Take(partial.ToChatResponse());
    }

    private bool Record()
    {
        if (_recorded) return false;
        _recorded = true;
        LatencyMs = Math.Round(Elapsed(), 2);
        return true;
    }

    private double Elapsed() => Stopwatch.GetElapsedTime(_started).TotalMilliseconds;
}
