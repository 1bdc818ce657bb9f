namespace MiniMe.Configuration;

/// <summary>
/// A configuration or workspace file is missing, malformed or incomplete. The message is one actionable
/// line. <see cref="ErrorCategory.Configuration"/> unless the throw site knows better (no model configured).
/// </summary>
public class ConfigException(string message, Exception? inner = null, ErrorCategory category = ErrorCategory.Configuration)
    : MiniMeException(category, message, inner);

/// <summary>
/// config.yaml or MINIME_ variables hold settings that do not exist or values that do not fit them
/// (a wrong type, out of range, not one of the allowed values). <see cref="Problems"/> holds one line
/// each ("file:line:column: llm.provider: ..."); the message is those lines, all of them, so every
/// problem is fixed in one go. An input error (exit 2).
/// </summary>
/// <param name="inner">What was found wrong in detail (--verbose shows it), when the problem came from an exception.</param>
public class InvalidSettingsException(IReadOnlyList<string> problems, Exception? inner = null)
    : ConfigException(string.Join('\n', problems), inner, ErrorCategory.InvalidSettings)
{
    public IReadOnlyList<string> Problems { get; } = problems;
}

/// <summary>
/// config.yaml or a MINIME_ variable names settings that do not exist (a typo binding would ignore),
/// and every other value fits. <see cref="InvalidSettingsException.Problems"/> holds one
/// "file:line:column: unknown setting ..." line each.
/// </summary>
public sealed class UnknownSettingsException(IReadOnlyList<string> problems) : InvalidSettingsException(problems);
