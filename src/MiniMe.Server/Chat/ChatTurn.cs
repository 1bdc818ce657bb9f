using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using MiniMe.Agents;
using MiniMe.Memory.Facts;
using MiniMe.Memory.Facts.Capture;
using MiniMe.ModelCalls;
using MiniMe.Server.Conversations;
using MiniMe.Tracing;

namespace MiniMe.Server.Chat;

/// <param name="Client">The model pipeline's client: it prices, traces (agent_call) and measures the call.</param>
/// <param name="Meter">The run's totals (the summarizer's call too), for run_end.</param>
internal sealed record ChatTurnParts(
    IChatClient Client,
    ConversationStore Conversations,
    RunMeter Meter,
    TraceStore Traces,
    string UserId,
    string ConversationId,
    string RunId,
    IReadOnlyList<ChatMessage> Messages,
    ChatOptions Options,
    IReadOnlyList<ChatSource> Sources,
    int ContextTokens,
    string FallbackModel,
    Stopwatch Clock)
{
    /// <summary>Fact capture after the answer (facts.capture), from <see cref="UserMessage"/>; null skips it.</summary>
    public FactCapture? Capture { get; init; }

    /// <summary>The user's message of this turn, as stored (its id is the captured facts' provenance).</summary>
    public ConversationMessage? UserMessage { get; init; }
}

/// <summary>
/// A prepared chat turn: one model call, whole (<see cref="CompleteAsync"/>) or token by token
/// (<see cref="StreamAsync"/>). Either way the answer is stored in the conversation, the model pipeline
/// traces the call (agent_call: model, tokens, latency, cost) and the run gets exactly one run_end:
/// completed, error or cancelled. With facts.capture on, facts are captured from the user's message after the
/// answer is stored and before run_end (<see cref="FactCapture"/>); a failed capture is traced and the turn still succeeds.
/// </summary>
public sealed class ChatTurn
{
    private readonly ChatTurnParts _parts;
    private bool _closed;

    internal ChatTurn(ChatTurnParts parts) => _parts = parts;

    public string ConversationId => _parts.ConversationId;
    public string RunId => _parts.RunId;

