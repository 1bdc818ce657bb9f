namespace MiniMe.Tracing;

/// <summary>
/// Where the lines of run traces are kept: <see cref="FileTraceLog"/> (one JSON Lines file per run, the
/// default) or a database table, so every server instance over one database sees every run.
/// <see cref="TraceStore"/> formats, redacts and parses the lines; a log only stores them in order.
/// Run ids reaching a log are already valid (<see cref="RunId.IsValid"/>).
/// </summary>
public interface ITraceLog
{
    /// <summary>Where the traces are, for messages: a folder, or a database table.</summary>
    string Location { get; }

    /// <summary>Where one run's trace is, for messages (a file path for files).</summary>
    string LocationOf(string runId);

    bool Exists(string runId);

    /// <summary>Appends one whole line, durably, after every line appended before it.</summary>
    void Append(string runId, string line);

    /// <summary>The run's lines in the order they were appended; null when there is no such run.</summary>
    IReadOnlyList<string>? ReadLines(string runId);

    /// <summary>Every run with at least one line, in any order.</summary>
    IEnumerable<string> RunIds();
}

/// <summary>The traces folder: one JSON Lines file per run, appended with <see cref="JsonLinesFile"/> (torn lines never swallow the next).</summary>
public sealed class FileTraceLog(string directory) : ITraceLog
{
    public string Directory { get; } = Path.GetFullPath(directory);

    public string Location => Directory;

    public string LocationOf(string runId) => Path.Combine(Directory, runId + ".jsonl");

    public bool Exists(string runId) => File.Exists(LocationOf(runId));

    public void Append(string runId, string line)
    {
        System.IO.Directory.CreateDirectory(Directory);
        JsonLinesFile.AppendLine(LocationOf(runId), line);
    }

    public IReadOnlyList<string>? ReadLines(string runId)
    {
        var path = LocationOf(runId);
        return File.Exists(path) ? File.ReadAllLines(path) : null;
    }

    public IEnumerable<string> RunIds() =>
        System.IO.Directory.Exists(Directory)
            ? System.IO.Directory.EnumerateFiles(Directory, "*.jsonl").Select(p => Path.GetFileNameWithoutExtension(p)!)
            : [];
}
