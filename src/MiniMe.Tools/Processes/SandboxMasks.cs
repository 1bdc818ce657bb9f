using MiniMe.Security;
using MiniMe.Tools.Paths;

namespace MiniMe.Tools.Processes;

/// <summary>
/// What a sandboxed command must not see or change inside the tools root, found by walking the root just
/// before the command starts (symlinks are never followed):
/// <list type="bullet">
/// <item>every <c>.git</c> (directory or gitdir file) is hidden (a build or test could run any git command, and history holds
/// secrets the rules refuse to show), so no hook, config or attributes can be planted for the user's next git command; the
/// system's git itself runs with the whole root read-only instead (see <see cref="BubblewrapSandbox"/>);</item>
/// <item>the MiniMe home and secret directories (.ssh, .aws, ...) are replaced by empty read-only directories;</item>
/// <item>secret files, files the read rules exclude, and files with more than one hard link (another name may be a secret or outside the root) read as empty;</item>
/// <item>existing files that run code (<see cref="Commands.CodeFiles"/>) are read-only unless write.code allows them.</item>
/// </list>
/// Ignored directories (node_modules, bin, obj, ...) are not walked: they hold packages and build output the build rewrites.
/// </summary>
internal static class SandboxMasks
{
    /// <summary>A walk that would visit more entries than this refuses to start the command rather than sandbox it unchecked.</summary>
    public const int MaxEntries = 500_000;

    public sealed record Result(IReadOnlyList<string> Arguments, int Hidden, int ReadOnly);

    public static Result Scan(PathConfiner confiner, IReadOnlyCollection<string> ignoredDirectories)
    {
        var args = new List<string>();
        int hidden = 0, readOnly = 0, seen = 0;
        var pending = new Stack<string>([confiner.Root]);
        while (pending.Count > 0)
        {
            var directory = pending.Pop();
            IEnumerable<FileSystemInfo> entries;
            try
            {
                entries = new DirectoryInfo(directory).EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = false, RecurseSubdirectories = false }).ToList();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ToolFailedException($"Cannot read {directory} to prepare the sandbox ({e.Message}); nothing was run.");
            }
            foreach (var entry in entries)
            {
                if (++seen > MaxEntries)
                    throw new ToolFailedException($"The tools root has more than {MaxEntries} files outside ignored directories; MiniMe cannot check them for secrets before sandboxing, so nothing was run. Narrow tools.root or add directories to import.ignoreDirectories.");
                // Links are followed inside the sandbox, to paths masked here or not mounted at all. (The attribute comes with the
                // directory listing; LinkTarget would cost a readlink per entry.)
                if ((entry.Attributes & FileAttributes.ReparsePoint) != 0) continue;
                var rel = confiner.Relative(entry.FullName);
                var isDirectory = (entry.Attributes & FileAttributes.Directory) != 0;
                if (entry.Name == ".git")
                {
                    if (isDirectory) args.AddRange(["--tmpfs", entry.FullName, "--remount-ro", entry.FullName]);
                    else args.AddRange(["--ro-bind", "/dev/null", entry.FullName]);
                    readOnly++;
                    continue;
                }
                if (isDirectory)
                {
                    if (confiner.IsProtected(rel) || SecretPaths.IsSecret(rel))
                    {
                        args.AddRange(["--tmpfs", entry.FullName, "--remount-ro", entry.FullName]);
                        hidden++;
                    }
                    else if (!ignoredDirectories.Contains(entry.Name))
                    {
                        pending.Push(entry.FullName);
                    }
                    continue;
                }
                if (SecretPaths.IsSecret(rel) || confiner.Allowlist.Read.ExcludedBy(rel) is not null || confiner.IsProtected(rel) || IsHardLinked(entry.FullName))
                {
                    args.AddRange(["--ro-bind", "/dev/null", entry.FullName]);
                    hidden++;
                }
                else if (Commands.CodeFiles.Match(rel) is not null && confiner.Allowlist.Write.CodeAllowedBy(rel) is null)
                {
                    args.AddRange(["--ro-bind", entry.FullName, entry.FullName]);
                    readOnly++;
                }
            }
        }
        return new Result(args, hidden, readOnly);
    }

    private static bool IsHardLinked(string path) =>
        OperatingSystem.IsLinux() && FileSyscalls.StatPath(path, out var info) == 0 && info.Kind == EntryKind.File && info.Links > 1;
}
