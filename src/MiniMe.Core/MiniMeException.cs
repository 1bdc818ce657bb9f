namespace MiniMe;

/// <summary>
/// What kind of failure a <see cref="MiniMeException"/> is. Each face maps it once: the CLI to an exit
/// code (ExitCodes.For), the server to a problem-details status and title (ExceptionProblems.For).
/// </summary>
public enum ErrorCategory
{
    /// <summary>Unexpected: a bug or a state MiniMe cannot name better.</summary>
    Internal,
    /// <summary>The arguments or the request are wrong (an empty query, a malformed argument).</summary>
    InvalidInput,
    /// <summary>config.yaml or a MINIME_ variable has a setting that does not exist or a value that does not fit.</summary>
    InvalidSettings,
    /// <summary>Something asked for does not exist (an unknown run id, a missing path).</summary>
    NotFound,
    /// <summary>The request conflicts with the current state (already decided, changed meanwhile, a patch that no longer applies).</summary>
    Conflict,
    /// <summary>A safety rule refuses the action (the allowlist, a path outside the tools root); approval cannot override it.</summary>
    Refused,
    /// <summary>The setup is incomplete or a workspace file is unreadable or malformed (identity.yaml, allowlist.yaml, the trust file).</summary>
    Configuration,
    /// <summary>No model is configured (llm.provider none, or llm.model unset).</summary>
    ModelNotConfigured,
    /// <summary>The model could not be used: unreachable, an error reply, too slow, or output that stays invalid.</summary>
    ModelFailed,
    /// <summary>A service MiniMe depends on, other than the model, cannot be used (PostgreSQL).</summary>
    Unavailable,
    /// <summary>Stored data cannot be trusted (a damaged memory database, vector index or snapshot).</summary>
    Damaged,
    /// <summary>The run used up its token budget (llm.maxRunTokens).</summary>
    BudgetExceeded,
}

/// <summary>
/// Base of the typed errors MiniMe reports to users: the message is one actionable line,
/// the inner exception holds details shown with --verbose, and <see cref="Category"/> says how
/// each face reports it (exit code, HTTP status).
/// </summary>
public abstract class MiniMeException(ErrorCategory category, string message, Exception? inner = null) : Exception(message, inner)
{
    public ErrorCategory Category { get; } = category;
}

/// <summary>Something the user asked for does not exist (unknown run id, missing path).</summary>
public sealed class NotFoundException(string message) : MiniMeException(ErrorCategory.NotFound, message);

/// <summary>The user's input is invalid (empty query, malformed JSON argument).</summary>
public sealed class InvalidInputException(string message, Exception? inner = null) : MiniMeException(ErrorCategory.InvalidInput, message, inner);
