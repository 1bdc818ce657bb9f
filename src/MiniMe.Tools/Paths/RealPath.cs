namespace MiniMe.Tools.Paths;

/// <summary>
/// Resolves a path the way the kernel would: component by component, following every symlink that
/// exists (relative targets from the link's directory, absolute ones from /) and applying ".." to the
/// already-resolved parent. Components that do not exist yet are kept as written, so a new file's
/// real location is its nearest existing ancestor's real path plus the rest.
/// </summary>
internal static class RealPath
{
    private const int MaxLinks = 40;

    /// <summary>Resolves <paramref name="path"/> (absolute, or relative to <paramref name="baseDirectory"/>, which must be real).</summary>
    /// <param name="visitedLink">Called with the real location of every symbolic link followed on the way.</param>
    public static string Resolve(string path, string baseDirectory, Action<string>? visitedLink = null)
    {
        var root = Path.GetPathRoot(baseDirectory) ?? "/";
        var rooted = Path.IsPathRooted(path);
        var current = rooted ? Path.GetPathRoot(path)! : baseDirectory;
        var pending = new Stack<string>(Split(rooted ? path[Path.GetPathRoot(path)!.Length..] : path).Reverse());
        var links = 0;
        while (pending.Count > 0)
        {
            var part = pending.Pop();
            if (part is "" or ".") continue;
            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? current;   // current is real, so its lexical parent is its real parent
                continue;
            }
            var next = Path.Join(current, part);
            var info = new FileInfo(next);
            if (info.LinkTarget is { } target)
            {
                if (++links > MaxLinks)
                    throw new ToolRefusedException($"'{path}' has too many levels of symbolic links");
                visitedLink?.Invoke(next);
                if (Path.IsPathRooted(target))
                {
                    current = Path.GetPathRoot(target)!;
                    target = target[current.Length..];
                }
                foreach (var t in Split(target).Reverse()) pending.Push(t);
                continue;
            }
            current = next;
        }
        return current.Length > root.Length ? current.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar) : current;
    }

    // On Unix a backslash is an ordinary file-name character; on Windows both separate.
    private static string[] Split(string path) => OperatingSystem.IsWindows() ? path.Split('/', '\\') : path.Split('/');
}
