using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using MiniMe.Context;
using MiniMe.Server.Conversations;
using MiniMe.Server.Metrics;
using MiniMe.Tracing;

namespace MiniMe.Server.Chat;

internal sealed record ChatTurnParts(
    IChatClient Client,
    ConversationStore Conversations,
    ServerMetrics Metrics,
    ChatPriceTable Prices,
    ITokenCounter TokenCounter,
    TraceStore Traces,
    string UserId,
    string ConversationId,
    string RunId,
    IReadOnlyList<ChatMessage> Messages,
    ChatOptions Options,
    IReadOnlyList<ChatSource> Sources,
    int ContextTokens,
    string FallbackModel,
    Stopwatch Clock);

/// <summary>
/// A prepared chat turn: one model call, whole (<see cref="CompleteAsync"/>) or token by token
/// (<see cref="StreamAsync"/>). Either way the answer is stored in the conversation, and the trace gets
/// an agent_call (model, tokens, latency, cost) and exactly one run_end: completed, error or cancelled.
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
        return Finish(response.Text, response.Usage, response.ModelId, streamed: false, firstTokenMs: null);
    }

    /// <summary>start, then a delta per token as the model produces it, then done with usage (or error).</summary>
    public async IAsyncEnumerable<ChatStreamEvent> StreamAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        yield return new ChatStreamEvent(ChatStreamEvent.Start) { ConversationId = ConversationId, RunId = RunId, Sources = _parts.Sources };
        var text = new StringBuilder();
        UsageDetails? usage = null;
        string? model = null;
        double? firstTokenMs = null;
        ChatStreamEvent? last = null;
        var started = Stopwatch.StartNew();
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
                model ??= update.ModelId;
                foreach (var content in update.Contents.OfType<UsageContent>()) usage = content.Details;
                var delta = update.Text;
                if (delta.Length == 0) continue;
                if (firstTokenMs is null)
                {
                    firstTokenMs = started.Elapsed.TotalMilliseconds;
                    _parts.Metrics.FirstToken(started.Elapsed.TotalSeconds);
                }
                text.Append(delta);
                yield return new ChatStreamEvent(ChatStreamEvent.Delta) { Text = delta };
            }
            if (last is null)
            {
                try
                {
                    var reply = Finish(text.ToString(), usage, model, streamed: true, firstTokenMs);
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
            // The client went away (or stopped reading) before the end: the run is closed as cancelled
            // (unless it was already closed, e.g. as an error).
            if (last is null) Cancelled(text.Length);
            await updates.DisposeAsync().ConfigureAwait(false);
        }
        yield return last;
    }

    private ChatReply Finish(string text, UsageDetails? usage, string? modelId, bool streamed, double? firstTokenMs)
    {
        if (string.IsNullOrWhiteSpace(text))
            throw Failed(new InvalidOperationException("the model returned an empty answer"));
        var model = modelId ?? _parts.FallbackModel;
        var estimated = usage?.InputTokenCount is null || usage.OutputTokenCount is null;
        var prompt = usage?.InputTokenCount ?? _parts.Messages.Sum(m => (long)_parts.TokenCounter.Count(m.Text));
        var completion = usage?.OutputTokenCount ?? _parts.TokenCounter.Count(text);
        var cost = _parts.Prices.Cost(model, prompt, completion);
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
        _parts.Traces.Append(RunId, TraceEventTypes.AgentCall, new JsonObject
        {
            ["agent"] = "chat",
            ["model"] = model,
            ["prompt_tokens"] = prompt,
            ["completion_tokens"] = completion,
            ["usage_estimated"] = estimated,
            ["cost"] = cost ?? 0,
            ["priced"] = cost is not null,
            ["streamed"] = streamed,
            ["first_token_ms"] = firstTokenMs is { } f ? Math.Round(f, 2) : null,
            ["answer_chars"] = text.Length,
            ["valid"] = true,
        });
        _closed = true;
        _parts.Traces.Append(RunId, TraceEventTypes.RunEnd, new JsonObject
        {
            ["status"] = "completed",
            ["context_tokens"] = _parts.ContextTokens,
            ["prompt_tokens"] = prompt,
            ["completion_tokens"] = completion,
            ["total_tokens"] = prompt + completion,
            ["cost"] = cost ?? 0,
            ["model_calls"] = 1,
            ["usage_estimated"] = estimated,
            ["elapsed_ms"] = Math.Round(_parts.Clock.Elapsed.TotalMilliseconds, 2),
        });
        _parts.Metrics.Tokens(model, prompt, completion, cost);
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
