using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using MiniMe.Tracing;

namespace MiniMe.ModelCalls;

/// <summary>One named model as the router calls it: its pipeline and the server's model id (null: the client's own).</summary>
public sealed record ModelRoute(string Name, IChatClient Client, string? ModelId);

/// <summary>Why a model call may go to the next model (model_fallback's reason and status), or null when it must not.</summary>
public sealed record ModelFailure(string Reason, int? Status);

/// <summary>
/// Calls the chosen named model, then each of llm.fallbacks in order while the call fails with a
/// failure <c>classify</c> accepts (timeouts, HTTP 5xx, 429 after the model's own retries, an
/// unreachable server), appending model_fallback {from, to, reason, status} to the run's trace (the
/// ambient <see cref="ModelCall"/>'s run). Each attempt is a whole model call through that model's
/// pipeline, with its own agent_call. A stream falls back only before its first token (updates without
/// text wait until then): once text has reached the reader, a failure ends the call. The ambient call's <see cref="ModelCall.ModelName"/>
/// names the model tried.
/// </summary>
public sealed class FallbackChatClient : DelegatingChatClient
{
    private readonly IReadOnlyList<ModelRoute> _routes;
    private readonly Func<Exception, ModelFailure?> _classify;

    /// <param name="routes">The chosen model first, then the fallbacks.</param>
    public FallbackChatClient(IReadOnlyList<ModelRoute> routes, Func<Exception, ModelFailure?> classify)
        : base(routes is { Count: > 0 } ? routes[0].Client : throw new ArgumentException("At least one model is needed.", nameof(routes)))
    {
        ArgumentNullException.ThrowIfNull(classify);
        _routes = routes;
        _classify = classify;
    }

    /// <summary>The names tried, in order.</summary>
    public IReadOnlyList<string> Models => [.. _routes.Select(r => r.Name)];

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        for (var i = 0; ; i++)
        {
            var route = _routes[i];
            Name(route);
            try
            {
                return await route.Client.GetResponseAsync(list, For(options, route), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (Next(i, e, cancellationToken) is { } failure)
            {
                Trace(route, _routes[i + 1], failure, e);
            }
        }
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var list = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        for (var i = 0; ; i++)
        {
            var route = _routes[i];
            Name(route);
            var updates = route.Client.GetStreamingResponseAsync(list, For(options, route), cancellationToken).GetAsyncEnumerator(cancellationToken);
            // Updates without text (the role, say) wait here: until the first token the call may still fall back.
            var held = new List<ChatResponseUpdate>();
            bool more;
            try
            {
                while ((more = await updates.MoveNextAsync().ConfigureAwait(false)) && updates.Current.Text.Length == 0)
                    held.Add(updates.Current);
            }
            catch (Exception e) when (Next(i, e, cancellationToken) is { } failure)
            {
                await updates.DisposeAsync().ConfigureAwait(false);
                Trace(route, _routes[i + 1], failure, e);
                continue;
            }
            try
            {
                foreach (var update in held) yield return update;
                if (!more) yield break;
                yield return updates.Current;
                while (await updates.MoveNextAsync().ConfigureAwait(false)) yield return updates.Current;
            }
            finally
            {
                await updates.DisposeAsync().ConfigureAwait(false);
            }
            yield break;
        }
    }

    private ModelFailure? Next(int index, Exception error, CancellationToken cancellationToken) =>
        index + 1 < _routes.Count && !cancellationToken.IsCancellationRequested ? _classify(error) : null;

    private static void Name(ModelRoute route)
    {
        if (ModelCall.Current is { } call) call.ModelName = route.Name;
    }

    /// <summary>The options with the route's model id (another server, another model).</summary>
    private static ChatOptions? For(ChatOptions? options, ModelRoute route)
    {
        if (route.ModelId is null) return options;
        var copy = options?.Clone() ?? new ChatOptions();
        copy.ModelId = route.ModelId;
        return copy;
    }

    private static void Trace(ModelRoute from, ModelRoute to, ModelFailure failure, Exception error)
    {
        if (ModelCall.Current?.Info is not { RunId: { } runId, Traces: { } traces } info) return;
        traces.AppendBatched(runId, TraceEventTypes.ModelFallback, new JsonObject
        {
            ["agent"] = info.Agent,
            ["iteration"] = info.Iteration,
            ["from"] = from.Name,
            ["to"] = to.Name,
            ["reason"] = failure.Reason,
            ["status"] = failure.Status,
            ["error"] = SecretRedactor.RedactText(error.Message),
        });
    }
}
