using System.Security.Cryptography;
using MiniMe.Security;
using MiniMe.Tools.Paths;

namespace MiniMe.Tools.Processes;

/// <summary>
/// What a command that runs repository code must not leave behind for later, unsandboxed use: a new or
/// changed git repository (hooks, config, attributes run code on the user's next git command) and new or
/// changed build inputs and scripts (<see cref="Commands.CodeFiles"/>) that write.code does not allow.
/// The sandbox already hides .git and makes code files read-only, but a command can rename a directory
/// and rebuild it, and without a sandbox nothing stops it; so MiniMe looks before and after. Changed
/// files get their old content back, new ones are moved to the MiniMe home's quarantine folder, and
/// each one is reported.
/// </summary>
internal sealed class CodeAudit
{
    private const long MaxKeptBytes = 4 * 1024 * 1024;
    private readonly PathConfiner _confiner;
    private readonly IReadOnlyCollection<string> _ignored;
    private readonly Dictionary<string, Entry> _before;

    private sealed record Entry(string Hash, byte[]? Content, UnixFileMode Mode, bool IsDirectory);

    private CodeAudit(PathConfiner confiner, IReadOnlyCollection<string> ignored)
    {
        _confiner = confiner;
        _ignored = ignored;
        _before = Scan();
    }

    public static CodeAudit Begin(PathConfiner confiner, IReadOnlyCollection<string> ignoredDirectories) => new(confiner, ignoredDirectories);

    /// <summary>Compares with the state before the command, undoes what it may not keep, and says what was undone.</summary>
    public IReadOnlyList<string> Finish(string quarantineDirectory)
    {
        var findings = new List<string>();
        var after = Scan();
        foreach (var (rel, now) in after.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (_before.TryGetValue(rel, out var then))
            {
                if (then.Hash == now.Hash) continue;
                var full = Path.Join(_confiner.Root, rel);
                if (then.Content is null || then.IsDirectory || now.IsDirectory)
                {
                    findings.Add($"{rel} was changed by the command and could not be restored (it can run code): check it before you build or use git");
                    continue;
                }
                Quarantine(full, rel, quarantineDirectory);
                Restore(full, then);
                findings.Add($"{rel} was changed by the command and has been restored (it can run code); the changed copy is in {quarantineDirectory}");
            }
            else if (!IsInsideNewEntry(rel, after))
            {
                var full = Path.Join(_confiner.Root, rel);
                Quarantine(full, rel, quarantineDirectory);
                findings.Add(Path.GetFileName(rel) == ".git"
                    ? $"the command created a git repository at {rel}: its hooks would run when git is used there; moved to {quarantineDirectory}"
                    : $"the command created {rel}, which can run code; moved to {quarantineDirectory}");
            }
        }
        foreach (var (rel, then) in _before.Where(e => !after.ContainsKey(e.Key)).OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (then.Content is null || then.IsDirectory)
            {
                findings.Add($"{rel} was removed or moved by the command (it can run code): check the tree before you build or use git");
                continue;
            }
            var full = Path.Join(_confiner.Root, rel);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            Restore(full, then);
            findings.Add($"{rel} was removed by the command and has been restored (it can run code)");
        }
        return findings;
    }

    /// <summary>A new .git inside a new .git (its hooks folder) is reported once, with its repository.</summary>
    private bool IsInsideNewEntry(string rel, Dictionary<string, Entry> after)
    {
        var gitAt = rel.IndexOf("/.git/", StringComparison.Ordinal);
        var repo = rel.StartsWith(".git/", StringComparison.Ordinal) ? ".git" : gitAt >= 0 ? rel[..(gitAt + 5)] : null;
        return repo is not null && repo != rel && !_before.ContainsKey(repo) && after.ContainsKey(repo);
    }

    private static void Restore(string full, Entry then)
    {
        File.WriteAllBytes(full, then.Content!);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(full, then.Mode);
    }

    private static void Quarantine(string full, string rel, string quarantineDirectory)
    {
        var target = Path.Join(quarantineDirectory, rel);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        if (Directory.Exists(target) || File.Exists(target)) target += "." + Guid.NewGuid().ToString("N")[..8];
        if (Directory.Exists(full)) Directory.Move(full, target);
        else if (File.Exists(full) || new FileInfo(full).LinkTarget is not null) File.Move(full, target);
    }

    /// <summary>Every .git entry and what is under its hooks, info and config, and every code file outside ignored directories.</summary>
    private Dictionary<string, Entry> Scan()
    {
        var found = new Dictionary<string, Entry>(StringComparer.Ordinal);
        var pending = new Stack<string>([_confiner.Root]);
        var seen = 0;
        while (pending.Count > 0)
        {
            var directory = pending.Pop();
            List<FileSystemInfo> entries;
            try
            {
                entries = [.. new DirectoryInfo(directory).EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0 })];
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            foreach (var entry in entries)
            {
                if (++seen > SandboxMasks.MaxEntries) return found;
                var rel = _confiner.Relative(entry.FullName);
                var isLink = (entry.Attributes & FileAttributes.ReparsePoint) != 0;   // from the listing, no readlink per entry
                var isDirectory = (entry.Attributes & FileAttributes.Directory) != 0 && !isLink;
                if (entry.Name == ".git")
                {
                    found[rel] = Describe(entry, isDirectory);
                    if (isDirectory)
                        foreach (var part in new[] { "hooks", "info", "config", "commondir", "gitdir" })
                            AddTree(Path.Join(entry.FullName, part), found);
                    continue;
                }
                if (isLink)
                {
                    if (Commands.CodeFiles.Match(rel) is not null && _confiner.Allowlist.Write.CodeAllowedBy(rel) is null) found[rel] = Describe(entry, false);
                    continue;
                }
                if (isDirectory)
                {
                    if (!_ignored.Contains(entry.Name) && !_confiner.IsProtected(rel) && !SecretPaths.IsSecret(rel)) pending.Push(entry.FullName);
                    continue;
                }
                if (Commands.CodeFiles.Match(rel) is not null && _confiner.Allowlist.Write.CodeAllowedBy(rel) is null)
                    found[rel] = Describe(entry, false);
            }
        }
        return found;
    }

    private void AddTree(string path, Dictionary<string, Entry> found)
    {
        if (File.Exists(path) || new FileInfo(path).LinkTarget is not null)
        {
            found[_confiner.Relative(path)] = Describe(new FileInfo(path), false);
            return;
        }
        if (!Directory.Exists(path)) return;
        foreach (var file in Directory.EnumerateFileSystemEntries(path, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
            if (!Directory.Exists(file) || new FileInfo(file).LinkTarget is not null)
                found[_confiner.Relative(file)] = Describe(new FileInfo(file), false);
    }

    private static Entry Describe(FileSystemInfo entry, bool isDirectory)
    {
        if (isDirectory) return new Entry("dir", null, 0, true);
        if (entry.LinkTarget is { } target) return new Entry("link:" + target, null, 0, false);
        try
        {
            var info = (FileInfo)entry;
            var bytes = info.Length <= MaxKeptBytes ? File.ReadAllBytes(info.FullName) : null;
            var hash = bytes is not null ? Convert.ToHexString(SHA256.HashData(bytes)) : $"size:{info.Length}:{info.LastWriteTimeUtc.Ticks}";
            return new Entry(hash, bytes, OperatingSystem.IsWindows() ? 0 : File.GetUnixFileMode(info.FullName), false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidCastException)
        {
            return new Entry("unreadable", null, 0, false);
        }
    }
}
