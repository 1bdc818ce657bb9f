namespace MiniMe.Tracing;

/// <summary>
/// Where the lines of run traces are kept: <see cref="FileTraceLog"/> (one JSON Lines file per run, the
/// default) or a database table, so every server instance over one database sees every run.
/// <see cref="TraceStore"/> formats, redacts and parses the lines; a log only stores them in order.
/// Run ids reaching a log are already valid (<see cref="RunId.IsValid"/>).
/// <para>
/// What is durable when: <see cref="Append"/> returns once the line is written, after every line
/// appended to the run before it — a crash of this process (even SIGKILL) loses none of the returned
/// lines, and readers see them at once. Surviving an operating-system crash or a power loss is
/// <em>durability</em>: a line is durable once a <see cref="Flush"/> or <see cref="FlushAsync"/> for its
/// run, called after the line was appended, has returned. A log may make lines durable sooner (the file
/// log group-commits in the background; the PostgreSQL log commits every INSERT), never later.
/// </para>
/// </summary>
public interface ITraceLog
{
    /// <summary>Where the traces are, for messages: a folder, or a database table.</summary>
    string Location { get; }

    /// <summary>Where one run's trace is, for messages (a file path for files).</summary>
    string LocationOf(string runId);

    bool Exists(string runId);

    /// <summary>Appends one whole line after every line appended to the run before it: written when this returns, durable after the next flush of the run.</summary>
    void Append(string runId, string line);

    /// <summary>Returns when every line appended to the run before the call is durable.</summary>
    void Flush(string runId);

    /// <summary>Completes when every line appended to the run before the call is durable.</summary>
    ValueTask FlushAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>The run's lines in the order they were appended; null when there is no such run.</summary>
    IReadOnlyList<string>? ReadLines(string runId);

    /// <summary>Every run with at least one line, in any order.</summary>
    IEnumerable<string> RunIds();
}
