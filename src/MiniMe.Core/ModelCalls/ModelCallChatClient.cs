using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace MiniMe.ModelCalls;

/// <summary>
/// A decorator for one concern of every model call (budget, trace, metrics, cost, usage). It handles
/// both <see cref="IChatClient.GetResponseAsync"/> and <see cref="IChatClient.GetStreamingResponseAsync"/>
/// the same way: <see cref="OnStarting"/> before the request (may change the options or refuse the
/// call), then <see cref="OnFinished"/> once the call has ended, completed, failed or cancelled;
/// for a stream that is when the enumeration ends, including when its reader stops early or it throws.
/// The ambient <see cref="ModelCall"/> says who is calling and holds what happened: the innermost
/// decorator records the outcome, then each decorator's <see cref="OnFinished"/> runs from the inside
/// out, so an outer concern sees what the inner ones added (the cost sees the estimated tokens).
/// </summary>
public abstract class ModelCallChatClient(IChatClient innerClient) : DelegatingChatClient(innerClient)
{
    /// <summary>Before the request; returns the options to send (clone before changing them).</summary>
    protected virtual ChatOptions? OnStarting(ModelCall call, IReadOnlyList<ChatMessage> messages, ChatOptions? options) => options;

    /// <summary>After the call ended; <see cref="ModelCall.Status"/> says how. Throwing here fails a completed call.</summary>
    protected virtual void OnFinished(ModelCall call)
    {
    }

    public sealed override async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var call = ModelCall.Enter(out var owned);
        try
        {
            var list = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
            options = OnStarting(call, list, options);
            call.Sending(list, options, streamed: false, DefaultModel());
            ChatResponse response;
            try
            {
                response = await base.GetResponseAsync(list, options, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                call.Ended(e, []);
                OnFinished(call);
                throw;
            }
            call.Completed(response);
            OnFinished(call);
            return response;
        }
        finally
        {
            call.Exit(owned);
        }
    }

    public sealed override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var call = ModelCall.Enter(out var owned);
        try
        {
            var list = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
            options = OnStarting(call, list, options);
            call.Sending(list, options, streamed: true, DefaultModel());
            var updates = new List<ChatResponseUpdate>();
            var ended = false;
            var inner = base.GetStreamingResponseAsync(list, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
            try
            {
                while (true)
                {
                    ChatResponseUpdate update;
                    try
                    {
                        if (!await inner.MoveNextAsync().ConfigureAwait(false)) break;
                        update = inner.Current;
                    }
                    catch (Exception e)
                    {
                        ended = true;
                        call.Ended(e, updates);
                        OnFinished(call);
                        throw;
                    }
                    updates.Add(update);
                    call.Received(update);
                    yield return update;
                }
                ended = true;
                call.Completed(updates.ToChatResponse());
                OnFinished(call);
            }
            finally
            {
                // The inner decorators finish first (disposing them ends their enumeration), then this one.
                await inner.DisposeAsync().ConfigureAwait(false);
                if (!ended)
                {
                    call.Ended(null, updates);
                    OnFinished(call);
                }
            }
        }
        finally
        {
            call.Exit(owned);
        }
    }

    private string? DefaultModel() => InnerClient.GetService<ChatClientMetadata>()?.DefaultModelId;
}
