namespace MiniMe.Configuration;

/// <summary>A configuration or workspace file is missing or malformed. The message is one actionable line.</summary>
public class ConfigException(string message, Exception? inner = null) : MiniMeException(message, inner);

/// <summary>
/// config.yaml or a MINIME_ variable names settings that do not exist (a typo binding would ignore).
/// <see cref="Problems"/> holds one "file:line:column: unknown setting ..." line each; the message is
/// those lines, all of them, so every typo is fixed in one go. An input error (exit 2).
/// </summary>
public sealed class UnknownSettingsException(IReadOnlyList<string> problems)
    : ConfigException(string.Join('\n', problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
