using System.Text.Json.Nodes;

namespace MiniMe.Tools;

/// <summary>What a tool does to the machine, which decides how it is shown and whether it needs approval.</summary>
public enum ToolCategory
{
    Read,
    Search,
    Memory,
    Write,
    Execute,
}

/// <summary>A tool as listed and as offered to agents: name, what it does, its category, whether it needs approval, its JSON schema.</summary>
public sealed record ToolDescriptor(string Name, string Description, ToolCategory Category, bool NeedsApproval, ToolSchema Schema);

/// <summary>
/// A tool: validates and confines its arguments into a <see cref="PreparedAction"/> (what will happen,
/// shown for approval) without side effects; the action runs only after approval.
/// </summary>
public interface ITool
{
    ToolDescriptor Descriptor { get; }

    /// <summary>Checks the arguments against the allowlist and works out the change; throws <see cref="ToolRefusedException"/>,
    /// <see cref="ToolArgumentException"/> or <see cref="ToolFailedException"/>, never touches anything.</summary>
    Task<PreparedAction> PrepareAsync(ToolArguments arguments, CancellationToken cancellationToken);
}

public enum PreviewKind
{
    Read,
    FileChange,
    Command,
}

/// <summary>
/// What the user is shown before approving: a summary, the unified diff of file changes, or the exact
/// argument vector that will run; <see cref="Warnings"/> says what the action can do beyond its face
/// (a file that runs code on build, a command that runs repository code, what MiniMe rewrote).
/// </summary>
public sealed record ActionPreview(
    PreviewKind Kind,
    string Summary,
    string? Diff = null,
    IReadOnlyList<string>? Argv = null,
    string? WorkingDirectory = null,
    string? Sandbox = null,
    IReadOnlyList<string>? Files = null,
    IReadOnlyList<string>? Warnings = null);

/// <summary>An allowed, fully worked-out action: its preview, and how to carry it out.</summary>
public sealed class PreparedAction(ActionPreview preview, Func<CancellationToken, Task<ToolExecution>> execute)
{
    public ActionPreview Preview { get; } = preview;

    public Task<ToolExecution> ExecuteAsync(CancellationToken cancellationToken) => execute(cancellationToken);

    /// <summary>The same action shown differently (warnings added).</summary>
    public PreparedAction WithPreview(ActionPreview preview) => new(preview, execute);
}

/// <summary>
/// What executing an action did: success, a one-line summary, the output for the caller, and the audit
/// facts; <see cref="Command"/> is the typed output of a command (run_command), null for other tools.
/// </summary>
public sealed record ToolExecution(
    bool Succeeded,
    string Summary,
    JsonObject Output,
    int? ExitCode = null,
    IReadOnlyList<string>? FilesChanged = null,
    bool? Sandboxed = null,
    bool TimedOut = false,
    bool OutputTruncated = false,
    IReadOnlyList<string>? Warnings = null,
    CommandOutput? Command = null);
