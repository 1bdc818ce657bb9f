namespace MiniMe.Configuration;

/// <summary>A configuration or workspace file is missing or malformed. The message is one actionable line.</summary>
public sealed class ConfigException(string message, Exception? inner = null) : MiniMeException(message, inner);
