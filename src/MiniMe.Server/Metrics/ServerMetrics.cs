using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace MiniMe.Server.Metrics;

/// <summary>
/// The server's own meters, exported at /metrics in Prometheus format: requests and their latency by
/// route, and retrieval latency. Model calls (tokens, cost, latency, first token, failures) are
/// measured by the model pipeline on the "MiniMe" meter (<see cref="MiniMe.ModelCalls.ModelMetricsChatClient"/>).
/// </summary>
public sealed class ServerMetrics
{
    public const string MeterName = "MiniMe.Server";

    private readonly Counter<long> _requests;
    private readonly Histogram<double> _requestDuration;
    private readonly Histogram<double> _retrieval;

    public ServerMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);
        _requests = meter.CreateCounter<long>("minime.server.requests", "{request}", "HTTP requests handled, by method, route and status");
        _requestDuration = meter.CreateHistogram<double>("minime.server.request.duration", "s", "HTTP request latency, by method, route and status");
        _retrieval = meter.CreateHistogram<double>("minime.retrieval.duration", "s", "Memory retrieval latency (search and chat context)");
    }

    public void Request(string method, string route, int status, double seconds)
    {
        var tags = new TagList { { "method", method }, { "route", route }, { "status", status } };
        _requests.Add(1, tags);
        _requestDuration.Record(seconds, tags);
    }

    public void Retrieval(double seconds, string origin) => _retrieval.Record(seconds, new KeyValuePair<string, object?>("origin", origin));
}
