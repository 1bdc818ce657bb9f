namespace MiniMe.Hosting;

/// <summary>How this process runs the engine, beyond config.yaml: set through <see cref="MiniMeBuilder"/>.</summary>
public sealed class EngineSettings
{
    /// <summary>--force: start an empty memory in a 0-byte memory.db instead of refusing it.</summary>
    public bool AllowEmptyMemory { get; set; }

    /// <summary>
    /// Export MiniMe's spans and metrics over OTLP from the engine itself when OTEL_EXPORTER_OTLP_ENDPOINT
    /// is set (the CLI); false when the host has its own OpenTelemetry pipeline (the server).
    /// </summary>
    public bool OwnTelemetry { get; set; } = true;

    /// <summary>
    /// The process searches many times (the server): memory.lexical auto opens the Lucene.Net index,
    /// whose start-up cost a one-shot command would not earn back.
    /// </summary>
    public bool LongRunning { get; set; }
}
