using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace MiniMe.Providers;

/// <summary>
/// Outermost decorator of a provider client: translates SDK failures with <see cref="ProviderErrors"/>
/// and bounds the wait for each streamed update by llm.timeoutSeconds (the HTTP pipeline's timeout
/// only covers the wait for the response headers).
/// </summary>
public sealed class ProviderErrorChatClient(IChatClient inner, ProviderSettings settings) : DelegatingChatClient(inner)
{
    private TimeSpan IdleTimeout => TimeSpan.FromSeconds(settings.Options.TimeoutSeconds);

    // Before the first update the HTTP pipeline is still retrying: allow every attempt and its backoff.
    private TimeSpan FirstUpdateTimeout => TimeSpan.FromSeconds((settings.Options.TimeoutSeconds + 60.0) * (settings.Options.MaxRetries + 1));

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        try
        {
            return await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ProviderErrors.Translate(e, settings, cancellationToken) is { } translated && !ReferenceEquals(translated, e))
        {
            throw translated;
        }
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var updates = base.GetStreamingResponseAsync(messages, options, idle.Token).GetAsyncEnumerator(idle.Token);
        await using (updates.ConfigureAwait(false))
        {
            var first = true;
            while (true)
            {
                idle.CancelAfter(first ? FirstUpdateTimeout : IdleTimeout);
                first = false;
                ChatResponseUpdate update;
                try
                {
                    if (!await updates.MoveNextAsync().ConfigureAwait(false)) break;
                    update = updates.Current;
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested && idle.IsCancellationRequested)
                {
                    throw new LlmUnavailableException(
                        $"The {settings.Provider} endpoint {settings.Endpoint} stopped streaming for {settings.Options.TimeoutSeconds} s; raise llm.timeoutSeconds or check the server.", e)
                    { Reason = ModelFailureReason.Timeout };
                }
                catch (Exception e) when (ProviderErrors.Translate(e, settings, cancellationToken) is { } translated && !ReferenceEquals(translated, e))
                {
                    throw translated;
                }
                yield return update;
            }
        }
    }
}
