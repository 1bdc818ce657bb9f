namespace MiniMe.Providers;

/// <summary>
/// The model server could not be used: unreachable, refused the credentials, rate limited or failing
/// after the retries, or too slow. The message names the endpoint and what to do; never the key.
/// </summary>
public sealed class LlmUnavailableException(string message, Exception? inner = null) : MiniMeException(ErrorCategory.ModelFailed, message, inner)
{
    /// <summary>Why the server could not be used, as the fallback decision and the model_fallback event name it.</summary>
    public ModelFailureReason Reason { get; init; } = ModelFailureReason.Other;

    /// <summary>The HTTP status the server answered with, when it answered.</summary>
    public int? Status { get; init; }

    /// <summary>True for the failures another model may not have: timeouts, HTTP 5xx, 429 and an unreachable server (not bad credentials or an unknown model).</summary>
    public bool Transient => Reason is ModelFailureReason.Timeout or ModelFailureReason.Http5xx or ModelFailureReason.RateLimited or ModelFailureReason.Unreachable;
}

/// <summary>How a model call failed at the provider (model_fallback's <c>reason</c>).</summary>
public enum ModelFailureReason
{
    /// <summary>Anything else: credentials, unknown model, a malformed answer.</summary>
    Other,
    Timeout,
    Http5xx,
    RateLimited,
    Unreachable,
}
