using MiniMe.ModelCalls;

namespace MiniMe.Hosting;

/// <summary>The engine's own OTLP export (when OTEL_EXPORTER_OTLP_ENDPOINT is set), started with the first model client and flushed at the end.</summary>
internal sealed class TelemetryExport(EngineSettings settings) : IDisposable
{
    private readonly Lock _gate = new();
    private IDisposable? _export;
    private bool _started;

    public void EnsureStarted()
    {
        if (!settings.OwnTelemetry) return;
        lock (_gate)
        {
            if (_started) return;
            _started = true;
            _export = MiniMeTelemetry.StartOtlpExport();
        }
    }

    public void Dispose()
    {
        lock (_gate) _export?.Dispose();
    }
}
