namespace MiniMe.Server.Chat;

/// <summary>No chat model is configured (llm.provider none, or a provider this build cannot use).</summary>
public sealed class ModelUnavailableException(string message) : MiniMeException(ErrorCategory.ModelNotConfigured, message);

/// <summary>The model provider failed (unreachable, error reply); the message names the cause without secrets.</summary>
public sealed class ModelCallException(string message, Exception? inner = null) : MiniMeException(ErrorCategory.ModelFailed, message, inner);
