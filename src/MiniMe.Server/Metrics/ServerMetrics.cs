using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace MiniMe.Server.Metrics;

/// <summary>
/// The server's meters, exported at /metrics in Prometheus format: requests and their latency by
/// route, chat tokens and cost by model, retrieval latency, and time to the first streamed token.
/// </summary>
public sealed class ServerMetrics
{
    public const string MeterName = "MiniMe.Server";

    private readonly Counter<long> _requests;
    private readonly Histogram<double> _requestDuration;
    private readonly Counter<long> _tokens;
    private readonly Counter<double> _cost;
    private readonly Histogram<double> _retrieval;
    private readonly Histogram<double> _firstToken;

    public ServerMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);
        _requests = meter.CreateCounter<long>("minime.server.requests", "{request}", "HTTP requests handled, by method, route and status");
        _requestDuration = meter.CreateHistogram<double>("minime.server.request.duration", "s", "HTTP request latency, by method, route and status");
        _tokens = meter.CreateCounter<long>("minime.chat.tokens", "{token}", "Model tokens used by chat, by model and kind (prompt, completion)");
        _cost = meter.CreateCounter<double>("minime.chat.cost_usd", null, "Model cost of chat in USD (llm.prices), by model");
        _retrieval = meter.CreateHistogram<double>("minime.retrieval.duration", "s", "Memory retrieval latency (search and chat context)");
        _firstToken = meter.CreateHistogram<double>("minime.chat.first_token.duration", "s", "Time from a streaming chat request to its first token");
    }

    public void Request(string method, string route, int status, double seconds)
    {
        var tags = new TagList { { "method", method }, { "route", route }, { "status", status } };
        _requests.Add(1, tags);
        _requestDuration.Record(seconds, tags);
    }

    public void Tokens(string model, long prompt, long completion, decimal? cost)
    {
        _tokens.Add(prompt, new KeyValuePair<string, object?>("model", model), new KeyValuePair<string, object?>("kind", "prompt"));
        _tokens.Add(completion, new KeyValuePair<string, object?>("model", model), new KeyValuePair<string, object?>("kind", "completion"));
        _cost.Add((double)(cost ?? 0), new KeyValuePair<string, object?>("model", model));
    }

    public void Retrieval(double seconds, string origin) => _retrieval.Record(seconds, new KeyValuePair<string, object?>("origin", origin));

    public void FirstToken(double seconds) => _firstToken.Record(seconds);
}
