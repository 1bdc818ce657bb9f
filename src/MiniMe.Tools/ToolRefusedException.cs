namespace MiniMe.Tools;

/// <summary>
/// The allowlist or a safety rule refuses an action (a path outside the root, an excluded file, a
/// program not allowed, shell metacharacters). Approval cannot override it. The message is one line.
/// </summary>
public sealed class ToolRefusedException(string message) : MiniMeException(ErrorCategory.Refused, message);

/// <summary>The arguments do not match the tool's schema (missing, wrong type, unknown name).</summary>
public sealed class ToolArgumentException(string message) : MiniMeException(ErrorCategory.InvalidInput, message);

/// <summary>The action was allowed and approved but could not be carried out (a patch that does not apply, a stale file).</summary>
public sealed class ToolFailedException(string message, Exception? inner = null) : MiniMeException(ErrorCategory.Conflict, message, inner);
