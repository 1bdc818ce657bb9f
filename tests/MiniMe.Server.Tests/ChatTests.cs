using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.AI;
using MiniMe.Server.Tests.Support;
using MiniMe.Tracing;

namespace MiniMe.Server.Tests;

[Trait("Category", "Integration")]
public sealed class ChatTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Chat_answers_from_the_model_with_persona_and_memory_in_the_system_prompt()
    {
        var model = new ScriptedChatClient().Enqueue("We deploy ", "with **helm**.");
        await using var server = await TestServer.StartAsync(model);
        var client = server.Client(server.CreateKey("k"));
        await client.PostJsonAsync("/v1/memory/import", new
        {
            documents = new[] { new { name = "deploy.md", content = "# Deployment\n\nProduction deploys use helm charts on the kubernetes cluster; rollbacks use helm rollback.\n" } },
        });

        var reply = await client.PostJsonAsync("/v1/chat", new { message = "How do we deploy with helm?" });

        Assert.Equal("We deploy with **helm**.", reply.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal(ScriptedChatClient.Model, reply.GetProperty("model").GetString());
        var usage = reply.GetProperty("usage");
        Assert.Equal(40, usage.GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(7, usage.GetProperty("completion_tokens").GetInt64());
        Assert.False(usage.GetProperty("estimated").GetBoolean());
        Assert.Contains("deploy.md", reply.GetProperty("sources")[0].GetProperty("source").GetString(), StringComparison.Ordinal);

        var request = Assert.Single(model.Requests);
        Assert.Equal(ChatRole.System, request[0].Role);
        Assert.Contains("calm, direct, pragmatic engineer", request[0].Text, StringComparison.Ordinal);
        Assert.Contains("helm rollback", request[0].Text, StringComparison.Ordinal);
        Assert.Equal("How do we deploy with helm?", request[^1].Text);

        var runId = reply.GetProperty("run_id").GetString()!;
        var events = new TraceStore(server.Workspace.TracesDirectory).Read(runId);
        Assert.Equal(
            [TraceEventTypes.TaskStart, TraceEventTypes.MaskGeneration, TraceEventTypes.Retrieval, TraceEventTypes.ContextAssembly, TraceEventTypes.AgentCall, TraceEventTypes.RunEnd],
            events.Select(e => e.EventType));
        Assert.Equal("completed", events[^1].Data["status"]!.GetValue<string>());
        Assert.Equal(47, events[^1].Data["total_tokens"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_conversation_keeps_its_history_and_sends_it_with_the_next_turn()
    {
        var model = new ScriptedChatClient().Enqueue("First answer.").Enqueue("Second answer.");
        await using var server = await TestServer.StartAsync(model);
        var client = server.Client(server.CreateKey("k"));
        var first = await client.PostJsonAsync("/v1/chat", new { message = "Remember that I like Rust." });
        var id = first.GetProperty("conversation_id").GetString()!;
        await client.PostJsonAsync("/v1/chat", new { message = "What do I like?", conversation_id = id });

        var second = model.Requests.Last();
        Assert.Equal(["Remember that I like Rust.", "First answer.", "What do I like?"], second.Skip(1).Select(m => m.Text));
        Assert.Equal([ChatRole.User, ChatRole.Assistant, ChatRole.User], second.Skip(1).Select(m => m.Role));

        var detail = await client.GetJsonAsync($"/v1/conversations/{id}");
        Assert.Equal(["user", "assistant", "user", "assistant"], detail.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("role").GetString()));
        Assert.Equal("Remember that I like Rust.", detail.GetProperty("conversation").GetProperty("title").GetString());
        var list = await client.GetJsonAsync("/v1/conversations");
        Assert.Equal(4, list[0].GetProperty("message_count").GetInt32());

        using var deleted = await client.DeleteAsync($"/v1/conversations/{id}");
        Assert.Equal(System.Net.HttpStatusCode.NoContent, deleted.StatusCode);
        await (await client.GetAsync($"/v1/conversations/{id}")).AssertProblemAsync(404);
        using var gone = await client.PostAsJsonAsync("/v1/chat", new { message = "hello?", conversation_id = id });
        await gone.AssertProblemAsync(404);
    }

    [Fact]
    public async Task Turns_that_leave_the_window_are_summarized_by_the_model_and_sent_with_later_turns()
    {
        var model = new ScriptedChatClient()
            .Enqueue("A1.").Enqueue("A2.").Enqueue("A3.")
            .Enqueue("The user works on Bluebird, a payments service, and prefers Rust.") // the summary
            .Enqueue("A4.").Enqueue("A5.");
        await using var server = await TestServer.StartAsync(model, tweak: o => { o.HistoryMessages = 2; o.SummarizeAfterMessages = 4; });
        var client = server.Client(server.CreateKey("k"));
        var id = (await client.PostJsonAsync("/v1/chat", new { message = "I work on Bluebird." })).GetProperty("conversation_id").GetString();
        await client.PostJsonAsync("/v1/chat", new { message = "It handles payments.", conversation_id = id });
        await client.PostJsonAsync("/v1/chat", new { message = "I prefer Rust.", conversation_id = id });
        var fourth = await client.PostJsonAsync("/v1/chat", new { message = "What do you know about me?", conversation_id = id });
        await client.PostJsonAsync("/v1/chat", new { message = "Anything else?", conversation_id = id });

        var requests = model.Requests.ToList();
        Assert.Equal(6, requests.Count);
        var summaryRequest = requests[3];
        Assert.Contains("Fold the earlier summary", summaryRequest[0].Text, StringComparison.Ordinal);
        Assert.Contains("user: I work on Bluebird.", summaryRequest[1].Text, StringComparison.Ordinal);
        Assert.Contains("assistant: A2.", summaryRequest[1].Text, StringComparison.Ordinal);
        Assert.DoesNotContain("I prefer Rust.", summaryRequest[1].Text, StringComparison.Ordinal); // still inside the window

        // The turn after the summary and the next one carry it. The fourth sends the two messages of the
        // window; on the fifth the two that left it since ride along until four have piled up.
        foreach (var turn in new[] { requests[4], requests[5] })
            Assert.Contains("prefers Rust", turn[0].Text, StringComparison.Ordinal);
        Assert.Equal(4, requests[4].Count); // system, two history messages, the new message
        Assert.Equal(["I prefer Rust.", "A3.", "What do you know about me?", "A4.", "Anything else?"], requests[5].Skip(1).Select(m => m.Text));
        var trace = new TraceStore(server.Workspace.TracesDirectory).Read(fourth.GetProperty("run_id").GetString()!);
        var calls = trace.Where(e => e.EventType == TraceEventTypes.AgentCall).ToList();
        Assert.Equal(["summarizer", "chat"], calls.Select(e => e.Data["agent"]!.GetValue<string>()));
        Assert.Equal(4, calls[0].Data["summarized_messages"]!.GetValue<int>());
        // The run's totals are both model calls, the summary's and the answer's.
        var end = trace.Single(e => e.EventType == TraceEventTypes.RunEnd).Data;
        Assert.Equal(2, end["model_calls"]!.GetValue<int>());
        Assert.Equal(calls.Sum(e => e.Data["prompt_tokens"]!.GetValue<long>() + e.Data["completion_tokens"]!.GetValue<long>()), end["total_tokens"]!.GetValue<long>());
        Assert.Equal(47, fourth.GetProperty("usage").GetProperty("total_tokens").GetInt64()); // the answer's own usage
    }

    [Fact]
    public async Task Stream_sends_each_token_as_it_is_produced_then_done_with_usage()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var model = new ScriptedChatClient().Enqueue(new ScriptedAnswer(["Hel", "lo", " there", "!"]) { GateAfterFirstToken = gate });
        await using var server = await TestServer.StartAsync(model);
        var client = server.Client(server.CreateKey("k"));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/stream") { Content = JsonContent.Create(new { message = "Say hello" }) };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var sse = new SseReader(await response.Content.ReadAsStreamAsync());
        using var timeout = new CancellationTokenSource(Patience);

        var start = (await sse.NextAsync(timeout.Token))!.Value;
        Assert.Equal("start", start.GetProperty("type").GetString());
        // The model is blocked after its first token: this event can only arrive if it was flushed alone.
        var first = (await sse.NextAsync(timeout.Token))!.Value;
        Assert.Equal("delta", first.GetProperty("type").GetString());
        Assert.Equal("Hel", first.GetProperty("text").GetString());
        Assert.False(gate.Task.IsCompleted);

        gate.SetResult();
        var rest = await sse.RestAsync(timeout.Token);
        Assert.Equal(["lo", " there", "!"], rest.Where(e => e.GetProperty("type").GetString() == "delta").Select(e => e.GetProperty("text").GetString()));
        var done = rest[^1];
        Assert.Equal("done", done.GetProperty("type").GetString());
        Assert.Equal(47, done.GetProperty("usage").GetProperty("total_tokens").GetInt64());
        Assert.Equal(ScriptedChatClient.Model, done.GetProperty("model").GetString());

        var conversation = await client.GetJsonAsync($"/v1/conversations/{start.GetProperty("conversation_id").GetString()}");
        Assert.Equal("Hello there!", conversation.GetProperty("messages")[1].GetProperty("content").GetString());
        var trace = new TraceStore(server.Workspace.TracesDirectory).Read(done.GetProperty("run_id").GetString()!);
        Assert.True(trace.Single(e => e.EventType == TraceEventTypes.AgentCall).Data["streamed"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_client_that_disconnects_mid_stream_cancels_the_model_call_and_the_run_ends_cancelled()
    {
        var never = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var model = new ScriptedChatClient().Enqueue(new ScriptedAnswer(["partial", " never"]) { GateAfterFirstToken = never });
        await using var server = await TestServer.StartAsync(model);
        var client = server.Client(server.CreateKey("k"));
        string runId;
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/stream") { Content = JsonContent.Create(new { message = "Tell me a long story" }) })
        using (var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        using (var sse = new SseReader(await response.Content.ReadAsStreamAsync()))
        {
            runId = (await sse.NextAsync())!.Value.GetProperty("run_id").GetString()!;
            Assert.Equal("partial", (await sse.NextAsync())!.Value.GetProperty("text").GetString());
        } // disconnect

        await model.StreamCancelled.Task.WaitAsync(Patience);
        var traces = new TraceStore(server.Workspace.TracesDirectory);
        using var timeout = new CancellationTokenSource(Patience);
        while (!traces.Read(runId).Any(e => e.EventType == TraceEventTypes.RunEnd))
            await Task.Delay(50, timeout.Token);
        var events = traces.Read(runId);
        var end = events.Single(e => e.EventType == TraceEventTypes.RunEnd);
        Assert.Equal("cancelled", end.Data["status"]!.GetValue<string>());
        Assert.Same(end, events[^1]);
        var call = events.Single(e => e.EventType == TraceEventTypes.AgentCall).Data;
        Assert.Equal("cancelled", call["status"]!.GetValue<string>());
        Assert.Equal("partial", call["partial_output"]!.GetValue<string>());
        Assert.True(call["streamed"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Without_a_model_chat_answers_503_saying_how_to_configure_one()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client(server.CreateKey("k"));
        using var chat = await client.PostAsJsonAsync("/v1/chat", new { message = "hi" });
        Assert.Contains("llm.provider", await chat.AssertProblemAsync(503), StringComparison.Ordinal);
        using var stream = await client.PostAsJsonAsync("/v1/chat/stream", new { message = "hi" });
        Assert.Contains("MINIME_LLM__PROVIDER", await stream.AssertProblemAsync(503), StringComparison.Ordinal);
        Assert.Empty((await client.GetJsonAsync("/v1/conversations")).EnumerateArray());
    }

    [Fact]
    public async Task A_failing_model_is_a_502_problem_and_an_error_in_the_trace_with_no_secret()
    {
        var model = new ScriptedChatClient().Enqueue(new ScriptedAnswer([]) { Failure = new HttpRequestException("upstream said no to sk-abcdefghijklmnopqrstuvwx") })
            .Enqueue(new ScriptedAnswer(["never"]) { Failure = new HttpRequestException("connection refused") });
        await using var server = await TestServer.StartAsync(model);
        var client = server.Client(server.CreateKey("k"));
        using var response = await client.PostAsJsonAsync("/v1/chat", new { message = "hi there" });
        var detail = await response.AssertProblemAsync(502);
        Assert.Contains("upstream said no", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-abcdefghijklmnopqrstuvwx", detail, StringComparison.Ordinal);

        var run = (await client.GetJsonAsync("/v1/runs"))[0];
        Assert.Equal("error", run.GetProperty("status").GetString());

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/stream") { Content = JsonContent.Create(new { message = "again" }) };
        using var streamed = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var sse = new SseReader(await streamed.Content.ReadAsStreamAsync());
        var events = await sse.RestAsync();
        Assert.Equal("error", events[^1].GetProperty("type").GetString());
        Assert.Contains("connection refused", events[^1].GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Usage_is_counted_with_the_tokenizer_when_the_model_reports_none()
    {
        var model = new ScriptedChatClient().Enqueue(new ScriptedAnswer(["Four words in here."], null, null));
        await using var server = await TestServer.StartAsync(model);
        var reply = await server.Client(server.CreateKey("k")).PostJsonAsync("/v1/chat", new { message = "Count please" });
        var usage = reply.GetProperty("usage");
        Assert.True(usage.GetProperty("estimated").GetBoolean());
        Assert.Equal(5, usage.GetProperty("completion_tokens").GetInt64());
        Assert.True(usage.GetProperty("prompt_tokens").GetInt64() > 10);
    }
}
