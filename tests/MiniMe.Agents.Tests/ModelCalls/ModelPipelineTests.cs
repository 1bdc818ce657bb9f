using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.AI;
using MiniMe.Configuration;
using MiniMe.ModelCalls;
using MiniMe.Testing;
using MiniMe.Tracing;

namespace MiniMe.Agents.Tests.ModelCalls;

/// <summary>
/// The model pipeline's decorators (budget, trace, metrics, cost, usage, OpenTelemetry) around a
/// scripted model, whole and streamed, completed, failed and cancelled.
/// </summary>
public sealed class ModelPipelineTests : IDisposable
{
    private const string RunId = "20260101-000000-pipeln";

    private readonly TempDirectory _directory = new();
    // A model name of its own: the meter and the activity source are process-wide, other tests use them too.
    private readonly string _modelId = "pipeline-model-" + Guid.NewGuid().ToString("N")[..8];
    private readonly ScriptedChatClient _model;
    private readonly TraceStore _traces;

    public ModelPipelineTests()
    {
        _model = new ScriptedChatClient { ModelId = _modelId };
        _traces = new TraceStore(Path.Combine(_directory.Path, "traces"));
    }

    public void Dispose() => _directory.Dispose();

    private PriceTable Prices => new([new ModelPrice { Model = _modelId, InputPerMillion = 2m, OutputPerMillion = 8m }]);

    private IChatClient Pipeline() => ModelPipeline.Build(_model, Prices, TeamHarness.Tokens);

    private ModelCall Begin(RunMeter? meter = null, string agent = AgentNames.Builder) =>
        ModelCall.Begin(new ModelCallInfo(RunId, agent, Iteration: 2, Attempt: 1, _traces, meter));

    private static readonly ChatMessage[] Prompt = [new(ChatRole.System, "You are terse."), new(ChatRole.User, "Say something short about caching.")];

    private IReadOnlyList<TraceEvent> Calls => _traces.Exists(RunId) ? [.. _traces.Read(RunId).Where(e => e.EventType == TraceEventTypes.AgentCall)] : [];

