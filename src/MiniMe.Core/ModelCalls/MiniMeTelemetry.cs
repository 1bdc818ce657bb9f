using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace MiniMe.ModelCalls;

/// <summary>
/// MiniMe's telemetry names: one <see cref="ActivitySource"/> ("MiniMe") for run, stage and model-call
/// spans (the GenAI spans of <c>UseOpenTelemetry</c> use it too) and one meter name ("MiniMe") for the
/// model-call metrics. <see cref="AddMiniMeTracing"/> and <see cref="AddMiniMeMetrics"/> subscribe an
/// OpenTelemetry provider to them, exporting over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set;
/// <see cref="StartOtlpExport"/> does both for a process without a host (the CLI).
/// </summary>
public static class MiniMeTelemetry
{
    public const string SourceName = "MiniMe";
    public const string MeterName = "MiniMe";
    public const string ServiceName = "minime";
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string OtlpProtocolVariable = "OTEL_EXPORTER_OTLP_PROTOCOL";
    public const string OtlpHeadersVariable = "OTEL_EXPORTER_OTLP_HEADERS";
    public const string ServiceNameVariable = "OTEL_SERVICE_NAME";

    /// <summary>Spans for runs and their stages (the model calls' GenAI spans come from the same source).</summary>
    public static ActivitySource ActivitySource { get; } = new(SourceName);

    /// <summary>True when OTEL_EXPORTER_OTLP_ENDPOINT is set.</summary>
    /// <param name="environment">Reads a variable; null: the process environment.</param>
    public static bool OtlpEnabled(Func<string, string?>? environment = null) =>
        !string.IsNullOrWhiteSpace((environment ?? Environment.GetEnvironmentVariable)(OtlpEndpointVariable));

    /// <summary>MiniMe's spans, exported over OTLP when the endpoint is set.</summary>
    /// <param name="environment">Reads OTEL_EXPORTER_OTLP_*; null: the process environment, read by the exporter itself (per-signal variables included).</param>
    public static TracerProviderBuilder AddMiniMeTracing(this TracerProviderBuilder tracing, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(tracing);
        tracing.AddSource(SourceName);
        if (!OtlpEnabled(environment)) return tracing;
        return tracing.ConfigureResource(r => Describe(r, environment)).AddOtlpExporter(o => Configure(o, environment, "traces"));
    }

    /// <summary>MiniMe's model-call metrics, exported over OTLP when the endpoint is set (a server adds its Prometheus exporter too).</summary>
    public static MeterProviderBuilder AddMiniMeMetrics(this MeterProviderBuilder metrics, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        metrics.AddMeter(MeterName);
        if (!OtlpEnabled(environment)) return metrics;
        return metrics.ConfigureResource(r => Describe(r, environment)).AddOtlpExporter(o => Configure(o, environment, "metrics"));
    }

    /// <summary>
    /// For a process without a host: tracer and meter providers exporting MiniMe's spans and metrics
    /// over OTLP, or null when OTEL_EXPORTER_OTLP_ENDPOINT is not set. Disposing flushes what is left.
    /// </summary>
    public static IDisposable? StartOtlpExport(Func<string, string?>? environment = null)
    {
        if (!OtlpEnabled(environment)) return null;
        var tracer = Sdk.CreateTracerProviderBuilder().AddMiniMeTracing(environment).Build();
        var meter = Sdk.CreateMeterProviderBuilder().AddMiniMeMetrics(environment).Build();
        return new Export(tracer, meter);
    }

    private static void Describe(ResourceBuilder resource, Func<string, string?>? environment)
    {
        if (string.IsNullOrWhiteSpace((environment ?? Environment.GetEnvironmentVariable)(ServiceNameVariable)))
            resource.AddService(ServiceName);
    }

    private static void Configure(OtlpExporterOptions options, Func<string, string?>? environment, string signal)
    {
        if (environment is null) return; // the exporter reads OTEL_EXPORTER_OTLP_* from the process itself
        var endpoint = environment(OtlpEndpointVariable)!.Trim();
        options.Protocol = environment(OtlpProtocolVariable)?.Trim() is "http/protobuf" ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
        // Set in code, an http/protobuf endpoint is used as given: add the signal's path as the variable would.
        options.Endpoint = options.Protocol == OtlpExportProtocol.HttpProtobuf
            ? new Uri(endpoint.TrimEnd('/') + "/v1/" + signal)
            : new Uri(endpoint);
        if (environment(OtlpHeadersVariable) is { Length: > 0 } headers) options.Headers = headers;
    }

    private sealed class Export(TracerProvider? tracer, MeterProvider? meter) : IDisposable
    {
        public void Dispose()
        {
            tracer?.Dispose();
            meter?.Dispose();
        }
    }
}
