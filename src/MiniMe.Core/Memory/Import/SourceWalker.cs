using MiniMe.Security;

namespace MiniMe.Memory.Import;

/// <summary>What walking an import path found, besides the files themselves. Each skipped entry carries the rule that skipped it.</summary>
public sealed class WalkCounts
{
    public int IgnoredDirectories { get; set; }
    public int SymlinkedDirectoriesSkipped { get; set; }
    public List<(string Path, string Reason)> UnreadableDirectories { get; } = [];
    /// <summary>Key and credential files (<see cref="SecretPaths"/>), never opened.</summary>
    public List<(string Path, string Reason)> SecretFiles { get; } = [];
    /// <summary>Folders such as .ssh or .aws, never entered.</summary>
    public List<(string Path, string Reason)> SecretDirectories { get; } = [];
    /// <summary>Files a .gitignore or .minimeignore excludes (the reason names the file and line).</summary>
    public List<(string Path, string Reason)> GitIgnoredFiles { get; } = [];
    /// <summary>Folders a .gitignore or .minimeignore excludes, never entered (git cannot re-include a file inside one either).</summary>
    public List<(string Path, string Reason)> GitIgnoredDirectories { get; } = [];
}

/// <summary>
/// Lists the files under an import path in a stable order. Skips ignored directory names (.git, bin,
/// obj, node_modules, ...), never follows directory symlinks (no loops, no escapes), never enters a
/// secret folder or opens a secret file (<see cref="SecretPaths"/>, matched on the path relative to
/// the import root; a single file, or a symlink's target, on its full path), and leaves out what the
/// .gitignore and .minimeignore files exclude: those above the import root up to its repository's
/// top, nested ones on the way down (also outside a git repository), and .git/info/exclude.
/// .minimeignore has .gitignore's syntax and keeps files out of memory that git tracks; in one folder
/// it is consulted after that folder's .gitignore, so its rules (a "!" too) win there.
/// </summary>
public static class SourceWalker
{
    /// <summary>The ignore file only MiniMe reads; same syntax as .gitignore.</summary>
    public const string IgnoreFileName = ".minimeignore";

    public static List<string> ListFiles(string path, IReadOnlyCollection<string> ignoreDirectories, WalkCounts counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        var full = Path.GetFullPath(path);
        if (File.Exists(full))
        {
            if (SecretFile(Absolute(full), full) is { } reason)
            {
                counts.SecretFiles.Add((full, reason));
                return [];
            }
            return [full];
        }
        if (!Directory.Exists(full))
            throw new NotFoundException($"Nothing to import at {path}: no such file or directory.");
        if (SecretDirectory(Absolute(full)) is { } secretRoot)
        {
            counts.SecretDirectories.Add((full, secretRoot));
            return [];
        }
        var ignore = new HashSet<string>(ignoreDirectories, StringComparer.Ordinal);
        var files = new List<string>();
        var pending = new Stack<(string Directory, GitIgnoreFile[] Ignores)>();
        pending.Push((full, AboveRoot(full)));
        while (pending.Count > 0)
        {
            var (directory, inherited) = pending.Pop();
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
            var ignores = WithOwn(inherited, directory);
            Array.Sort(entries, (a, b) => string.CompareOrdinal(a.Name, b.Name));
            var subdirectories = new List<string>();
            foreach (var entry in entries)
            {
                var relative = Path.GetRelativePath(full, entry.FullName).Replace('\\', '/');
                if (entry is DirectoryInfo dir)
                {
                    if (ignore.Contains(dir.Name)) counts.IgnoredDirectories++;
                    else if (SecretDirectory(relative) is { } secret) counts.SecretDirectories.Add((dir.FullName, secret));
                    else if (dir.LinkTarget is not null) counts.SymlinkedDirectoriesSkipped++;
                    else if (GitIgnored(ignores, dir.FullName, isDirectory: true) is { } rule) counts.GitIgnoredDirectories.Add((dir.FullName, rule));
                    else subdirectories.Add(dir.FullName);
                }
                else if (entry is FileInfo file)
                {
                    if (SecretFile(relative, file.FullName) is { } secret) counts.SecretFiles.Add((file.FullName, secret));
                    else if (GitIgnored(ignores, file.FullName, isDirectory: false) is { } rule) counts.GitIgnoredFiles.Add((file.FullName, rule));
                    else files.Add(file.FullName);
                }
            }
            for (var i = subdirectories.Count - 1; i >= 0; i--) pending.Push((subdirectories[i], ignores));
        }
        return files;
    }

