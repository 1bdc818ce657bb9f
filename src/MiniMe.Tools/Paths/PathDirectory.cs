namespace MiniMe.Tools.Paths;

/// <summary>
/// The fallback for systems other than Linux: a directory named by its full path, every entry opened
/// by path. Links are refused by name (FileSystemInfo.LinkTarget) at each component, but nothing holds
/// the directory: a component swapped for a link between that look and the open is followed, hard
/// link counts are not known (taken as 1) and FIFOs are not told apart from files. Linux uses
/// <see cref="HandleDirectory"/>, which closes all three.
/// </summary>
internal sealed class PathDirectory : ConfinedDirectory
{
    private readonly string _fullPath;

    private PathDirectory(string fullPath, string relativePath)
        : base(relativePath)
    {
        _fullPath = fullPath;
    }

    public static PathDirectory? Open(string root, string relativePath, bool create)
    {
        var current = new PathDirectory(root, ".");
        if (relativePath == ".") return current;
        foreach (var part in relativePath.Split('/'))
        {
            ValidateName(part);
            current = (PathDirectory?)current.OpenDirectory(part, create);
            if (current is null) return null;
        }
        return current;
    }

    public override IReadOnlyList<string> List()
    {
        try
        {
            return Directory.EnumerateFileSystemEntries(_fullPath).Select(p => Path.GetFileName(p)).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ToolFailedException($"{RelativePath}: could not list the directory: {e.Message}", e);
        }
    }

    public override EntryInfo? Stat(string name)
    {
        ValidateName(name);
        var info = new FileInfo(Path.Join(_fullPath, name));
        if (info.LinkTarget is not null) return new EntryInfo(EntryKind.Link, 1, 0, 0);
        if (Directory.Exists(info.FullName)) return new EntryInfo(EntryKind.Directory, 1, 0, 0);
        if (!info.Exists) return null;
        var permissions = OperatingSystem.IsWindows() ? 0 : File.GetUnixFileMode(info.FullName) & (UnixFileMode)0x1FF;
        return new EntryInfo(EntryKind.File, 1, info.Length, permissions);
    }

    public override OpenedFile OpenFile(string name)
    {
        if (Stat(name) is not { } seen) return OpenedFile.Refused(FileRejection.Missing, $"{PathOf(name)} does not exist.");
        if (Rejection(seen, name) is { } rejected) return rejected;
        try
        {
            var handle = File.OpenHandle(Path.Join(_fullPath, name), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return new OpenedFile(new FileStream(handle, FileAccess.Read, bufferSize: 0), FileRejection.None, "");
        }
        catch (FileNotFoundException)
        {
            return OpenedFile.Refused(FileRejection.Missing, $"{PathOf(name)} does not exist.");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ToolFailedException($"{PathOf(name)} could not be opened: {e.Message}", e);
        }
    }

    public override ConfinedDirectory? OpenDirectory(string name, bool create)
    {
        var next = Path.Join(_fullPath, name);
        switch (Stat(name)?.Kind)
        {
            case EntryKind.Link:
                throw new ToolRefusedException(LinkReason(name));
            case EntryKind.Directory:
                return new PathDirectory(next, PathOf(name));
            case null when create:
                Directory.CreateDirectory(next);
                return new PathDirectory(next, PathOf(name));
            case null:
                return null;
            default:
                if (create) throw new ToolFailedException($"{PathOf(name)} is not a directory.");
                return null;
        }
    }

    public override void Replace(string name, ReadOnlySpan<byte> content)
    {
        var target = Path.Join(_fullPath, name);
        if (Stat(name) is { } existing && Rejection(existing, name) is { } rejected) throw ToException(rejected);
        var temporary = Path.Join(_fullPath, TemporaryName(name));
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }
            if (!OperatingSystem.IsWindows() && File.Exists(target))
                File.SetUnixFileMode(temporary, File.GetUnixFileMode(target) & (UnixFileMode)0x1FF);
            File.Move(temporary, target, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    public override void Delete(string name)
    {
        var existing = Stat(name) ?? throw new ToolFailedException($"{PathOf(name)} does not exist.");
        if (Rejection(existing, name) is { } rejected) throw ToException(rejected);
        File.Delete(Path.Join(_fullPath, name));
    }

    protected override void Dispose(bool disposing)
    {
    }
}
