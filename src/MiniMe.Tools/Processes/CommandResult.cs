namespace MiniMe.Tools.Processes;

/// <summary>What a command is run with: an absolute program path and an argument vector, never a shell line.</summary>
/// <param name="StandardInput">Written to the command's stdin, which is then closed (null: closed at once).</param>
public sealed record CommandSpec(
    string Program,
    IReadOnlyList<string> Arguments,
    string WorkingDirectory,
    IReadOnlyDictionary<string, string> Environment,
    TimeSpan Timeout,
    int MaxOutputBytes,
    string? StandardInput = null);

/// <summary>One captured stream: the kept text, how many bytes there were, and whether some were dropped.</summary>
public sealed record CapturedOutput(string Text, long TotalBytes, bool Truncated);

/// <summary>How a command ended. ExitCode is null when it was killed at the timeout or on cancellation.</summary>
public sealed record CommandResult(
    int? ExitCode,
    bool TimedOut,
    CapturedOutput Stdout,
    CapturedOutput Stderr,
    TimeSpan Duration,
    bool Sandboxed,
    string SandboxName,
    int StrayProcessesKilled);
