using MiniMe.Configuration;
using MiniMe.Memory.Retrieval;
using MiniMe.Tools.Paths;
using MiniMe.Tools.Commands;
using MiniMe.Tools.Processes;

namespace MiniMe.Tools;

/// <summary>What every tool shares: path confinement, the command policy and runner, limits, and memory retrieval.</summary>
public sealed class ToolContext(
    PathConfiner paths,
    CommandPolicy commands,
    ProcessRunner runner,
    IReadOnlyDictionary<string, string> commandEnvironment,
    ToolsOptions options,
    IReadOnlyList<string> ignoredDirectories,
    Func<CancellationToken, Task<HybridRetriever>>? retriever,
    string quarantineDirectory)
{
    public PathConfiner Paths { get; } = paths;
    /// <summary>Opens what <see cref="Paths"/> checked, through held handles and without following links.</summary>
    internal ConfinedFiles Files { get; } = new(paths.Root);
    public CommandPolicy Commands { get; } = commands;
    public ProcessRunner Runner { get; } = runner;
    /// <summary>The scrubbed environment commands get.</summary>
    public IReadOnlyDictionary<string, string> CommandEnvironment { get; } = commandEnvironment;
    public ToolsOptions Options { get; } = options;
    /// <summary>Directory names search_repo never descends into (import.ignoreDirectories).</summary>
    public IReadOnlyList<string> IgnoredDirectories { get; } = ignoredDirectories;
    /// <summary>Where code files and git repositories a command left behind are moved (in the MiniMe home, out of the tools' reach).</summary>
    public string QuarantineDirectory { get; } = quarantineDirectory;

    public Task<HybridRetriever> RetrieverAsync(CancellationToken cancellationToken) =>
        retriever is null
            ? throw new ToolFailedException("Memory retrieval is not available here (no memory store was configured).")
            : retriever(cancellationToken);
}
