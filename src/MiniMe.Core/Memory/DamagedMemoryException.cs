namespace MiniMe.Memory;

/// <summary>
/// The memory database cannot be trusted: its pages are damaged, or the file is empty (0 bytes: truncated
/// or replaced). Nothing was written to it. The message says how to recover; a host that knows the
/// workspace names the newest snapshot with <see cref="Describe"/>.
/// </summary>
public sealed class DamagedMemoryException : MiniMeException
{
    private DamagedMemoryException(string? databasePath, bool empty, string? reason, Exception? inner)
        : base(ErrorCategory.Damaged, Text(databasePath, empty, reason, snapshot: null, forceHere: true), inner)
    {
        DatabasePath = databasePath;
        IsEmpty = empty;
        Reason = reason;
    }

    /// <summary>The file, when known (a damaged page met by a read names none).</summary>
    public string? DatabasePath { get; }

    /// <summary>The file is empty (0 bytes); --force starts an empty memory in it.</summary>
    public bool IsEmpty { get; }

    /// <summary>What the check found (the first problem quick_check reports, or SQLite's error).</summary>
    public string? Reason { get; }

    public static DamagedMemoryException Damaged(string? databasePath, string reason, Exception? inner = null) =>
        new(databasePath, empty: false, reason, inner);

    public static DamagedMemoryException Empty(string databasePath) => new(databasePath, empty: true, reason: null, inner: null);

    /// <summary>The message with <paramref name="newestSnapshot"/> to restore (else NAME) and, for an empty file, where --force goes.</summary>
    /// <param name="forceHere">The command that failed takes --force; otherwise the message names the commands that do.</param>
    public string Describe(string? newestSnapshot, bool forceHere) => Text(DatabasePath, IsEmpty, Reason, newestSnapshot, forceHere);

    private static string Text(string? path, bool empty, string? reason, string? snapshot, bool forceHere)
    {
        var file = path is null ? "the memory database" : Path.GetFileName(path);
        var restore = $"restore a snapshot with `minime snapshot restore {snapshot ?? "NAME"}`{(snapshot is null ? " (`minime snapshot list` shows them)" : $" (the newest)")}";
        if (empty)
        {
            var force = forceHere ? "pass --force" : "pass --force to `minime import` or `minime remember`";
            return $"{file} is empty (0 bytes) — it was truncated or replaced; {restore}, or {force} to start an empty memory ({path})";
        }
        return $"{file} is damaged ({reason}); nothing was written to it; {restore}{(path is null ? "" : $" ({path})")}";
    }
}
