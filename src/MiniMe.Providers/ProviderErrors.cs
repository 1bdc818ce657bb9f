using System.ClientModel;
using System.Net;
using System.Net.Sockets;
using Anthropic.Exceptions;
using Polly.Timeout;

namespace MiniMe.Providers;

/// <summary>
/// Turns what the provider SDKs throw (ClientResultException, AnthropicApiException,
/// HttpRequestException, Polly timeouts, ...) into one-line <see cref="LlmUnavailableException"/>s that
/// say which endpoint failed, how, and what to change. Cancellation by the caller passes through.
/// </summary>
public static class ProviderErrors
{
    public static LlmUnavailableException? Translate(Exception error, ProviderSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(error);
        ArgumentNullException.ThrowIfNull(settings);
        if (cancellationToken.IsCancellationRequested && error is OperationCanceledException) return null;
        if (error is LlmUnavailableException already) return already;

        var where = $"the {settings.Provider} endpoint {settings.Endpoint}";
        var options = settings.Options;
        var attempts = options.MaxRetries + 1;
        if (Find<TimeoutRejectedException>(error) is not null || error is OperationCanceledException or TimeoutException)
            return new LlmUnavailableException(
                $"{Capitalize(where)} did not answer within {options.TimeoutSeconds} s ({attempts} attempt{(attempts == 1 ? "" : "s")}); raise llm.timeoutSeconds or use a smaller model.", error)
            { Reason = ModelFailureReason.Timeout };

        var status = StatusOf(error);
        if (status is { } code and not 0)
        {
            var n = (int)code;
            var message = code switch
            {
                HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden =>
                    $"{Capitalize(where)} rejected the credentials (HTTP {n}); check {settings.KeyVariable}{(settings.HasApiKey ? "" : " (it is not set)")}.",
                HttpStatusCode.NotFound =>
                    $"{Capitalize(where)} answered HTTP 404 for model '{settings.Model}'; check llm.model and llm.endpoint (`minime doctor` lists the models).",
                HttpStatusCode.TooManyRequests =>
                    $"{Capitalize(where)} is rate limiting (HTTP 429) after {options.MaxRetries} retries; wait, or raise llm.maxRetries / llm.retryBaseDelayMs.",
                _ when n >= 500 =>
                    $"{Capitalize(where)} failed with HTTP {n} after {options.MaxRetries} retries; check the server's logs.",
                _ => $"{Capitalize(where)} refused the request (HTTP {n}): {Detail(error)}",
            };
            var reason = code == HttpStatusCode.TooManyRequests ? ModelFailureReason.RateLimited
                : n >= 500 ? ModelFailureReason.Http5xx
                : code == HttpStatusCode.RequestTimeout ? ModelFailureReason.Timeout
                : ModelFailureReason.Other;
            return new LlmUnavailableException(message, error) { Reason = reason, Status = n };
        }

        if (Find<HttpRequestException>(error) is { } http)
        {
            var reason = Find<SocketException>(http)?.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => "connection refused",
                SocketError.HostNotFound or SocketError.NoData => "host not found",
                SocketError.TimedOut => "connection timed out",
                _ => http.HttpRequestError == HttpRequestError.Unknown ? http.Message : http.HttpRequestError.ToString(),
            };
            return new LlmUnavailableException(
                $"Cannot reach {where} ({reason}). Start the server, or set llm.endpoint / MINIME_LLM__ENDPOINT and llm.provider; `minime doctor` checks the setup.", error)
            { Reason = ModelFailureReason.Unreachable };
        }

        return error switch
        {
            ClientResultException or AnthropicException or InvalidOperationException { Source: "OllamaSharp" } or System.Text.Json.JsonException =>
                new LlmUnavailableException($"{Capitalize(where)} failed: {Detail(error)}", error),
            _ => null,
        };
    }

    /// <summary>
    /// Whether a failed model call may go to the next of llm.fallbacks: a timeout, HTTP 5xx, 429 (after the
    /// model's own retries) or an unreachable server, as model_fallback names it; null for anything else.
    /// </summary>
    public static MiniMe.ModelCalls.ModelFailure? Fallback(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (error is not LlmUnavailableException { Transient: true } unavailable) return null;
        var reason = unavailable.Reason switch
        {
            ModelFailureReason.Timeout => "timeout",
            ModelFailureReason.Http5xx => "http_5xx",
            ModelFailureReason.RateLimited => "rate_limited",
            _ => "unreachable",
        };
        return new MiniMe.ModelCalls.ModelFailure(reason, unavailable.Status);
    }

    private static HttpStatusCode? StatusOf(Exception error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case ClientResultException { Status: > 0 } c: return (HttpStatusCode)c.Status;
                case AnthropicApiException a: return a.StatusCode;
                case HttpRequestException { StatusCode: { } s }: return s;
            }
        }
        return null;
    }

    private static T? Find<T>(Exception error) where T : Exception
    {
        for (var e = error; e is not null; e = e.InnerException)
            if (e is T match) return match;
        return null;
    }

    private static string Detail(Exception error)
    {
        var text = error.Message.ReplaceLineEndings(" ").Trim();
        text = MiniMe.Tracing.SecretRedactor.RedactText(text);
        return text.Length <= 300 ? text : text[..300] + "…";
    }

    private static string Capitalize(string s) => char.ToUpperInvariant(s[0]) + s[1..];
}
