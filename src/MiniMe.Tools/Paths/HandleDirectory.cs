using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using static MiniMe.Tools.Paths.FileSyscalls;

namespace MiniMe.Tools.Paths;

/// <summary>
/// A directory held by a Linux file descriptor. Entries are opened relative to it with openat2
/// (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS) or openat(O_NOFOLLOW), files with
/// O_NONBLOCK | O_NOCTTY so a FIFO cannot block the open, and every opened handle is checked with
/// statx (regular file, one link) and /proc/self/fd (it is where the checked path says).
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class HandleDirectory : ConfinedDirectory
{
    private const uint NewDirectoryMode = 0b111_111_111;   // 0777, less the umask, as mkdir(1)
    private const uint NewFileMode = 0b110_110_110;        // 0666, less the umask, as File.WriteAllText
    private static readonly int DirectoryFlags = ReadOnly | FileSyscalls.Directory | NoFollow | CloseOnExec;
    private static readonly int FileFlags = ReadOnly | NoFollow | CloseOnExec | NonBlocking | NoControllingTty;
    private static volatile bool s_openat2Missing;

    private readonly SafeFileHandle _handle;
    private readonly string _rootKernelPath;
    private bool _openat2;

    private HandleDirectory(SafeFileHandle handle, string relativePath, string rootKernelPath, bool openat2)
        : base(relativePath)
    {
        _handle = handle;
        _rootKernelPath = rootKernelPath;
        _openat2 = openat2;
    }

    /// <summary>Opens <paramref name="relativePath"/> under <paramref name="root"/> (creating missing directories when asked); null when it is missing or not a directory.</summary>
    public static HandleDirectory? Open(string root, string relativePath, bool create, bool useOpenat2)
    {
        var parts = relativePath == "." ? [] : relativePath.Split('/');
        foreach (var part in parts) ValidateName(part);
        var rootFd = OpenAt(null, root, ReadOnly | FileSyscalls.Directory | CloseOnExec, 0, out var errno);
        if (rootFd < 0) throw new ToolFailedException($"The tools root {root} could not be opened: {Describe(errno)}.");
        var rootHandle = new SafeFileHandle(rootFd, ownsHandle: true);
        var rootKernelPath = KernelPath(rootHandle);
        if (rootKernelPath is null)
        {
            rootHandle.Dispose();
            throw new ToolRefusedException("Where opened files are cannot be confirmed (/proc/self/fd is not readable); tools refuse to open files.");
        }
        HandleDirectory? current = new(rootHandle, ".", rootKernelPath, useOpenat2 && !s_openat2Missing);
        try
        {
            if (parts.Length > 0 && current._openat2 && !create)
            {
                // One call for the whole path; on any failure the walk below finds which component failed and why.
                var fd = OpenBeneath(rootHandle, relativePath, DirectoryFlags, 0, out errno);
                if (fd >= 0)
                {
                    current.Dispose();
                    current = new HandleDirectory(new SafeFileHandle(fd, ownsHandle: true), relativePath, rootKernelPath, openat2: true);
                    parts = [];
                }
                else if (errno == ENOSYS)
                {
                    s_openat2Missing = true;
                    current._openat2 = false;
                }
            }
            foreach (var part in parts)
            {
                var next = current.OpenChild(part, create);
                current.Dispose();
                current = next;
                if (current is null) return null;
            }
            if (current.Misplaced(current._handle, current.RelativePath) is { } reason) throw new ToolRefusedException(reason);
            var opened = current;
            current = null;
            return opened;
        }
        finally
        {
            current?.Dispose();
        }
    }

    public override IReadOnlyList<string> List()
    {
        try
        {
            return ReadDirectory(_handle);
        }
        catch (IOException e)
        {
            throw new ToolFailedException($"{RelativePath}: {e.Message}", e);
        }
    }

    public override EntryInfo? Stat(string name)
    {
        ValidateName(name);
        return StatAt(_handle, name, out var info) == 0 ? info : null;
    }

    public override OpenedFile OpenFile(string name)
    {
        ValidateName(name);
        // Look before opening, so a device is never opened; the handle is checked again after.
        if (Stat(name) is not { } seen) return OpenedFile.Refused(FileRejection.Missing, $"{PathOf(name)} does not exist.");
        if (Rejection(seen, name) is { } before) return before;
        var fd = OpenEntry(name, FileFlags, 0, out var errno);
        if (fd < 0)
        {
            return errno switch
            {
                ENOENT => OpenedFile.Refused(FileRejection.Missing, $"{PathOf(name)} does not exist."),
                ELOOP => OpenedFile.Refused(FileRejection.Link, LinkReason(name)),
                ENXIO => OpenedFile.Refused(FileRejection.Special, $"'{PathOf(name)}' is not a regular file (a socket); tools only open regular files."),
                _ => throw new ToolFailedException($"{PathOf(name)} could not be opened: {Describe(errno)}."),
            };
        }
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            var error = StatHandle(handle, out var info);
            if (error != 0) throw new ToolFailedException($"{PathOf(name)} could not be examined: {Describe(error)}.");
            var rejected = Rejection(info, name)
                ?? (Misplaced(handle, PathOf(name)) is { } reason ? OpenedFile.Refused(FileRejection.Misplaced, reason) : null);
            if (rejected is not null)
            {
                handle.Dispose();
                return rejected;
            }
            return new OpenedFile(new FileStream(handle, FileAccess.Read, bufferSize: 0), FileRejection.None, "");
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public override ConfinedDirectory? OpenDirectory(string name, bool create)
    {
        ValidateName(name);
        var child = OpenChild(name, create);
        if (child?.Misplaced(child._handle, child.RelativePath) is { } reason)
        {
            child.Dispose();
            throw new ToolRefusedException(reason);
        }
        return child;
    }

    public override void Replace(string name, ReadOnlySpan<byte> content)
    {
        ValidateName(name);
        var temporary = TemporaryName(name);
        var fd = OpenEntry(temporary, WriteOnly | Create | Exclusive | NoFollow | CloseOnExec, NewFileMode, out var errno);
        if (fd < 0) throw new ToolFailedException($"Could not create a temporary file next to {PathOf(name)}: {Describe(errno)}.");
        var renamed = false;
        try
        {
            using (var stream = new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Write, bufferSize: 0))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
                if (Stat(name) is { } existing)
                {
                    if (Rejection(existing, name) is { } rejected) throw ToException(rejected);
                    File.SetUnixFileMode(stream.SafeFileHandle, existing.Permissions);
                }
            }
            var error = RenameAt(_handle, temporary, name);
            if (error != 0) throw new ToolFailedException($"Could not replace {PathOf(name)}: {Describe(error)}.");
            renamed = true;
        }
        finally
        {
            if (!renamed) UnlinkAt(_handle, temporary);
        }
    }

    public override void Delete(string name)
    {
        ValidateName(name);
        var existing = Stat(name) ?? throw new ToolFailedException($"{PathOf(name)} does not exist.");
        if (Rejection(existing, name) is { } rejected) throw ToException(rejected);
        var error = UnlinkAt(_handle, name);
        if (error != 0) throw new ToolFailedException($"Could not delete {PathOf(name)}: {Describe(error)}.");
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _handle.Dispose();
    }

    /// <summary>One component down, never through a link; creates it (mkdirat under this handle) when missing and asked to.</summary>
    private HandleDirectory? OpenChild(string name, bool create)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var fd = OpenEntry(name, DirectoryFlags, 0, out var errno);
            if (fd >= 0) return new HandleDirectory(new SafeFileHandle(fd, ownsHandle: true), PathOf(name), _rootKernelPath, _openat2);
            switch (errno)
            {
                case ENOENT:
                    if (!create) return null;
                    var made = MakeDirectoryAt(_handle, name, NewDirectoryMode);
                    if (made is not (0 or EEXIST)) throw new ToolFailedException($"Could not create {PathOf(name)}: {Describe(made)}.");
                    continue;
                case ENOTDIR or ELOOP:
                    // O_NOFOLLOW | O_DIRECTORY on a link fails with ENOTDIR: look at what is there.
                    var kind = Stat(name)?.Kind;
                    if (kind == EntryKind.Link) throw new ToolRefusedException(LinkReason(name));
                    if (kind is null or EntryKind.Directory) continue;   // it changed in between: look again
                    if (!create) return null;
                    throw new ToolFailedException($"{PathOf(name)} is not a directory.");
                case EXDEV:
                    throw new ToolRefusedException($"'{PathOf(name)}' leads outside the tools root.");
                default:
                    throw new ToolFailedException($"{PathOf(name)} could not be opened: {Describe(errno)}.");
            }
        }
        throw new ToolFailedException($"{PathOf(name)} kept changing while it was opened; nothing was done.");
    }

    /// <summary>Opens a single-component name under this handle, with openat2 while the kernel has it.</summary>
    private int OpenEntry(string name, int flags, uint mode, out int errno)
    {
        if (_openat2)
        {
            var fd = OpenBeneath(_handle, name, flags, mode, out errno);
            if (fd >= 0 || errno != ENOSYS) return fd;
            s_openat2Missing = true;
            _openat2 = false;
        }
        return OpenAt(_handle, name, flags | NoFollow, mode, out errno);
    }

    /// <summary>Null when the handle is at the root-relative path; otherwise why it is refused.</summary>
    private string? Misplaced(SafeFileHandle handle, string relativePath)
    {
        var expected = relativePath == "." ? _rootKernelPath : Path.Join(_rootKernelPath, relativePath);
        var actual = KernelPath(handle);
        if (actual == expected) return null;
        if (actual is null) return $"'{relativePath}': where the opened file is cannot be confirmed (/proc/self/fd is not readable); refused.";
        var inside = actual == _rootKernelPath || actual.StartsWith(_rootKernelPath.EndsWith('/') ? _rootKernelPath : _rootKernelPath + "/", StringComparison.Ordinal);
        return inside
            ? $"'{relativePath}' was opened as '{Path.GetRelativePath(_rootKernelPath, actual)}' (moved or swapped while it was opened); refused."
            : $"'{relativePath}' was opened at {actual}, outside the tools root; refused.";
    }

    /// <summary>The kernel's name for what a handle refers to (readlink of /proc/self/fd/N); null when it cannot be read.</summary>
    private static string? KernelPath(SafeFileHandle handle)
    {
        try
        {
            return new FileInfo($"/proc/self/fd/{handle.DangerousGetHandle()}").LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