    public async Task<ChatReply> CompleteAsync(CancellationToken cancellationToken)
    {
        using var call = ModelCall.Begin(CallInfo());
        ChatResponse response;
        try
        {
            response = await _parts.Client.GetResponseAsync(_parts.Messages, _parts.Options, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Cancelled(0);
            throw;
        }
        catch (Exception e)
        {
            throw Failed(e);
        }
        return await FinishAsync(response.Text, call, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>start, then a delta per token as the model produces it, then done with usage (or error).</summary>
    public async IAsyncEnumerable<ChatStreamEvent> StreamAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        yield return new ChatStreamEvent(ChatStreamEvent.Start) { ConversationId = ConversationId, RunId = RunId, Sources = _parts.Sources };
        var text = new StringBuilder();
        ChatStreamEvent? last = null;
        using var call = ModelCall.Begin(CallInfo());
        var updates = _parts.Client.GetStreamingResponseAsync(_parts.Messages, _parts.Options, cancellationToken).GetAsyncEnumerator(cancellationToken);
        try
        {
            while (true)
            {
                ChatResponseUpdate update;
                try
                {
                    if (!await updates.MoveNextAsync().ConfigureAwait(false)) break;
                    update = updates.Current;
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    throw; // recorded as cancelled below
                }
                catch (Exception e)
                {
                    var failure = Failed(e);
                    last = new ChatStreamEvent(ChatStreamEvent.Error) { Title = "Model call failed", Detail = failure.Message, RunId = RunId };
                    break;
                }
                var delta = update.Text;
                if (delta.Length == 0) continue;
                text.Append(delta);
                yield return new ChatStreamEvent(ChatStreamEvent.Delta) { Text = delta };
            }
            if (last is null)
            {
                try
                {
                    var reply = await FinishAsync(text.ToString(), call, cancellationToken).ConfigureAwait(false);
                    last = new ChatStreamEvent(ChatStreamEvent.Done)
                    {
                        ConversationId = ConversationId,
                        RunId = RunId,
                        Model = reply.Model,
                        MessageId = reply.Message.Id,
                        Usage = reply.Usage,
                    };
                }
                catch (ModelCallException e)
                {
                    last = new ChatStreamEvent(ChatStreamEvent.Error) { Title = "Model call failed", Detail = e.Message, RunId = RunId };
                }
            }
        }
        finally
        {
            // The model call ends first (a stream stopped early is traced as a cancelled call), then the run:
            // the client went away (or stopped reading) before the end, so it is closed as cancelled
            // (unless it was already closed, e.g. as an error).
            await updates.DisposeAsync().ConfigureAwait(false);
            if (last is null) Cancelled(text.Length);
        }
        yield return last;
    }

    private ModelCallInfo CallInfo() => new(RunId, "chat", Traces: _parts.Traces, Meter: _parts.Meter);

    /// <summary>
    /// Stores the answer, captures facts from the user's message (facts.capture), and closes the run with the
    /// totals the model pipeline left on <paramref name="call"/> and the run's meter.
    /// </summary>
    private async Task<ChatReply> FinishAsync(string text, ModelCall call, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(text))
            throw Failed(new InvalidOperationException("the model returned an empty answer"));
        var model = call.Model ?? _parts.FallbackModel;
        var (prompt, completion, cost, estimated) = (call.PromptTokens, call.CompletionTokens, call.Cost, call.UsageEstimated);
        ConversationMessage message;
        try
        {
            message = _parts.Conversations.Append(_parts.UserId, ConversationId,
                new ConversationMessage(0, ChatRoles.Assistant, text, default, RunId, prompt, completion));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            CloseWithError(e);
            throw;
        }
        if (_parts is { Capture: { } capture, UserMessage: { } said })
        {
            try
            {
                await capture.CaptureAsync(new FactCaptureInput(RunId, said.Content, text,
                    FactOrigin.ForConversation(ConversationId, said.Id, RunId), FactSource.Conversation, _parts.Meter), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The answer is stored: the turn completed, only its capture was cut short.
                _parts.Traces.Append(RunId, TraceEventTypes.FactCaptureFailed, new JsonObject { ["reason"] = "cancelled before the extraction answered" });
            }
        }
        _closed = true;
        var meter = _parts.Meter;
        _parts.Traces.Append(RunId, TraceEventTypes.RunEnd, new JsonObject
        {
            ["status"] = "completed",
            ["context_tokens"] = _parts.ContextTokens,
            ["prompt_tokens"] = meter.PromptTokens,
            ["completion_tokens"] = meter.CompletionTokens,
            ["total_tokens"] = meter.TotalTokens,
            ["cost"] = meter.Cost,
            ["model_calls"] = meter.Calls,
            ["usage_estimated"] = meter.Estimated,
            ["model_ms"] = Math.Round(meter.ModelMilliseconds, 2),
            ["elapsed_ms"] = Math.Round(_parts.Clock.Elapsed.TotalMilliseconds, 2),
        });
        var usageOut = new ChatUsage(prompt, completion, prompt + completion, cost ?? 0, cost is not null, estimated);
        return new ChatReply(ConversationId, RunId, model, message, usageOut, _parts.Sources);
    }

    /// <summary>A provider error already says what failed and what to do: its message is kept as is, as the CLI prints it.</summary>
    private ModelCallException Failed(Exception e) =>
        new(e is MiniMeException { Category: ErrorCategory.ModelFailed } ? CloseWithError(e) : $"The model call failed: {CloseWithError(e)}", e);

    /// <summary>Traces the error and closes the run; returns the redacted message.</summary>
    private string CloseWithError(Exception e)
    {
        var detail = SecretRedactor.RedactText(e.Message);
        if (_closed) return detail;
        _closed = true;
        _parts.Traces.Append(RunId, TraceEventTypes.Error, new JsonObject { ["type"] = e.GetType().Name, ["message"] = detail });
        _parts.Traces.Append(RunId, TraceEventTypes.RunEnd, new JsonObject
        {
            ["status"] = "error",
            ["context_tokens"] = _parts.ContextTokens,
            ["elapsed_ms"] = Math.Round(_parts.Clock.Elapsed.TotalMilliseconds, 2),
        });
        return detail;
    }

    private void Cancelled(int answerChars)
    {
        if (_closed) return;
        _closed = true;
        _parts.Traces.Append(RunId, TraceEventTypes.RunEnd, new JsonObject
        {
            ["status"] = "cancelled",
            ["context_tokens"] = _parts.ContextTokens,
            ["partial_answer_chars"] = answerChars,
            ["elapsed_ms"] = Math.Round(_parts.Clock.Elapsed.TotalMilliseconds, 2),
        });
    }
}