    private static async Task<string> CallAsync(IChatClient client, bool streaming, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (!streaming) return (await client.GetResponseAsync(Prompt, options, cancellationToken)).Text;
        var text = "";
        await foreach (var update in client.GetStreamingResponseAsync(Prompt, options, cancellationToken)) text += update.Text;
        return text;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_completed_call_is_traced_once_with_tokens_cost_latency_and_status(bool streaming)
    {
        _model.Enqueue(ScriptedReply.Text("Cache what is read often.", promptTokens: 1000, completionTokens: 500));
        using var call = Begin();
        var text = await CallAsync(Pipeline(), streaming, new ChatOptions { Temperature = 0.25f, MaxOutputTokens = 300 });

        Assert.Equal("Cache what is read often.", text);
        Assert.Equal(ModelCallStatus.Completed, call.Status);
        Assert.Equal((_modelId, 1000L, 500L, false, 0.006m), (call.Model, call.PromptTokens, call.CompletionTokens, call.UsageEstimated, call.Cost)); // 1000 × $2 + 500 × $8 per million
        var data = Assert.Single(Calls).Data;
        Assert.Equal(AgentNames.Builder, data["agent"]!.GetValue<string>());
        Assert.Equal(_modelId, data["model"]!.GetValue<string>());
        Assert.Equal(2, data["iteration"]!.GetValue<int>());
        Assert.Equal(1, data["retries"]!.GetValue<int>());
        Assert.Equal(0, data["http_retries"]!.GetValue<int>());
        Assert.Equal("completed", data["status"]!.GetValue<string>());
        Assert.Equal(1000, data["prompt_tokens"]!.GetValue<long>());
        Assert.Equal(500, data["completion_tokens"]!.GetValue<long>());
        Assert.False(data["usage_estimated"]!.GetValue<bool>());
        Assert.Equal(0.006m, data["cost"]!.GetValue<decimal>());
        Assert.True(data["priced"]!.GetValue<bool>());
        Assert.True(data["latency_ms"]!.GetValue<double>() >= 0);
        Assert.Equal(0.25, data["temperature"]!.GetValue<double>(), 4);
        Assert.Equal(300, data["max_output_tokens"]!.GetValue<int>());
        Assert.Equal("stop", data["finish_reason"]!.GetValue<string>());
        Assert.Equal(streaming, data["streamed"]!.GetValue<bool>());
        Assert.Equal(streaming, data["first_token_ms"] is not null);
        Assert.Equal(text.Length, data["answer_chars"]!.GetValue<int>());
        Assert.Null(data["partial_output"]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Missing_usage_is_counted_with_the_tokenizer_and_priced_from_the_estimate(bool streaming)
    {
        const string answer = "Cache reads, not writes; expire entries by age.";
        _model.Enqueue(ScriptedReply.Text(answer) with { OmitUsage = true });
        using var call = Begin();
        await CallAsync(Pipeline(), streaming);

        var prompt = Prompt.Sum(m => TeamHarness.Tokens.Count(m.Text) + ModelUsageChatClient.MessageOverheadTokens);
        Assert.Equal(prompt, call.PromptTokens);
        Assert.Equal(TeamHarness.Tokens.Count(answer), call.CompletionTokens);
        Assert.True(call.UsageEstimated);
        Assert.Equal(Prices.Cost(_modelId, call.PromptTokens, call.CompletionTokens), call.Cost);
        var data = Assert.Single(Calls).Data;
        Assert.True(data["usage_estimated"]!.GetValue<bool>());
        Assert.Equal(prompt, data["prompt_tokens"]!.GetValue<long>());
    }

    [Fact]
    public async Task An_unlisted_model_is_unpriced()
    {
        var other = new ScriptedChatClient(ScriptedReply.Text("ok", 10, 2)) { ModelId = "not-in-the-table" };
        using var call = Begin();
        await ModelPipeline.Build(other, Prices, TeamHarness.Tokens).GetResponseAsync(Prompt);

        Assert.Null(call.Cost);
        var data = Assert.Single(Calls).Data;
        Assert.False(data["priced"]!.GetValue<bool>());
        Assert.Equal(0m, data["cost"]!.GetValue<decimal>());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_failed_call_is_traced_as_failed_with_its_error_and_the_error_goes_on(bool streaming)
    {
        _model.Enqueue(ScriptedReply.Error(HttpStatusCode.ServiceUnavailable));
        using var call = Begin();
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => CallAsync(Pipeline(), streaming, new ChatOptions { ModelId = _modelId }));

        Assert.Equal("scripted HTTP 503", error.Message);
        Assert.Equal(ModelCallStatus.Failed, call.Status);
        Assert.Equal((0L, 0L, false), (call.PromptTokens, call.CompletionTokens, call.UsageEstimated)); // nothing came back: nothing counted
        var data = Assert.Single(Calls).Data;
        Assert.Equal("failed", data["status"]!.GetValue<string>());
        Assert.Equal("scripted HTTP 503", data["error"]!.GetValue<string>());
        Assert.Equal("", data["partial_output"]!.GetValue<string>());
        Assert.Equal(_modelId, data["model"]!.GetValue<string>()); // the model it asked for
    }

    [Fact]
    public async Task A_stream_that_breaks_midway_keeps_what_arrived_and_counts_it()
    {
        _model.Enqueue(ScriptedReply.Text("first chunk, then the connection drops") with { ChunkSize = 6, FailAfterChunks = 2 });
        using var call = Begin();
        await Assert.ThrowsAsync<HttpRequestException>(() => CallAsync(Pipeline(), streaming: true));

        Assert.Equal(ModelCallStatus.Failed, call.Status);
        Assert.Equal("first chunk,", call.Output);
        Assert.True(call.UsageEstimated);
        Assert.Equal(TeamHarness.Tokens.Count("first chunk,"), call.CompletionTokens);
        Assert.True(call.PromptTokens > 0);
        var data = Assert.Single(Calls).Data;
        Assert.Equal("first chunk,", data["partial_output"]!.GetValue<string>());
        Assert.NotNull(data["first_token_ms"]);
    }

    [Fact]
    public async Task A_stream_whose_reader_stops_early_is_traced_as_cancelled_when_the_reader_lets_go()
    {
        _model.Enqueue(ScriptedReply.Text("one two three four five six") with { ChunkSize = 4 });
        using var call = Begin();
        var read = "";
        await foreach (var update in Pipeline().GetStreamingResponseAsync(Prompt))
        {
            read += update.Text;
            if (read.Length >= 8) break;
        }

        Assert.Equal(ModelCallStatus.Cancelled, call.Status);
        Assert.Equal("one two ", call.Output);
        var data = Assert.Single(Calls).Data;
        Assert.Equal("cancelled", data["status"]!.GetValue<string>());
        Assert.Null(data["error"]);
        Assert.Equal("one two ", data["partial_output"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_cancelled_call_is_traced_as_cancelled(bool streaming)
    {
        using var cts = new CancellationTokenSource();
        _model.Responder = _ =>
        {
            cts.Cancel(); // the caller gives up while the model is working
            return ScriptedReply.Text("never seen").After(TimeSpan.FromMinutes(5));
        };
        using var call = Begin();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => CallAsync(Pipeline(), streaming, cancellationToken: cts.Token));

        Assert.Equal(ModelCallStatus.Cancelled, call.Status);
        Assert.Equal("cancelled", Assert.Single(Calls).Data["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Extra_trace_data_of_the_caller_goes_on_the_agent_call()
    {
        _model.Enqueue(ScriptedReply.Text("summary", 5, 1));
        using (ModelCall.Begin(new ModelCallInfo(RunId, "summarizer", Traces: _traces) { TraceData = new() { ["summarized_messages"] = 6 } }))
            await Pipeline().GetResponseAsync(Prompt);

        var data = Assert.Single(Calls).Data;
        Assert.Equal("summarizer", data["agent"]!.GetValue<string>());
        Assert.Equal(6, data["summarized_messages"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_call_without_a_description_is_accounted_but_traced_nowhere()
    {
        _model.Enqueue(ScriptedReply.Text("ok", 3, 1));
        Assert.Null(ModelCall.Current);
        var response = await Pipeline().GetResponseAsync(Prompt);

        Assert.Equal("ok", response.Text);
        Assert.Null(ModelCall.Current);
        Assert.False(_traces.Exists(RunId));
    }

    [Fact]
    public async Task The_description_flows_with_the_call_and_never_into_the_request()
    {
        _model.Enqueue(ScriptedReply.Text("ok", 3, 1));
        var options = new ChatOptions { Temperature = 0.1f };
        using (var outer = Begin())
        {
            using (var inner = ModelCall.Begin(new ModelCallInfo(RunId, "chat", Traces: _traces)))
            {
                Assert.Same(inner, ModelCall.Current);
                await Pipeline().GetResponseAsync(Prompt, options);
            }
            Assert.Same(outer, ModelCall.Current);
        }
        Assert.Null(ModelCall.Current);

        Assert.Null(_model.Calls[0].Options!.AdditionalProperties);
        Assert.Null(options.AdditionalProperties);
        Assert.Equal("chat", Assert.Single(Calls).Data["agent"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_answer_is_capped_to_the_budget_left_without_changing_the_callers_options()
    {
        _model.Enqueue(ScriptedReply.Text("ok", 10, 10));
        var meter = new RunMeter(5000);
        meter.Add(AgentNames.Architect, 3000, 0, null, estimated: false, 1);
        var options = new ChatOptions { MaxOutputTokens = 4096 };
        using (Begin(meter))
            await Pipeline().GetResponseAsync(Prompt, options);

        Assert.InRange(_model.Calls[0].Options!.MaxOutputTokens!.Value, RunMeter.MinimumAnswerTokens, 2000 - 1);
        Assert.Equal(4096, options.MaxOutputTokens);
        Assert.Equal(_model.Calls[0].Options!.MaxOutputTokens, Assert.Single(Calls).Data["max_output_tokens"]!.GetValue<int>());
        Assert.Equal(3020, meter.TotalTokens);
        Assert.Equal(2, meter.Calls);
    }

    [Fact]
    public async Task Without_a_meter_nothing_is_capped()
    {
        _model.Enqueue(ScriptedReply.Text("ok", 10, 10));
        using (Begin(meter: null))
            await Pipeline().GetResponseAsync(Prompt);
        Assert.Null(_model.Calls[0].Options?.MaxOutputTokens);
    }

    [Fact]
    public async Task No_room_for_an_answer_refuses_the_call_before_it_is_made()
    {
        _model.Enqueue(ScriptedReply.Text("ok"));
        var meter = new RunMeter(1000);
        meter.Add(AgentNames.Architect, 990, 0, null, estimated: false, 1);
        using var call = Begin(meter);
        var error = await Assert.ThrowsAsync<RunBudgetExceededException>(() => CallAsync(Pipeline(), streaming: true));

        Assert.Contains("leaves no room for an answer", error.Message);
        Assert.Empty(_model.Calls);
        Assert.Empty(Calls);
        Assert.Equal(1, meter.Calls);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_call_that_overruns_the_budget_is_traced_and_counted_then_stops_the_run(bool streaming)
    {
        _model.Enqueue(ScriptedReply.Text("a long answer", promptTokens: 900, completionTokens: 300));
        var meter = new RunMeter(1000);
        using (Begin(meter))
        {
            var error = await Assert.ThrowsAsync<RunBudgetExceededException>(() => CallAsync(Pipeline(), streaming));
            Assert.Equal(1200, error.UsedTokens);
            Assert.Equal(AgentNames.Builder, error.Agent);
        }

        Assert.Equal("completed", Assert.Single(Calls).Data["status"]!.GetValue<string>());
        Assert.Equal(1200, meter.TotalTokens);
        Assert.Equal(Prices.Cost(_modelId, 900, 300), meter.Cost);
    }

    [Fact]
    public async Task A_failed_call_is_counted_in_the_meter_and_its_own_error_goes_on()
    {
        _model.Enqueue(ScriptedReply.Text("partial answer text") with { ChunkSize = 8, FailAfterChunks = 1 });
        var meter = new RunMeter(100_000);
        using (Begin(meter))
            await Assert.ThrowsAsync<HttpRequestException>(() => CallAsync(Pipeline(), streaming: true));

        var data = Assert.Single(Calls).Data;
        Assert.Equal(1, meter.Calls);
        Assert.True(meter.Estimated);
        Assert.Equal(data["prompt_tokens"]!.GetValue<long>() + data["completion_tokens"]!.GetValue<long>(), meter.TotalTokens);
    }

    [Fact]
    public async Task Tokens_cost_duration_first_token_and_failures_are_measured_on_the_MiniMe_meter()
    {
        var measurements = new ConcurrentBag<(string Instrument, double Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == MiniMeTelemetry.MeterName) l.EnableMeasurementEvents(instrument);
            },
        };
        void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var map = new Dictionary<string, object?>();
            foreach (var tag in tags) map[tag.Key] = tag.Value;
            if (Equals(map.GetValueOrDefault("model"), _modelId)) measurements.Add((instrument.Name, value, map));
        }
        listener.SetMeasurementEventCallback<long>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<double>((i, v, t, _) => Record(i, v, t));
        listener.Start();

        _model.Enqueue(ScriptedReply.Text("measured", 100, 20), ScriptedReply.Error(HttpStatusCode.BadGateway));
        using (Begin())
        {
            await CallAsync(Pipeline(), streaming: true);
            await Assert.ThrowsAsync<HttpRequestException>(() => CallAsync(Pipeline(), streaming: false, new ChatOptions { ModelId = _modelId }));
        }

        double Sum(string instrument, string? key = null, string? value = null) =>
            measurements.Where(m => m.Instrument == instrument && m.Tags["agent"] as string == AgentNames.Builder && (key is null || Equals(m.Tags.GetValueOrDefault(key), value))).Sum(m => m.Value);
        Assert.Equal(100, Sum("minime.model.tokens", "direction", "prompt"));
        Assert.Equal(20, Sum("minime.model.tokens", "direction", "completion"));
        Assert.Equal((double)Prices.Cost(_modelId, 100, 20)!.Value, Sum("minime.model.cost_usd"), 9);
        Assert.Equal(2, measurements.Count(m => m.Instrument == "minime.model.call.duration"));
        Assert.Single(measurements, m => m.Instrument == "minime.model.call.duration" && m.Tags["status"] as string == "failed");
        Assert.Single(measurements, m => m.Instrument == "minime.model.first_token.duration");
        Assert.Equal(1, Sum("minime.model.failures", "status", "failed"));
    }

    [Fact]
    public async Task A_model_call_is_a_GenAI_span_on_the_MiniMe_source_without_message_content()
    {
        var spans = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == MiniMeTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.GetTagItem("gen_ai.request.model") as string == _modelId) spans.Add(activity);
            },
        };
        ActivitySource.AddActivityListener(listener);

        _model.Enqueue(ScriptedReply.Text("traced answer", 42, 7));
        using (Begin())
            await Pipeline().GetResponseAsync(Prompt, new ChatOptions { ModelId = _modelId });

        var span = Assert.Single(spans);
        Assert.Equal(ActivityKind.Client, span.Kind);
        Assert.Equal("chat", span.GetTagItem("gen_ai.operation.name"));
        Assert.Equal(42, Convert.ToInt32(span.GetTagItem("gen_ai.usage.input_tokens"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(7, Convert.ToInt32(span.GetTagItem("gen_ai.usage.output_tokens"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(AgentNames.Builder, span.GetTagItem("minime.agent"));
        Assert.Equal(RunId, span.GetTagItem("minime.run_id"));
        Assert.Equal(1, span.GetTagItem("minime.attempt"));
        Assert.DoesNotContain(span.Tags, t => t.Value?.Contains("caching", StringComparison.Ordinal) == true || t.Value?.Contains("traced answer", StringComparison.Ordinal) == true);
    }

    [Fact]
    public void The_pipeline_is_recognized_and_a_bare_client_is_refused_by_the_agents()
    {
        Assert.True(ModelPipeline.IsBuilt(Pipeline()));
        Assert.False(ModelPipeline.IsBuilt(_model));
        var error = Assert.Throws<ArgumentException>(() => new AgentTeam(_model, TeamHarness.DefaultOptions, _traces));
        Assert.Contains("model-call pipeline", error.Message, StringComparison.Ordinal);
    }
}
