using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace MiniMe.Server.Metrics;

/// <summary>Counts each routed request and its latency by method, route template and status.</summary>
internal sealed class RequestMetricsMiddleware(RequestDelegate next, ServerMetrics metrics)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var start = Stopwatch.GetTimestamp();
        int? failedStatus = null;
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            failedStatus = Problems.ExceptionProblems.Describe(e).Status; // what the exception handler outside will answer
            throw;
        }
        finally
        {
            var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
            var status = failedStatus ?? context.Response.StatusCode;
            metrics.Request(context.Request.Method, route, status, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
    }
}