    /// <summary>
    /// Why a walk from <paramref name="top"/> would leave out <paramref name="file"/> (a secret, a
    /// folder on the way that is ignored by name, symlinked, secret or ignored, or an ignore file's
    /// pattern), or null when it would list it. For one file changed outside an import.
    /// </summary>
    public static string? Exclusion(string file, string top, IReadOnlyCollection<string> ignoreDirectories)
    {
        ArgumentNullException.ThrowIfNull(ignoreDirectories);
        var full = Path.GetFullPath(file);
        var root = Path.GetFullPath(top);
        var relative = Path.GetRelativePath(root, full).Replace('\\', '/');
        if (relative == "." || relative.StartsWith("../", StringComparison.Ordinal) || relative == ".." || Path.IsPathRooted(relative))
            return $"outside {root}";
        var ignore = new HashSet<string>(ignoreDirectories, StringComparer.Ordinal);
        var segments = relative.Split('/');
        var ignores = AboveRoot(root);
        var directory = root;
        for (var i = 0; i < segments.Length - 1; i++)
        {
            ignores = WithOwn(ignores, directory);
            var next = Path.Combine(directory, segments[i]);
            var relativeFolder = string.Join('/', segments[..(i + 1)]);
            if (ignore.Contains(segments[i])) return $"in an ignored folder ({segments[i]})";
            if (SecretDirectory(relativeFolder) is { } secret) return secret;
            if (new DirectoryInfo(next).LinkTarget is not null) return "inside a symlinked folder";
            if (GitIgnored(ignores, next, isDirectory: true) is { } folderRule) return folderRule;
            directory = next;
        }
        ignores = WithOwn(ignores, directory);
        return SecretFile(relative, full) ?? GitIgnored(ignores, full, isDirectory: false);
    }

    /// <summary>The inherited ignore files plus the folder's own .gitignore and then its .minimeignore (deepest last).</summary>
    private static GitIgnoreFile[] WithOwn(GitIgnoreFile[] inherited, string directory)
    {
        var git = GitIgnoreFile.Load(Path.Combine(directory, ".gitignore"), directory);
        var mine = GitIgnoreFile.Load(Path.Combine(directory, IgnoreFileName), directory);
        if (git is not { Count: > 0 } && mine is not { Count: > 0 }) return inherited;
        var result = new List<GitIgnoreFile>(inherited.Length + 2);
        result.AddRange(inherited);
        if (git is { Count: > 0 }) result.Add(git);
        if (mine is { Count: > 0 }) result.Add(mine);
        return [.. result];
    }

    /// <summary>Why a file is a secret (its path, or a symlink's target), or null.</summary>
    private static string? SecretFile(string relativePath, string fullPath)
    {
        if (SecretPaths.Match(relativePath) is { } glob) return $"secret file (matches {glob})";
        var target = TryResolveLink(fullPath);
        if (target is not null && SecretPaths.Match(Absolute(target)) is { } linked) return $"links to a secret file (matches {linked})";
        return null;
    }

    /// <summary>A folder is secret when its path matches or when everything inside it would (".azure/**").</summary>
    private static string? SecretDirectory(string relativePath) =>
        (SecretPaths.Match(relativePath) ?? SecretPaths.Match(relativePath + "/")) is { } glob ? $"secret folder (matches {glob})" : null;

    private static string? TryResolveLink(string path)
    {
        try
        {
            var info = new FileInfo(path);
            return info.LinkTarget is null ? null : info.ResolveLinkTarget(returnFinalTarget: true)?.FullName;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return path;   // an unresolvable link is judged by its own path
        }
    }

    /// <summary>A full path as a relative one ("/home/u/.ssh/x" as "home/u/.ssh/x") for the secret patterns.</summary>
    private static string Absolute(string fullPath) => fullPath.Replace('\\', '/').TrimStart('/');

    /// <summary>The pattern that ignores the path, or null: the deepest ignore file with a matching pattern decides.</summary>
    private static string? GitIgnored(GitIgnoreFile[] ignores, string fullPath, bool isDirectory)
    {
        for (var i = ignores.Length - 1; i >= 0; i--)
        {
            var relative = Path.GetRelativePath(ignores[i].Directory, fullPath).Replace('\\', '/');
            switch (ignores[i].Match(relative, isDirectory, out var pattern))
            {
                case IgnoreVerdict.Ignored: return $"ignored by {pattern}";
                case IgnoreVerdict.Included: return null;
            }
        }
        return null;
    }

    /// <summary>
    /// The ignore files that apply before the walk reaches the root's own .gitignore: when the root is
    /// inside a git repository, .git/info/exclude and every .gitignore and .minimeignore from the
    /// repository's top down to the root's parent.
    /// </summary>
    private static GitIgnoreFile[] AboveRoot(string root)
    {
        var chain = new List<string>();
        for (var directory = new DirectoryInfo(root); directory is not null; directory = directory.Parent)
        {
            chain.Add(directory.FullName);
            var dotGit = Path.Combine(directory.FullName, ".git");
            if (!Directory.Exists(dotGit) && !File.Exists(dotGit)) continue;
            GitIgnoreFile[] result = GitIgnoreFile.Load(Path.Combine(dotGit, "info", "exclude"), directory.FullName) is { Count: > 0 } exclude ? [exclude] : [];
            for (var i = chain.Count - 1; i >= 1; i--)
                result = WithOwn(result, chain[i]);
            return result;
        }
        return [];
    }
}
