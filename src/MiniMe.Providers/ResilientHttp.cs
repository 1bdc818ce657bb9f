using Microsoft.Extensions.Http.Resilience;
using MiniMe.Configuration;
using MiniMe.ModelCalls;
using Polly;

namespace MiniMe.Providers;

/// <summary>
/// The HttpClient every provider SDK is given: a Polly pipeline (retry outside, per-attempt timeout
/// inside) built once per client. Retries 429, 408, 5xx, connection failures and attempt timeouts with
/// exponential backoff and jitter, honouring Retry-After, and counts each retry on the ambient
/// <see cref="ModelCall"/> (agent_call's http_retries). The SDKs' own retries are switched off so the
/// policy lives in one place.
/// </summary>
public static class ResilientHttp
{
    /// <param name="transport">The innermost handler; tests pass one, production uses SocketsHttpHandler.</param>
    /// <param name="anonymous">Strip the Authorization header (a local OpenAI-compatible server without a key).</param>
    public static HttpClient Create(LlmOptions options, HttpMessageHandler? transport = null, bool anonymous = false, Uri? baseAddress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var pipeline = Pipeline(options);
        HttpMessageHandler handler = new ResilienceHandler(pipeline)
        {
            InnerHandler = transport ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) },
        };
        if (anonymous) handler = new AnonymousHandler { InnerHandler = handler };
        return new HttpClient(handler, disposeHandler: true)
        {
            // The pipeline's per-attempt timeout governs; HttpClient's own would cut retries short.
            Timeout = Timeout.InfiniteTimeSpan,
            BaseAddress = baseAddress,
        };
    }

    public static ResiliencePipeline<HttpResponseMessage> Pipeline(LlmOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage>();
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(options.RetryBaseDelayMs),
                MaxDelay = TimeSpan.FromSeconds(60),
                ShouldRetryAfterHeader = true,
                // The ambient model call counts it: agent_call's http_retries, the http_retries metric.
                OnRetry = _ =>
                {
                    ModelCall.CountHttpRetry();
                    return default;
                },
            });
        }
        return builder.AddTimeout(TimeSpan.FromSeconds(options.TimeoutSeconds)).Build();
    }

    /// <summary>Removes the placeholder credential the OpenAI SDK insists on when there is no key.</summary>
    private sealed class AnonymousHandler : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Authorization = null;
            return base.SendAsync(request, cancellationToken);
        }

        protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Authorization = null;
            return base.Send(request, cancellationToken);
        }
    }

}
