using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace MiniMe.Server.Problems;

/// <summary>
/// Turns exceptions into problem details with a one-line, actionable detail: typed MiniMe errors keep
/// their message and get the status of their category (<see cref="For"/>), framework request errors keep
/// their status (413, 400, ...), and anything unexpected becomes a 500 that names no internals. Stack traces go to the server log only,
/// and there only for unexpected failures or with --verbose.
/// </summary>
internal sealed partial class ExceptionProblems(ILogger<ExceptionProblems> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException && httpContext.RequestAborted.IsCancellationRequested)
            return true; // the client went away; nobody to answer
        var (status, title, detail) = Describe(exception);
        if (status >= 500 && Logging.ServerLogPolicy.Expected(exception) is not null) LogExpected(logger, httpContext.Request.Method, httpContext.Request.Path, status, exception);
        else if (status >= 500) LogFailure(logger, httpContext.Request.Method, httpContext.Request.Path, exception);
        await ProblemResponses.WriteAsync(httpContext, status, title, detail).ConfigureAwait(false);
        return true;
    }

    internal static (int Status, string Title, string Detail) Describe(Exception exception) => exception switch
    {
        BadHttpRequestException e => (e.StatusCode, Title(e.StatusCode), FirstLine(e.Message)),
        JsonException e => (400, "Invalid JSON", FirstLine(e.Message)),
        MiniMeException e => Typed(e),
        _ => (500, "Internal server error", "The server could not complete the request; the server log has the details."),
    };

    private static (int Status, string Title, string Detail) Typed(MiniMeException e)
    {
        var (status, title) = For(e.Category);
        return (status, title, e.Message);
    }

    /// <summary>
    /// The one mapping from a failure's category to the problem's status and title. Settings and
    /// workspace files are the server's, not the client's: a problem with them is a 500.
    /// </summary>
    internal static (int Status, string Title) For(ErrorCategory category) =>
#pragma warning disable CS8524 // every named category is listed (a new one is a compile error, CS8509); no unnamed values exist
        category switch
        {
            ErrorCategory.InvalidInput => (400, "Invalid input"),
            ErrorCategory.Refused => (403, "Refused"),
            ErrorCategory.NotFound => (404, "Not found"),
            ErrorCategory.Conflict => (409, "Conflict"),
            ErrorCategory.BudgetExceeded => (422, "Run budget exceeded"),
            ErrorCategory.Internal => (500, "Internal server error"),
            ErrorCategory.InvalidSettings or ErrorCategory.Configuration => (500, "Server configuration problem"),
            ErrorCategory.ModelFailed => (502, "Model call failed"),
            ErrorCategory.ModelNotConfigured => (503, "No model configured"),
            ErrorCategory.Unavailable => (503, "Service unavailable"),
            ErrorCategory.Damaged => (503, "Data damaged"),
        };
#pragma warning restore CS8524

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

    /// <summary>A failure MiniMe names (the model unreachable, PostgreSQL down): a warning, one line unless --verbose (ServerLogPolicy).</summary>
    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Path} answered {Status}")]
    private static partial void LogExpected(ILogger logger, string method, string path, int status, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} {Path} failed")]
    private static partial void LogFailure(ILogger logger, string method, string path, Exception exception);
}
