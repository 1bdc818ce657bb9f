using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using MiniMe.Configuration;
using MiniMe.Server.Chat;

namespace MiniMe.Server.Problems;

/// <summary>
/// Turns exceptions into problem details with a one-line, actionable detail: typed MiniMe errors keep
/// their message, framework request errors keep their status (413, 400, ...), and anything unexpected
/// becomes a 500 that names no internals. Stack traces go to the server log only.
/// </summary>
internal sealed partial class ExceptionProblems(ILogger<ExceptionProblems> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException && httpContext.RequestAborted.IsCancellationRequested)
            return true; // the client went away; nobody to answer
        var (status, title, detail) = Describe(exception);
        if (status >= 500) LogFailure(logger, httpContext.Request.Method, httpContext.Request.Path, exception);
        await ProblemResponses.WriteAsync(httpContext, status, title, detail).ConfigureAwait(false);
        return true;
    }

    internal static (int Status, string Title, string Detail) Describe(Exception exception) => exception switch
    {
        BadHttpRequestException e => (e.StatusCode, Title(e.StatusCode), FirstLine(e.Message)),
        InvalidInputException e => (400, "Invalid input", e.Message),
        JsonException e => (400, "Invalid JSON", FirstLine(e.Message)),
        NotFoundException e => (404, "Not found", e.Message),
        ModelCallException e => (502, "Model call failed", e.Message),
        ModelUnavailableException e => (503, "No model configured", e.Message),
        Ask.ProposalStateException e => (409, "Already decided", e.Message),
        ConfigException e => (500, "Server configuration problem", e.Message),
        Memory.DamagedMemoryException e => (503, "Memory database damaged", e.Message),
        _ => (500, "Internal server error", "The server could not complete the request; the server log has the details."),
    };

    private static string Title(int status) => status switch
    {
        400 => "Bad request",
        413 => "Request too large",
        415 => "Unsupported media type",
        _ => "Bad request",
    };

    private static string FirstLine(string message)
    {
        var end = message.IndexOfAny(['\r', '\n']);
        return end < 0 ? message : message[..end];
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} {Path} failed")]
    private static partial void LogFailure(ILogger logger, string method, string path, Exception exception);
}
