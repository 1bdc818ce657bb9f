namespace MiniMe.Hosting;

/// <summary>How this process runs the engine, beyond config.yaml: set through <see cref="MiniMeBuilder"/>.</summary>
public sealed class EngineSettings
{
    /// <summary>--force: start an empty memory in a 0-byte memory.db instead of refusing it.</summary>
    public bool AllowEmptyMemory { get; set; }
}
