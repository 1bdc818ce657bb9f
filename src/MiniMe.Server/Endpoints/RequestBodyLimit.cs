using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using MiniMe.Server.Problems;

namespace MiniMe.Server.Endpoints;

/// <summary>Endpoint metadata: this endpoint accepts bodies up to <paramref name="Bytes"/> (default: server.maxRequestBytes).</summary>
public sealed record RequestBodyLimit(long Bytes);

/// <summary>
/// Applies the endpoint's body limit: a declared Content-Length over it is answered 413 at once, and
/// Kestrel stops reading a chunked body that grows past it.
/// </summary>
internal sealed class RequestBodyLimitMiddleware(RequestDelegate next, ServerOptions options)
{
    public Task InvokeAsync(HttpContext context)
    {
        var limit = context.GetEndpoint()?.Metadata.GetMetadata<RequestBodyLimit>()?.Bytes ?? options.MaxRequestBytes;
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
            feature.MaxRequestBodySize = limit;
        if (context.Request.ContentLength > limit)
            return ProblemResponses.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, "Request too large",
                $"The request body has {context.Request.ContentLength} bytes; this endpoint accepts at most {limit} (server.maxRequestBytes / server.maxImportBytes).");
        return next(context);
    }
}

public static class RequestBodyLimitExtensions
{
    public static TBuilder WithBodyLimit<TBuilder>(this TBuilder builder, long bytes) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequestBodyLimit(bytes));
}
