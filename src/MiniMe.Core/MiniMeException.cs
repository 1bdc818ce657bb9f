namespace MiniMe;

/// <summary>
/// Base of the typed errors MiniMe reports to users: the message is one actionable line,
/// the inner exception holds details shown with --verbose.
/// </summary>
public abstract class MiniMeException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Something the user asked for does not exist (unknown run id, missing path).</summary>
public sealed class NotFoundException(string message) : MiniMeException(message);

/// <summary>The user's input is invalid (empty query, malformed JSON argument).</summary>
public sealed class InvalidInputException(string message, Exception? inner = null) : MiniMeException(message, inner);
