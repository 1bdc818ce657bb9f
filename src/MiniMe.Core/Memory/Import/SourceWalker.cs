namespace MiniMe.Memory.Import;

/// <summary>What walking an import path found, besides the files themselves.</summary>
public sealed class WalkCounts
{
    public int IgnoredDirectories { get; set; }
    public int SymlinkedDirectoriesSkipped { get; set; }
    public List<(string Path, string Reason)> UnreadableDirectories { get; } = [];
}

/// <summary>
/// Lists the files under an import path in a stable order. Skips ignored directory names
/// (.git, bin, obj, node_modules, ...) and never follows directory symlinks (no loops, no escapes).
/// </summary>
public static class SourceWalker
{
    public static List<string> ListFiles(string path, IReadOnlyCollection<string> ignoreDirectories, WalkCounts counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        var full = Path.GetFullPath(path);
        if (File.Exists(full)) return [full];
        if (!Directory.Exists(full))
            throw new NotFoundException($"Nothing to import at {path}: no such file or directory.");
        var ignore = new HashSet<string>(ignoreDirectories, StringComparer.Ordinal);
        var files = new List<string>();
        var pending = new Stack<string>();
        pending.Push(full);
        while (pending.Count > 0)
        {
            var directory = pending.Pop();
            FileSystemInfo[] entries;
            try
            {
                entries = new DirectoryInfo(directory).GetFileSystemInfos();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                counts.UnreadableDirectories.Add((directory, e.Message));
                continue;
            }
            Array.Sort(entries, (a, b) => string.CompareOrdinal(a.Name, b.Name));
            var subdirectories = new List<string>();
            foreach (var entry in entries)
            {
                if (entry is DirectoryInfo dir)
                {
                    if (ignore.Contains(dir.Name)) counts.IgnoredDirectories++;
                    else if (dir.LinkTarget is not null) counts.SymlinkedDirectoriesSkipped++;
                    else subdirectories.Add(dir.FullName);
                }
                else if (entry is FileInfo file)
                {
                    files.Add(file.FullName);
                }
            }
            for (var i = subdirectories.Count - 1; i >= 0; i--) pending.Push(subdirectories[i]);
        }
        return files;
    }
}
