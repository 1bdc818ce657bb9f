using System.Diagnostics;
using Microsoft.Extensions.AI;

namespace MiniMe.ModelCalls;

/// <summary>
/// Tags the GenAI span of <see cref="OpenTelemetryChatClient"/> (the current activity, when this client
/// sits inside it) with who made the call: minime.agent, minime.run_id, minime.iteration, minime.attempt.
/// </summary>
public sealed class ModelCallActivityChatClient(IChatClient innerClient) : ModelCallChatClient(innerClient)
{
    protected override ChatOptions? OnStarting(ModelCall call, IReadOnlyList<ChatMessage> messages, ChatOptions? options)
    {
        if (Activity.Current is { IsAllDataRequested: true, Kind: ActivityKind.Client } span && span.Source.Name == MiniMeTelemetry.SourceName)
        {
            span.SetTag("minime.agent", call.Info.Agent);
            if (call.Info.RunId is { } runId) span.SetTag("minime.run_id", runId);
            span.SetTag("minime.iteration", call.Info.Iteration);
            span.SetTag("minime.attempt", call.Info.Attempt);
        }
        return options;
    }
}
