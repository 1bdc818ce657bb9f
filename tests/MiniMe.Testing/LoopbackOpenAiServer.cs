using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MiniMe.Testing;

/// <summary>
/// A real OpenAI-compatible HTTP server (Kestrel on 127.0.0.1, a free port) that answers with
/// scripted replies: POST /v1/chat/completions (JSON, or SSE chunks ending in [DONE] when
/// "stream": true, with usage when stream_options.include_usage is set) and GET /v1/models. Replies
/// come from a queue, then from <see cref="Responder"/>; every request is recorded. It also speaks
/// Ollama's native dialect (POST /api/chat with NDJSON streaming, GET /api/tags) from the same
/// script, and Anthropic's Messages API (POST /v1/messages, JSON or typed SSE events), so every
/// provider client can be driven the same way.
/// </summary>
public sealed class LoopbackOpenAiServer : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ScriptedReply> _replies = new();
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly List<(int Count, TaskCompletionSource Arrived)> _waiters = [];
    private int _completionId;

    private LoopbackOpenAiServer(WebApplication app) => _app = app;

    /// <summary>Base URL up to /v1/, as llm.endpoint takes it.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>The model ids GET /v1/models lists.</summary>
    public IList<string> Models { get; } = new List<string> { "loopback-model" };

    /// <summary>Answers when the queue is empty; null answers HTTP 500 "no scripted reply".</summary>
    public Func<RecordedRequest, ScriptedReply>? Responder { get; set; }

    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    /// <summary>Completes once <paramref name="count"/> chat requests (of any dialect) have arrived, e.g. to act while a held reply stalls the call.</summary>
    public async Task WaitForChatRequestsAsync(int count, TimeSpan timeout)
    {
        TaskCompletionSource arrived;
        lock (_waiters)
        {
            if (ChatRequests.Count >= count) return;
            arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, arrived));
        }
        try
        {
            await arrived.Task.WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Waited {timeout.TotalSeconds:0} s for {count} chat requests; {ChatRequests.Count} arrived.");
        }
    }

    /// <summary>Chat requests of either dialect (/v1/chat/completions, /api/chat).</summary>
    public IReadOnlyList<RecordedRequest> ChatRequests => [.. _requests.Where(r => r.Path.EndsWith("/chat/completions", StringComparison.Ordinal) || r.Path == "/api/chat" || r.Path == "/v1/messages")];

    /// <summary>The server root, as an Ollama llm.endpoint.</summary>
    public Uri RootUrl => new(BaseUrl, "/");

    public static async Task<LoopbackOpenAiServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new LoopbackOpenAiServer(app);
        app.MapPost("/v1/chat/completions", server.ChatAsync);
        app.MapGet("/v1/models", server.ModelsAsync);
        app.MapPost("/api/chat", server.OllamaChatAsync);
        app.MapPost("/v1/messages", server.AnthropicMessagesAsync);
        app.MapGet("/api/tags", server.OllamaTagsAsync);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseUrl = new Uri(address.TrimEnd('/') + "/v1/");
        return server;
    }

    public LoopbackOpenAiServer Enqueue(params ScriptedReply[] replies)
    {
        foreach (var reply in replies) _replies.Enqueue(reply);
        return this;
    }

    public int Pending => _replies.Count;

    private async Task ModelsAsync(HttpContext context)
    {
        Record(context, null);
        var data = new JsonArray([.. Models.Select(m => (JsonNode?)new JsonObject { ["id"] = m, ["object"] = "model", ["created"] = 1_700_000_000, ["owned_by"] = "loopback" })]);
        await WriteJsonAsync(context, new JsonObject { ["object"] = "list", ["data"] = data }).ConfigureAwait(false);
    }

    /// <summary>Records the request and takes its reply; null when an error or a dropped request was answered already.</summary>
    private async Task<(RecordedRequest Request, ScriptedReply? Reply)> NextAsync(HttpContext context)
    {
        var body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted).ConfigureAwait(false) as JsonObject;
        var request = Record(context, body);
        var reply = _replies.TryDequeue(out var next) ? next : Responder?.Invoke(request);
        if (reply is null)
        {
            await WriteErrorAsync(context, HttpStatusCode.InternalServerError, "no scripted reply left").ConfigureAwait(false);
            return (request, null);
        }
        try
        {
            if (reply.Delay > TimeSpan.Zero) await Task.Delay(reply.Delay, context.RequestAborted).ConfigureAwait(false);
            if (reply.Until is { } until) await until.WaitAsync(context.RequestAborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return (request, null); // the client gave up (its timeout, or it was cancelled); nothing to answer
        }
        if (reply.Status != HttpStatusCode.OK)
        {
            if (reply.RetryAfter is not null) context.Response.Headers.RetryAfter = reply.RetryAfter;
            await WriteErrorAsync(context, reply.Status, $"scripted HTTP {(int)reply.Status}").ConfigureAwait(false);
            return (request, null);
        }
        return (request, reply);
    }

    private async Task ChatAsync(HttpContext context)
    {
        var (request, reply) = await NextAsync(context).ConfigureAwait(false);
        if (reply is null) return;
        var body = request.Body;

        var model = body?["model"]?.GetValue<string>() ?? Models[0];
        var id = "chatcmpl-" + Interlocked.Increment(ref _completionId).ToString(CultureInfo.InvariantCulture);
        var usage = reply.OmitUsage ? null : Usage(request, reply);
        if (request.Streaming)
        {
            var includeUsage = body?["stream_options"]?["include_usage"] is JsonValue v && v.TryGetValue<bool>(out var b) && b;
            await StreamAsync(context, id, model, reply, includeUsage ? usage : null).ConfigureAwait(false);
            return;
        }

        var message = new JsonObject { ["role"] = "assistant", ["content"] = reply.Content };
        if (reply.ToolCalls.Count > 0)
            message["tool_calls"] = new JsonArray([.. reply.ToolCalls.Select(t => (JsonNode?)new JsonObject
            {
                ["id"] = t.Id,
                ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = t.Name, ["arguments"] = t.ArgumentsJson },
            })]);
        var completion = new JsonObject
        {
            ["id"] = id,
            ["object"] = "chat.completion",
            ["created"] = 1_700_000_000,
            ["model"] = model,
            ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["message"] = message, ["finish_reason"] = reply.FinishReason }),
        };
        if (usage is not null) completion["usage"] = usage;
        await WriteJsonAsync(context, completion).ConfigureAwait(false);
    }

    private static async Task StreamAsync(HttpContext context, string id, string model, ScriptedReply reply, JsonObject? usage)
    {
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        var ct = context.RequestAborted;
        JsonObject Chunk(JsonObject? delta, string? finish) => new()
        {
            ["id"] = id,
            ["object"] = "chat.completion.chunk",
            ["created"] = 1_700_000_000,
            ["model"] = model,
            ["choices"] = delta is null ? new JsonArray() : new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finish }),
        };
        try
        {
            await SendAsync(context, Chunk(new JsonObject { ["role"] = "assistant", ["content"] = "" }, null), ct).ConfigureAwait(false);
            var content = reply.Content ?? "";
            for (var i = 0; i < content.Length; i += reply.ChunkSize)
            {
                var piece = content.Substring(i, Math.Min(reply.ChunkSize, content.Length - i));
                await SendAsync(context, Chunk(new JsonObject { ["content"] = piece }, null), ct).ConfigureAwait(false);
                if (i == 0 && reply.StallAfterFirstChunk > TimeSpan.Zero) await Task.Delay(reply.StallAfterFirstChunk, ct).ConfigureAwait(false);
            }
            for (var t = 0; t < reply.ToolCalls.Count; t++)
            {
                var call = reply.ToolCalls[t];
                await SendAsync(context, Chunk(new JsonObject
                {
                    ["tool_calls"] = new JsonArray(new JsonObject
                    {
                        ["index"] = t,
                        ["id"] = call.Id,
                        ["type"] = "function",
                        ["function"] = new JsonObject { ["name"] = call.Name, ["arguments"] = "" },
                    }),
                }, null), ct).ConfigureAwait(false);
                for (var i = 0; i < call.ArgumentsJson.Length; i += reply.ChunkSize)
                    await SendAsync(context, Chunk(new JsonObject
                    {
                        ["tool_calls"] = new JsonArray(new JsonObject
                        {
                            ["index"] = t,
                            ["function"] = new JsonObject { ["arguments"] = call.ArgumentsJson.Substring(i, Math.Min(reply.ChunkSize, call.ArgumentsJson.Length - i)) },
                        }),
                    }, null), ct).ConfigureAwait(false);
            }
            await SendAsync(context, Chunk(new JsonObject(), reply.FinishReason), ct).ConfigureAwait(false);
            if (usage is not null)
            {
                var last = Chunk(null, null);
                last["usage"] = usage;
                await SendAsync(context, last, ct).ConfigureAwait(false);
            }
            await context.Response.WriteAsync("data: [DONE]\n\n", ct).ConfigureAwait(false);
            await context.Response.Body.FlushAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The client stopped reading (timeout or cancellation).
        }
    }

    private async Task OllamaTagsAsync(HttpContext context)
    {
        Record(context, null);
        var models = new JsonArray([.. Models.Select(m => (JsonNode?)new JsonObject
        {
            ["name"] = m,
            ["model"] = m,
            ["modified_at"] = "2026-01-01T00:00:00Z",
            ["size"] = 1,
            ["digest"] = "sha256:0",
        })]);
        await WriteJsonAsync(context, new JsonObject { ["models"] = models }).ConfigureAwait(false);
    }

    /// <summary>Ollama's /api/chat: NDJSON lines of message deltas, then a done line with eval counts (streams unless "stream": false).</summary>
    private async Task OllamaChatAsync(HttpContext context)
    {
        var (request, reply) = await NextAsync(context).ConfigureAwait(false);
        if (reply is null) return;
        var model = request.Body?["model"]?.GetValue<string>() ?? Models[0];
        var stream = request.Body?["stream"] is not JsonValue s || !s.TryGetValue<bool>(out var streaming) || streaming;
        var usage = Usage(request, reply);
        JsonObject Line(string content, bool done)
        {
            var message = new JsonObject { ["role"] = "assistant", ["content"] = content };
            if (done && reply.ToolCalls.Count > 0)
                message["tool_calls"] = new JsonArray([.. reply.ToolCalls.Select(t => (JsonNode?)new JsonObject
                {
                    ["function"] = new JsonObject { ["name"] = t.Name, ["arguments"] = JsonNode.Parse(t.ArgumentsJson) },
                })]);
            var line = new JsonObject { ["model"] = model, ["created_at"] = "2026-01-01T00:00:00Z", ["message"] = message, ["done"] = done };
            if (done)
            {
                line["done_reason"] = reply.FinishReason == "tool_calls" ? "stop" : reply.FinishReason;
                if (!reply.OmitUsage)
                {
                    line["prompt_eval_count"] = usage["prompt_tokens"]!.GetValue<int>();
                    line["eval_count"] = usage["completion_tokens"]!.GetValue<int>();
                }
            }
            return line;
        }
        context.Response.ContentType = stream ? "application/x-ndjson" : "application/json";
        var ct = context.RequestAborted;
        try
        {
            var content = reply.Content ?? "";
            if (!stream)
            {
                await context.Response.WriteAsync(Line(content, done: true).ToJsonString(Compact), ct).ConfigureAwait(false);
                return;
            }
            for (var i = 0; i < content.Length; i += reply.ChunkSize)
            {
                await context.Response.WriteAsync(Line(content.Substring(i, Math.Min(reply.ChunkSize, content.Length - i)), done: false).ToJsonString(Compact) + "\n", ct).ConfigureAwait(false);
                await context.Response.Body.FlushAsync(ct).ConfigureAwait(false);
                if (i == 0 && reply.StallAfterFirstChunk > TimeSpan.Zero) await Task.Delay(reply.StallAfterFirstChunk, ct).ConfigureAwait(false);
            }
            await context.Response.WriteAsync(Line("", done: true).ToJsonString(Compact) + "\n", ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The client stopped reading.
        }
    }

    /// <summary>Anthropic's /v1/messages: a message object, or (stream: true) message_start, content deltas, message_delta, message_stop.</summary>
    private async Task AnthropicMessagesAsync(HttpContext context)
    {
        var (request, reply) = await NextAsync(context).ConfigureAwait(false);
        if (reply is null) return;
        var model = request.Body?["model"]?.GetValue<string>() ?? Models[0];
        var usage = Usage(request, reply);
        var input = usage["prompt_tokens"]!.GetValue<int>();
        var output = usage["completion_tokens"]!.GetValue<int>();
        var id = "msg_" + Interlocked.Increment(ref _completionId).ToString(CultureInfo.InvariantCulture);
        var stop = reply.ToolCalls.Count > 0 ? "tool_use" : "end_turn";
        var content = reply.Content ?? "";
        JsonObject Message(JsonArray blocks, int outputTokens, string? stopReason) => new()
        {
            ["id"] = id,
            ["type"] = "message",
            ["role"] = "assistant",
            ["model"] = model,
            ["content"] = blocks,
            ["stop_reason"] = stopReason,
            ["stop_sequence"] = null,
            ["usage"] = new JsonObject { ["input_tokens"] = input, ["output_tokens"] = outputTokens },
        };
        var isStream = request.Body?["stream"] is JsonValue sv && sv.TryGetValue<bool>(out var st) && st;
        if (!isStream)
        {
            var blocks = new JsonArray();
            if (content.Length > 0) blocks.Add(new JsonObject { ["type"] = "text", ["text"] = content });
            foreach (var t in reply.ToolCalls)
                blocks.Add(new JsonObject { ["type"] = "tool_use", ["id"] = t.Id, ["name"] = t.Name, ["input"] = JsonNode.Parse(t.ArgumentsJson) });
            await WriteJsonAsync(context, Message(blocks, output, stop)).ConfigureAwait(false);
            return;
        }

        context.Response.ContentType = "text/event-stream";
        var ct = context.RequestAborted;
        async Task Event(string name, JsonObject data)
        {
            data["type"] = name;
            await context.Response.WriteAsync($"event: {name}\ndata: {data.ToJsonString(Compact)}\n\n", ct).ConfigureAwait(false);
            await context.Response.Body.FlushAsync(ct).ConfigureAwait(false);
        }
        try
        {
            await Event("message_start", new JsonObject { ["message"] = Message(new JsonArray(), 1, null) }).ConfigureAwait(false);
            await Event("content_block_start", new JsonObject { ["index"] = 0, ["content_block"] = new JsonObject { ["type"] = "text", ["text"] = "" } }).ConfigureAwait(false);
            for (var i = 0; i < content.Length; i += reply.ChunkSize)
            {
                await Event("content_block_delta", new JsonObject
                {
                    ["index"] = 0,
                    ["delta"] = new JsonObject { ["type"] = "text_delta", ["text"] = content.Substring(i, Math.Min(reply.ChunkSize, content.Length - i)) },
                }).ConfigureAwait(false);
                if (i == 0 && reply.StallAfterFirstChunk > TimeSpan.Zero) await Task.Delay(reply.StallAfterFirstChunk, ct).ConfigureAwait(false);
            }
            await Event("content_block_stop", new JsonObject { ["index"] = 0 }).ConfigureAwait(false);
            await Event("message_delta", new JsonObject
            {
                ["delta"] = new JsonObject { ["stop_reason"] = stop, ["stop_sequence"] = null },
                ["usage"] = new JsonObject { ["output_tokens"] = output },
            }).ConfigureAwait(false);
            await Event("message_stop", new JsonObject()).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The client stopped reading.
        }
    }

    private static async Task SendAsync(HttpContext context, JsonObject chunk, CancellationToken ct)
    {
        await context.Response.WriteAsync("data: " + chunk.ToJsonString(Compact) + "\n\n", ct).ConfigureAwait(false);
        await context.Response.Body.FlushAsync(ct).ConfigureAwait(false);
    }

    private static JsonObject Usage(RecordedRequest request, ScriptedReply reply)
    {
        var prompt = reply.PromptTokens ?? (request.MessagesText.Length / 4) + 1;
        var completion = reply.CompletionTokens ?? ((reply.Content?.Length ?? 0) + reply.ToolCalls.Sum(t => t.ArgumentsJson.Length)) / 4 + 1;
        return new JsonObject { ["prompt_tokens"] = prompt, ["completion_tokens"] = completion, ["total_tokens"] = prompt + completion };
    }

    private RecordedRequest Record(HttpContext context, JsonObject? body)
    {
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var request = new RecordedRequest(context.Request.Method, context.Request.Path.Value ?? "", headers, body);
        _requests.Enqueue(request);
        lock (_waiters)
        {
            var chats = ChatRequests.Count;
            foreach (var waiter in _waiters.Where(w => w.Count <= chats).ToList())
            {
                waiter.Arrived.TrySetResult();
                _waiters.Remove(waiter);
            }
        }
        return request;
    }

    private static async Task WriteJsonAsync(HttpContext context, JsonObject value)
    {
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(value.ToJsonString(Compact), Encoding.UTF8, context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task WriteErrorAsync(HttpContext context, HttpStatusCode status, string message)
    {
        context.Response.StatusCode = (int)status;
        await WriteJsonAsync(context, new JsonObject
        {
            ["error"] = new JsonObject { ["message"] = message, ["type"] = status == HttpStatusCode.TooManyRequests ? "rate_limit_exceeded" : "server_error", ["code"] = null },
        }).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
