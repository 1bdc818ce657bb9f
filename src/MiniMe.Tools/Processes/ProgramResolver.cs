using MiniMe.Tools.Paths;

namespace MiniMe.Tools.Processes;

/// <summary>
/// Finds the executable a program name means: a bare name on the sanitized PATH, or a path (absolute,
/// or relative to the tools root). Relative PATH entries are dropped, and so is every entry that
/// reaches the tools root, lexically or through a symbolic link (its real path is inside the root, or
/// a link followed on the way lies inside it and so could be re-pointed by a tool): a written file can
/// never shadow a real program.
/// </summary>
public sealed class ProgramResolver
{
    public ProgramResolver(string? path, string toolsRoot)
    {
        ArgumentException.ThrowIfNullOrEmpty(toolsRoot);
        var lexicalRoot = Path.TrimEndingDirectorySeparator(Path.GetFullPath(toolsRoot));
        string[] roots = RealOrNull(lexicalRoot) is { } realRoot && realRoot != lexicalRoot ? [lexicalRoot, realRoot] : [lexicalRoot];
        SearchPath = (path ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(Path.IsPathRooted)
            .Select(p => Path.TrimEndingDirectorySeparator(Path.GetFullPath(p)))
            .Where(p => !ReachesRoot(p, roots))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        ToolsRoot = toolsRoot;
    }

    /// <summary>The PATH entries searched, in order; also the PATH commands get.</summary>
    public IReadOnlyList<string> SearchPath { get; }

    public string ToolsRoot { get; }

    public string PathVariable => string.Join(Path.PathSeparator, SearchPath);

    /// <summary>The executable's absolute path (symlinks not resolved), or null when there is none.</summary>
    public string? Resolve(string program)
    {
        ArgumentException.ThrowIfNullOrEmpty(program);
        if (program.Contains('/') || (OperatingSystem.IsWindows() && program.Contains('\\')))
        {
            var full = Path.GetFullPath(program, ToolsRoot);
            return IsExecutable(full) ? full : null;
        }
        foreach (var directory in SearchPath)
        {
            var candidate = Path.Join(directory, program);
            if (IsExecutable(candidate)) return candidate;
            if (OperatingSystem.IsWindows() && IsExecutable(candidate + ".exe")) return candidate + ".exe";
        }
        return null;
    }

    private static bool IsExecutable(string path)
    {
        if (!File.Exists(path)) return false;
        if (OperatingSystem.IsWindows()) return true;
        const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        return (File.GetUnixFileMode(path) & anyExecute) != 0;
    }

    /// <summary>True when the entry, its real path, or a link followed to get there lies inside one of the roots (unresolvable entries count as inside).</summary>
    private static bool ReachesRoot(string entry, string[] roots)
    {
        if (roots.Any(root => IsInside(entry, root))) return true;
        var linkInside = false;
        string real;
        try
        {
            real = RealPath.Resolve(entry, "/", link => linkInside |= roots.Any(root => IsInside(link, root)));
        }
        catch (Exception e) when (e is ToolRefusedException or IOException or UnauthorizedAccessException)
        {
            return true;   // a link loop or an unreadable directory: nothing can be run from it anyway
        }
        return linkInside || roots.Any(root => IsInside(real, root));
    }

    private static string? RealOrNull(string path)
    {
        try
        {
            return RealPath.Resolve(path, "/");
        }
        catch (Exception e) when (e is ToolRefusedException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static bool IsInside(string path, string root) =>
        root == Path.GetPathRoot(root) || (path + Path.DirectorySeparatorChar).StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal);
}
