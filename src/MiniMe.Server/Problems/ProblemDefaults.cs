using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using MiniMe.Server.Endpoints;

namespace MiniMe.Server.Problems;

/// <summary>A one-line detail for problems the framework raises without one (no route, body too large, unreadable body).</summary>
internal static class ProblemDefaults
{
    public static void Fill(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        problem.Type ??= ProblemResponses.TypeFor(problem.Status ?? 500);
        if (problem.Detail is not null) return;
        var http = context.HttpContext;
        problem.Detail = problem.Status switch
        {
            404 => $"There is no {http.Request.Method} {http.Request.Path}; GET /openapi/v1.json lists the API.",
            405 => $"{http.Request.Path} does not accept {http.Request.Method}; GET /openapi/v1.json lists the API.",
            413 => $"The request body is larger than this endpoint accepts ({Limit(http)} bytes; server.maxRequestBytes / server.maxImportBytes).",
            415 => "Send the body as JSON with 'Content-Type: application/json'.",
            400 => "The request could not be read; send a JSON body that matches the endpoint (GET /openapi/v1.json).",
            _ => problem.Title,
        };
    }

    private static long Limit(HttpContext http) =>
        http.GetEndpoint()?.Metadata.GetMetadata<RequestBodyLimit>()?.Bytes ?? http.RequestServices.GetRequiredService<ServerOptions>().MaxRequestBytes;
}
