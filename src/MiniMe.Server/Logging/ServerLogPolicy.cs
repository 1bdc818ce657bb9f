using Microsoft.Extensions.Logging;

namespace MiniMe.Server.Logging;

/// <summary>
/// What the server's log shows of a failure. An expected failure (a <see cref="MiniMeException"/> of any
/// category but Internal: the model unreachable, PostgreSQL down, a bad request) is one line, at most a
/// warning, its one-line message instead of the exception and its stack, unless --verbose; an unexpected
/// one keeps its stack. Entries someone else reports are dropped: the host's "failed to start" (the caller
/// of StartAsync reports it), and Microsoft.Extensions.AI's OpenTelemetry exception event for an expected
/// failure (its logging client logs the same failure).
/// </summary>
public sealed class ServerLogPolicy(bool verbose)
{
    /// <summary>Host's HostedServiceStartupFaulted event: the exception is rethrown to the caller of StartAsync.</summary>
    private static readonly EventId StartupFaulted = new(11);

    public static ServerLogPolicy Default { get; } = new(verbose: false);

    /// <summary>True: every exception is logged with its details (the stack, inner exceptions).</summary>
    public bool Verbose { get; } = verbose;

    /// <summary>How an entry is written: dropped, or its level, its exception (null: none) and text to add to its message.</summary>
    public (bool Drop, LogLevel Level, Exception? Exception, string? Reason) Apply(string category, LogLevel level, EventId eventId, Exception? exception)
    {
        if (category == "Microsoft.Extensions.Hosting.Internal.Host" && eventId.Id == StartupFaulted.Id) return (true, level, exception, null);
        if (exception is null || Verbose || Expected(exception) is not { } expected) return (false, level, exception, null);
        if (category == "Microsoft.Extensions.AI.OpenTelemetryChatClient") return (true, level, exception, null);
        return (false, level > LogLevel.Warning ? LogLevel.Warning : level, null, FirstLine(expected.Message));
    }

    /// <summary>The typed failure an exception is or wraps, unless it is an internal one (a bug keeps its stack).</summary>
    public static MiniMeException? Expected(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is MiniMeException typed) return typed.Category == ErrorCategory.Internal ? null : typed;
            if (e is AggregateException { InnerExceptions.Count: 1 } aggregate) return Expected(aggregate.InnerExceptions[0]);
        }
        return null;
    }

    private static string FirstLine(string message)
    {
        var end = message.IndexOfAny(['\r', '\n']);
        return end < 0 ? message : message[..end];
    }
}
