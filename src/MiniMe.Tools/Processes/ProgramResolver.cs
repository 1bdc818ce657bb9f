namespace MiniMe.Tools.Processes;

/// <summary>
/// Finds the executable a program name means: a bare name on the sanitized PATH (relative entries and
/// entries inside the tools root are dropped, so a written file can never shadow a real program), or
/// a path (absolute, or relative to the tools root).
/// </summary>
public sealed class ProgramResolver
{
    public ProgramResolver(string? path, string toolsRoot)
    {
        ArgumentException.ThrowIfNullOrEmpty(toolsRoot);
        var root = toolsRoot.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        SearchPath = (path ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(Path.IsPathRooted)
            .Select(p => Path.TrimEndingDirectorySeparator(Path.GetFullPath(p)))
            .Where(p => !(p + Path.DirectorySeparatorChar).StartsWith(root, StringComparison.Ordinal))
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
}
