using Microsoft.AspNetCore.Http;

namespace MiniMe.Server.Endpoints;

/// <summary>
/// Headers on every response: no MIME sniffing, no referrer, no framing, and a content security
/// policy that lets the UI load only its own scripts and talk only to this server (model output is
/// sanitized before it is shown; this is the second line).
/// </summary>
internal sealed class SecurityHeadersMiddleware(RequestDelegate next)
{
    private const string Policy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; " +
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

    public Task InvokeAsync(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.XFrameOptions = "DENY";
        headers.ContentSecurityPolicy = Policy;
        return next(context);
    }
}
