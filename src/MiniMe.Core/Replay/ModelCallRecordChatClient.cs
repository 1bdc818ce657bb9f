using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using MiniMe.ModelCalls;
using MiniMe.Tracing;

namespace MiniMe.Replay;

/// <summary>
/// Records every model call of a run (<see cref="ModelCallInfo.Traces"/>' <see cref="TraceStore.Recordings"/>)
/// for `minime replay`: the request as the provider is sent it (after the budget capped it) with its
/// content hash, and the response (a stream collapsed into one), tool calls and usage included, secrets
/// redacted. A call outside a run (no run id) is not recorded.
/// </summary>
public sealed class ModelCallRecordChatClient(IChatClient innerClient) : DelegatingChatClient(innerClient)
{
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        // Taken now: a stream's later steps may run where the ambient call is no longer visible.
        var call = ModelCall.Current;
        var request = Recording(call) is null ? null : ModelCallRequest.Canonical(list, options, DefaultModel());
        ChatResponse response;
        try
        {
            response = await base.GetResponseAsync(list, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            if (request is not null) Record(call!, request, streamed: false, null, e);
            throw;
        }
        if (request is not null) Record(call!, request, streamed: false, response, null);
        return response;
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        // Taken now: a stream's later steps may run where the ambient call is no longer visible.
        var call = ModelCall.Current;
        var request = Recording(call) is null ? null : ModelCallRequest.Canonical(list, options, DefaultModel());
        var updates = new List<ChatResponseUpdate>();
        var ended = false;
        var inner = base.GetStreamingResponseAsync(list, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
        try
        {
            while (true)
            {
                try
                {
                    if (!await inner.MoveNextAsync().ConfigureAwait(false)) break;
                }
                catch (Exception e)
                {
                    ended = true;
                    if (request is not null) Record(call!, request, streamed: true, updates.Count > 0 ? updates.ToChatResponse() : null, e);
                    throw;
                }
                updates.Add(inner.Current);
                yield return inner.Current;
            }
            ended = true;
            if (request is not null) Record(call!, request, streamed: true, updates.ToChatResponse(), null);
        }
        finally
        {
            await inner.DisposeAsync().ConfigureAwait(false);
            // The reader stopped before the end: what arrived is recorded as a cancelled call.
            if (!ended && request is not null) Record(call!, request, streamed: true, updates.ToChatResponse(), new OperationCanceledException());
        }
    }

    private static ModelCallRecordings? Recording(ModelCall? call) =>
        call?.Info is { RunId: { } runId, Traces.Recordings: { } recordings } && RunId.IsValid(runId) ? recordings : null;

    private string? DefaultModel() => InnerClient.GetService<ChatClientMetadata>()?.DefaultModelId;

    private static void Record(ModelCall call, JsonObject request, bool streamed, ChatResponse? response, Exception? error)
    {
        var info = call.Info;
        var hash = ModelCallRequest.Hash(request);
        var redactedRequest = (JsonObject)SecretRedactor.Redact(request.DeepClone())!;
        var redactedResponse = response is null
            ? null
            : SecretRedactor.Redact(JsonSerializer.SerializeToNode(response, AIJsonUtilities.DefaultOptions)) as JsonObject;
        var status = error switch
        {
            null => "completed",
            OperationCanceledException => "cancelled",
            _ => "failed",
        };
        try
        {
            Append(info, request, hash, redactedRequest, redactedResponse, call.ModelName, streamed, status, response, error);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A full disk or a read-only runs/ folder costs the run its replay, never the call.
            System.Diagnostics.Trace.TraceWarning($"minime: could not record model call of run {info.RunId}: {e.Message}");
        }
    }

    private static void Append(ModelCallInfo info, JsonObject request, string hash, JsonObject redactedRequest, JsonObject? redactedResponse, string? modelName,
        bool streamed, string status, ChatResponse? response, Exception? error)
    {
        info.Traces!.Recordings!.Append(info.RunId!, index => new RecordedModelCall(
            index, info.Agent, info.Iteration, info.Attempt, modelName, response?.ModelId ?? request["model"]?.GetValue<string>(), streamed, hash, status,
            redactedRequest, redactedResponse,
            error is null or OperationCanceledException ? null : error.GetType().Name,
            error is null or OperationCanceledException ? null : SecretRedactor.RedactText(error.Message)));
    }
}
