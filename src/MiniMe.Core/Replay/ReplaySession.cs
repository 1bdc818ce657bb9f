using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using MiniMe.ModelCalls;
using MiniMe.Tracing;

namespace MiniMe.Replay;

/// <summary>Where a replay stopped because a model call's request is not the recorded one.</summary>
/// <param name="Call">The replay's model call (0-based, in the order calls were made).</param>
/// <param name="Recorded">The recorded call it was compared with; null when the run made no more calls.</param>
/// <param name="Changes">What changed, one short line each.</param>
public sealed record ReplayMismatch(int Call, string Agent, int Iteration, int Attempt, RecordedModelCall? Recorded, IReadOnlyList<string> Changes)
{
    public string Describe() => Recorded is null
        ? $"model call {Call} ({Agent}, round {Iteration}) was not made in the recorded run (it made {Call} calls)"
        : $"model call {Call} ({Agent}, round {Iteration}{(Attempt > 0 ? $", re-ask {Attempt}" : "")}) changed from recorded call {Recorded.Index} ({Recorded.Agent}): " + string.Join("; ", Changes);
}

/// <summary>
/// Thrown into the replayed run when a request matches no recorded call: the replay stops there, never
/// guessing an answer. Not a <see cref="MiniMeException"/>, so no workflow node or retry takes it for a model failure.
/// </summary>
public sealed class ReplayMismatchException(ReplayMismatch mismatch) : Exception("replay stopped: " + mismatch.Describe())
{
    public ReplayMismatch Mismatch { get; } = mismatch;
}

/// <summary>The replay reached a side effect (a workflow tool or human node) and stops before it.</summary>
public sealed class ReplayStoppedException(string message) : Exception(message);

/// <summary>A recorded call that failed fails again in the replay, with the recorded (redacted) message.</summary>
public sealed class ReplayedModelFailureException(string message) : MiniMeException(ErrorCategory.ModelFailed, message);

/// <summary>
/// The recorded calls of one run, answering a replay's model calls: a request is answered by the first
/// unused recorded call with the same content hash (identical requests are used in their recorded order);
/// a request with no such call is a <see cref="ReplayMismatch"/>, compared with the first unused recorded
/// call of the same agent, round and attempt (else the first unused one), and the replay stops.
/// </summary>
public sealed class ReplaySession
{
    private readonly IReadOnlyList<RecordedModelCall> _calls;
    private readonly bool[] _used;
    private readonly Lock _gate = new();
    private int _made;

    public ReplaySession(IReadOnlyList<RecordedModelCall> calls)
    {
        ArgumentNullException.ThrowIfNull(calls);
        _calls = calls;
        _used = new bool[calls.Count];
    }

    public IReadOnlyList<RecordedModelCall> Calls => _calls;

    /// <summary>Model calls the replay made (answered or not).</summary>
    public int Made { get { lock (_gate) return _made; } }

    /// <summary>Recorded calls not used by the replay.</summary>
    public int Unused { get { lock (_gate) return _used.Count(u => !u); } }

    /// <summary>The first request that matched no recorded call; null while every one matched.</summary>
    public ReplayMismatch? Mismatch { get; private set; }

    /// <summary>The model a named model answered with in the recording (the replay's default model id for it).</summary>
    public string? ModelIdFor(string modelName) =>
        (_calls.FirstOrDefault(c => c.ModelName == modelName) ?? _calls.FirstOrDefault())?.Request["model"]?.GetValue<string>();

    /// <summary>The provider's client of one named model in the replay.</summary>
    public IChatClient ClientFor(string modelName) => new ReplayChatClient(this, modelName);

    /// <summary>The recorded call answering this request; throws <see cref="ReplayMismatchException"/> when none does.</summary>
    public RecordedModelCall Answer(JsonObject request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var hash = ModelCallRequest.Hash(request);
        var info = ModelCall.Current?.Info;
        var (agent, iteration, attempt) = (info?.Agent ?? ModelCallInfo.UnattributedAgent, info?.Iteration ?? 0, info?.Attempt ?? 0);
        lock (_gate)
        {
            var call = _made++;
            if (Mismatch is not null) throw new ReplayMismatchException(Mismatch);
            for (var i = 0; i < _calls.Count; i++)
            {
                if (_used[i] || _calls[i].Hash != hash) continue;
                _used[i] = true;
                return _calls[i];
            }
            var unused = Enumerable.Range(0, _calls.Count).Where(i => !_used[i]).ToList();
            var compared = unused.Select(i => _calls[i]).FirstOrDefault(c => c.Agent == agent && c.Iteration == iteration && c.Attempt == attempt)
                ?? unused.Select(i => _calls[i]).FirstOrDefault();
            var redacted = (JsonObject)SecretRedactor.Redact(request.DeepClone())!;
            Mismatch = new ReplayMismatch(call, agent, iteration, attempt, compared,
                compared is null ? [] : RequestDiff.Describe(compared.Request, redacted));
            throw new ReplayMismatchException(Mismatch);
        }
    }
}

/// <summary>A provider that never connects: every call is answered from the run's recording (<see cref="ReplaySession"/>).</summary>
public sealed class ReplayChatClient(ReplaySession session, string modelName) : IChatClient
{
    private readonly ChatClientMetadata _metadata = new("minime-replay", null, session.ModelIdFor(modelName));

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var recorded = session.Answer(ModelCallRequest.Canonical(messages, options, _metadata.DefaultModelId));
        await Task.Yield();
        var response = Response(recorded);
        if (recorded.Status == "failed") throw Failure(recorded);
        return response ?? new ChatResponse();
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var recorded = session.Answer(ModelCallRequest.Canonical(messages, options, _metadata.DefaultModelId));
        await Task.Yield();
        if (Response(recorded) is { } response)
            foreach (var update in response.ToChatResponseUpdates())
                yield return update;
        if (recorded.Status == "failed") throw Failure(recorded);
    }

    private static ChatResponse? Response(RecordedModelCall recorded)
    {
        try
        {
            return recorded.Response?.Deserialize<ChatResponse>(AIJsonUtilities.DefaultOptions);
        }
        catch (JsonException e)
        {
            throw new DamagedRecordingException($"Recorded model call {recorded.Index} has a response that cannot be read: {e.Message}", e);
        }
    }

    private static ReplayedModelFailureException Failure(RecordedModelCall recorded) => new(recorded.Error ?? "the recorded model call failed");

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(ChatClientMetadata) ? _metadata
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    public void Dispose()
    {
    }
}
