using System.Globalization;

namespace MiniMe.Snapshots;

/// <summary>
/// Who owns a snapshot's staging folder: an exclusive lock on "FOLDER.lock" beside it, taken before the
/// folder is created and released after it is published or removed. The operating system drops the lock
/// when its process dies, however it dies (SIGKILL included), so a staging folder whose lock can be taken
/// (or that has no lock file, since owners lock first) has no living owner and can be removed, while the
/// folder of a snapshot running in another process is left alone.
/// </summary>
internal sealed class StagingOwner : IDisposable
{
    public const string LockSuffix = ".lock";

    private readonly FileStream _lock;
    private readonly string _lockPath;

    private StagingOwner(FileStream @lock, string lockPath)
    {
        _lock = @lock;
        _lockPath = lockPath;
    }

    /// <summary>
    /// False when .NET's file locking is turned off (DOTNET_SYSTEM_IO_DISABLEFILELOCKING): a lock then proves
    /// nothing, and staging folders are never removed by anyone but their owner.
    /// </summary>
    public static bool LocksWork =>
        !(AppContext.TryGetSwitch("System.IO.DisableFileLocking", out var disabled) && disabled)
        && Environment.GetEnvironmentVariable("DOTNET_SYSTEM_IO_DISABLEFILELOCKING") is not ("1" or "true" or "True");

    /// <summary>Takes the lock for <paramref name="folder"/> (which must not exist yet).</summary>
    public static StagingOwner Claim(string folder)
    {
        var lockPath = folder + LockSuffix;
        // FileShare.None is an exclusive flock on Unix (and a share-deny lock on Windows).
        var stream = new FileStream(lockPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
        try
        {
            var note = System.Text.Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
                $"pid {Environment.ProcessId} since {DateTimeOffset.UtcNow:O}\n"));
            stream.Write(note);
            stream.Flush();
            return new StagingOwner(stream, lockPath);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Removes <paramref name="folder"/> and its lock file when no living process holds the lock; true when it did.</summary>
    public static bool RemoveIfAbandoned(string folder)
    {
        if (!LocksWork) return false;
        var lockPath = folder + LockSuffix;
        FileStream? held = null;
        try
        {
            held = new FileStream(lockPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            // No lock file: owners lock before creating the folder, so nobody is building this one.
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // locked: a snapshot is being built there right now
        }
        using (held)
        {
            try
            {
                if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
                if (held is not null) File.Delete(lockPath);
                return true;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return false; // best effort: tried again at the next snapshot command
            }
        }
    }

    public void Dispose()
    {
        try
        {
            File.Delete(_lockPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // An orphan lock file is removed by the next snapshot command once this lock is released.
        }
        _lock.Dispose();
    }
}
