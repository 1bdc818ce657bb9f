namespace MiniMe.Tools.Paths;

/// <summary>What a directory entry is, seen without following it.</summary>
internal enum EntryKind
{
    File,
    Directory,
    Link,
    /// <summary>A FIFO, socket or device: never opened by tools.</summary>
    Special,
}

/// <param name="Links">Hard link count (1 where the system cannot tell).</param>
/// <param name="Permissions">The rwx bits (set-id and sticky bits are not carried over to replacements).</param>
internal readonly record struct EntryInfo(EntryKind Kind, long Links, long Size, UnixFileMode Permissions);

/// <summary>Why a file was not opened.</summary>
internal enum FileRejection
{
    None,
    Missing,
    Directory,
    Link,
    Special,
    HardLinked,
    /// <summary>The opened handle is not where the path said (swapped, moved, or outside the root).</summary>
    Misplaced,
}

/// <summary>A file opened for reading, or why it was not: the reason is one line naming the root-relative path.</summary>
internal sealed record OpenedFile(FileStream? Stream, FileRejection Rejection, string Reason)
{
    public static OpenedFile Refused(FileRejection rejection, string reason) => new(null, rejection, reason);
}

/// <summary>
/// A directory under the tools root, held open: every entry is named relative to it, so a directory
/// swapped for a link after it was opened cannot redirect what is read, written or deleted. Files are
/// opened only when they are regular files with one hard link, without following a link.
/// </summary>
internal abstract class ConfinedDirectory(string relativePath) : IDisposable
{
    /// <summary>'/'-separated, relative to the root ("." for the root itself).</summary>
    public string RelativePath { get; } = relativePath;

    /// <summary>The root-relative path of an entry of this directory.</summary>
    public string PathOf(string name) => RelativePath == "." ? name : $"{RelativePath}/{name}";

    /// <summary>The names of the entries (links and special files included), unordered.</summary>
    public abstract IReadOnlyList<string> List();

    /// <summary>What the entry is, not following a link; null when there is none.</summary>
    public abstract EntryInfo? Stat(string name);

    /// <summary>Opens a regular file with one hard link for reading, or says why not; throws <see cref="ToolFailedException"/> on I/O errors.</summary>
    public abstract OpenedFile OpenFile(string name);

    /// <summary>A subdirectory, held open; null when it is missing or not a directory (and <paramref name="create"/> is false). A link is refused.</summary>
    public abstract ConfinedDirectory? OpenDirectory(string name, bool create);

    /// <summary>Writes a temporary file here, flushes it to disk and renames it over the entry (which must be absent or a regular file with one link), keeping the old file's permissions.</summary>
    public abstract void Replace(string name, ReadOnlySpan<byte> content);

    /// <summary>Removes a regular file with one link.</summary>
    public abstract void Delete(string name);

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected abstract void Dispose(bool disposing);

    /// <summary>Refuses anything but a plain name: tools' relative paths are split into components before they get here.</summary>
    protected static void ValidateName(string name)
    {
        if (name.Length == 0 || name is "." or ".." || name.Contains('/', StringComparison.Ordinal) || name.Contains('\0', StringComparison.Ordinal))
            throw new ToolRefusedException($"'{name}' is not a file name (empty, '.', '..' or containing '/').");
    }

    /// <summary>Why an entry of this kind may not be opened, read through or replaced; null for a regular file with one link.</summary>
    protected OpenedFile? Rejection(EntryInfo info, string name) => info.Kind switch
    {
        EntryKind.Directory => OpenedFile.Refused(FileRejection.Directory, $"{PathOf(name)} is a directory, not a file."),
        EntryKind.Link => OpenedFile.Refused(FileRejection.Link, LinkReason(name)),
        EntryKind.Special => OpenedFile.Refused(FileRejection.Special, $"'{PathOf(name)}' is not a regular file (a FIFO, socket or device); tools only open regular files."),
        _ when info.Links > 1 => OpenedFile.Refused(FileRejection.HardLinked,
            $"'{PathOf(name)}' has {info.Links} hard links; tools refuse files with more than one name, since another name may be a secret or outside the tools root."),
        _ => null,
    };

    protected string LinkReason(string name) =>
        $"'{PathOf(name)}' is a symbolic link now (swapped after the path was checked?); tools never follow links when opening files.";

    /// <summary>Throws the exception a rejection stands for: a directory is a failure, the rest are refusals.</summary>
    protected static Exception ToException(OpenedFile rejected) =>
        rejected.Rejection == FileRejection.Directory ? new ToolFailedException(rejected.Reason) : new ToolRefusedException(rejected.Reason);

    /// <summary>A temporary name next to <paramref name="name"/>, short enough for NAME_MAX.</summary>
    protected static string TemporaryName(string name) => $".{(name.Length > 100 ? name[..100] : name)}.minime-{Guid.NewGuid():N}.tmp";
}
