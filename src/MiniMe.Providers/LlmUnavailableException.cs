namespace MiniMe.Providers;

/// <summary>
/// The model server could not be used: unreachable, refused the credentials, rate limited or failing
/// after the retries, or too slow. The message names the endpoint and what to do; never the key.
/// </summary>
public sealed class LlmUnavailableException(string message, Exception? inner = null) : MiniMeException(ErrorCategory.ModelFailed, message, inner);
