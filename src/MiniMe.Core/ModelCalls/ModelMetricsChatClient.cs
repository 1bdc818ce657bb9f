using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.AI;

namespace MiniMe.ModelCalls;

/// <summary>
/// Metrics of every model call on the "MiniMe" meter (<see cref="MiniMeTelemetry.MeterName"/>):
/// tokens by direction (prompt, completion), model and agent; cost; call duration by status; time to
/// the first streamed token; failed and cancelled calls; HTTP retries. The server exports them at
/// /metrics; with OTEL_EXPORTER_OTLP_ENDPOINT set they go over OTLP too.
/// </summary>
public sealed class ModelMetricsChatClient : ModelCallChatClient
{
    private static readonly Lazy<Instruments> s_shared = new(() => new Instruments(new Meter(MiniMeTelemetry.MeterName)));

    private readonly Instruments _instruments;

    /// <param name="meters">Creates the meter (the server's, so it is disposed with it); null: one meter shared by the process.</param>
    public ModelMetricsChatClient(IChatClient innerClient, IMeterFactory? meters = null) : base(innerClient)
    {
        _instruments = meters is null ? s_shared.Value : new Instruments(meters.Create(MiniMeTelemetry.MeterName));
    }

    protected override void OnFinished(ModelCall call)
    {
        var model = call.Model ?? "unknown";
        var agent = call.Info.Agent;
        var i = _instruments;
        i.Tokens.Add(call.PromptTokens, Tags(model, agent, ("direction", "prompt")));
        i.Tokens.Add(call.CompletionTokens, Tags(model, agent, ("direction", "completion")));
        i.Cost.Add((double)(call.Cost ?? 0), Tags(model, agent)); // an unpriced model adds 0, so its series still shows
        var status = ModelCallTraceChatClient.Status(call.Status);
        i.Duration.Record(call.LatencyMs / 1000, Tags(model, agent, ("status", status)));
        if (call.FirstTokenMs is { } first) i.FirstToken.Record(first / 1000, Tags(model, agent));
        if (call.Status != ModelCallStatus.Completed) i.Failures.Add(1, Tags(model, agent, ("status", status)));
        if (call.HttpRetries > 0) i.HttpRetries.Add(call.HttpRetries, Tags(model, agent));
    }

    private static TagList Tags(string model, string agent, (string Key, string Value)? extra = null)
    {
        var tags = new TagList { { "model", model }, { "agent", agent } };
        if (extra is { } e) tags.Add(e.Key, e.Value);
        return tags;
    }

    private sealed class Instruments(Meter meter)
    {
        public Counter<long> Tokens { get; } = meter.CreateCounter<long>("minime.model.tokens", "{token}", "Model tokens by direction (prompt, completion), model and agent");
        public Counter<double> Cost { get; } = meter.CreateCounter<double>("minime.model.cost_usd", null, "Model cost in USD (llm.prices), by model and agent");
        public Histogram<double> Duration { get; } = meter.CreateHistogram<double>("minime.model.call.duration", "s", "Model call latency, by model, agent and status");
        public Histogram<double> FirstToken { get; } = meter.CreateHistogram<double>("minime.model.first_token.duration", "s", "Time from a streaming model request to its first token, by model and agent");
        public Counter<long> Failures { get; } = meter.CreateCounter<long>("minime.model.failures", "{call}", "Model calls that failed or were cancelled, by model, agent and status");
        public Counter<long> HttpRetries { get; } = meter.CreateCounter<long>("minime.model.http_retries", "{retry}", "HTTP retries of model calls (429, 5xx, timeouts), by model and agent");
    }
}
