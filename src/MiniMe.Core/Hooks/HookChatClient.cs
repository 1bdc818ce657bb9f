using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using MiniMe.ModelCalls;

namespace MiniMe.Hooks;

/// <summary>
/// The before_agent_call/after_agent_call hook points of the model pipeline. A call made inside a run
/// whose hooks are <see cref="HookDispatcher.Current"/> (and described by <see cref="ModelCall.Begin"/>:
/// run id, agent, iteration) is shown to the hooks first: a deny throws <see cref="HookVetoedException"/>
/// and nothing is sent; a patch of "messages" ([{role, text}], replaced as a whole) changes what is sent.
/// After the answer, after_agent_call is told the agent, status and text; its verdict is traced only.
/// </summary>
public sealed class HookChatClient(IChatClient inner) : DelegatingChatClient(inner)
{
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (Hooks() is not { } hooks) return await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        var (dispatcher, info) = hooks;
        messages = await BeforeAsync(dispatcher, info, messages, cancellationToken).ConfigureAwait(false);
        ChatResponse response;
        try
        {
            response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await AfterAsync(dispatcher, info, "failed", e.Message, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        await AfterAsync(dispatcher, info, "completed", response.Text, cancellationToken).ConfigureAwait(false);
        return response;
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var hooks = Hooks();
        if (hooks is { } before) messages = await BeforeAsync(before.Dispatcher, before.Info, messages, cancellationToken).ConfigureAwait(false);
        var text = new System.Text.StringBuilder();
        await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            text.Append(update.Text);
            yield return update;
        }
        if (hooks is { } after) await AfterAsync(after.Dispatcher, after.Info, "completed", text.ToString(), cancellationToken).ConfigureAwait(false);
    }

    private static (HookDispatcher Dispatcher, ModelCallInfo Info)? Hooks() =>
        HookDispatcher.Current is { IsEmpty: false } dispatcher && ModelCall.Current?.Info is { RunId: not null } info ? (dispatcher, info) : null;

    private static async Task<IEnumerable<ChatMessage>> BeforeAsync(HookDispatcher dispatcher, ModelCallInfo info, IEnumerable<ChatMessage> messages, CancellationToken cancellationToken)
    {
        var list = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        var payload = Describe(info);
        payload["messages"] = new JsonArray([.. list.Select(m => (JsonNode?)new JsonObject { ["role"] = m.Role.Value, ["text"] = m.Text })]);
        var outcome = await dispatcher.DispatchAsync(new HookEvent(HookEvents.BeforeAgentCall, info.RunId, payload), cancellationToken).ConfigureAwait(false);
        if (outcome.Denied) throw new HookVetoedException(HookEvents.BeforeAgentCall, outcome.Hook!, outcome.Reason!);
        if (!outcome.Patched || outcome.Payload["messages"] is not JsonArray patched || JsonNode.DeepEquals(patched, payload["messages"])) return list;
        return [.. patched.OfType<JsonObject>().Select(m => new ChatMessage(new ChatRole(m["role"]?.GetValue<string>() ?? "user"), m["text"]?.GetValue<string>() ?? ""))];
    }

    private static Task AfterAsync(HookDispatcher dispatcher, ModelCallInfo info, string status, string text, CancellationToken cancellationToken)
    {
        var payload = Describe(info);
        payload["status"] = status;
        payload["text"] = text;
        return dispatcher.DispatchAsync(new HookEvent(HookEvents.AfterAgentCall, info.RunId, payload), cancellationToken);
    }

    private static JsonObject Describe(ModelCallInfo info) => new()
    {
        ["agent"] = info.Agent,
        ["iteration"] = info.Iteration,
        ["attempt"] = info.Attempt,
    };
}
