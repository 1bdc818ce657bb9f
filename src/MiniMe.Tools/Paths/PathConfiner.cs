using MiniMe.Security;
using MiniMe.Tools.Allowlist;

namespace MiniMe.Tools.Paths;

/// <summary>
/// Turns a path a tool was given into a real path inside the tools root, or refuses it: "..",
/// absolute paths and symlinks (every existing component; the nearest existing ancestor for new
/// files) are resolved first, then the result must be under the root, not a secret file, not in a
/// protected directory (the MiniMe home), and allowed by the allowlist's read or write rules.
/// </summary>
public sealed class PathConfiner
{
    private const int MaxPathLength = 4096;
    private static readonly Glob[] GitInternals = [new("**/.git", ignoreCase: true), new("**/.git/**", ignoreCase: true)];
    private readonly IReadOnlyList<Glob> _protected;

    /// <param name="root">The tools root; must exist.</param>
    /// <param name="allowlist">Read and write rules.</param>
    /// <param name="protectedDirectories">Directories refused for reading and writing (the MiniMe home).</param>
    public PathConfiner(string root, ToolAllowlist allowlist, IEnumerable<string>? protectedDirectories = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        ArgumentNullException.ThrowIfNull(allowlist);
        var full = Path.GetFullPath(root);
        if (!Directory.Exists(full))
            throw new Configuration.ConfigException($"The tools root {full} does not exist; set tools.root in config.yaml to your project directory.");
        Root = RealPath.Resolve(full, Path.GetPathRoot(full)!);
        Allowlist = allowlist;
        _protected = (protectedDirectories ?? [])
            .Select(d => RealPath.Resolve(Path.GetFullPath(d), Path.GetPathRoot(Path.GetFullPath(d))!))
            .Where(IsInsideRoot)
            .SelectMany(d => Relative(d) is "." ? [new Glob("**")] : new[] { new Glob(Relative(d)), new Glob(Relative(d) + "/**") })
            .ToList();
    }

    /// <summary>Whether a root-relative path is in a protected directory (the MiniMe home).</summary>
    public bool IsProtected(string relativePath) => _protected.Any(g => g.IsMatch(relativePath));

    /// <summary>The protected directories (the MiniMe home) as root-relative globs.</summary>
    public IReadOnlyList<string> ProtectedPatterns => [.. _protected.Select(g => g.Pattern)];

    /// <summary>The root with symlinks resolved.</summary>
    public string Root { get; }

    public ToolAllowlist Allowlist { get; }

    /// <summary>Resolves and confines a path, then applies the secret, protected and allowlist rules for the access.</summary>
    public ConfinedPath Check(string requested, PathAccess access)
    {
        var confined = Confine(requested);
        var lexical = LexicalRelative(requested);
        if (lexical is not null && lexical != confined.RelativePath && Refusal(lexical, access, checkInclude: false) is { } viaName)
            throw new ToolRefusedException($"'{requested}' {viaName}");
        if (Refusal(confined.RelativePath, access, checkInclude: true) is { } reason)
            throw new ToolRefusedException($"'{requested}'{(confined.RelativePath == requested ? "" : $" ({confined.RelativePath})")} {reason}");
        return confined;
    }

    /// <summary>Whether a relative path (already real, inside the root) passes the rules for the access; used when walking the tree.</summary>
    public bool IsAllowed(string relativePath, PathAccess access) => Refusal(relativePath, access, checkInclude: true) is null;

    /// <summary>Whether a directory (relative, inside the root) may be descended into for reading: not secret, protected or excluded.</summary>
    public bool IsDirectoryReadable(string relativePath) => Refusal(relativePath + "/", PathAccess.Read, checkInclude: false) is null;

    private string? Refusal(string rel, PathAccess access, bool checkInclude)
    {
        if (SecretPaths.Match(rel) is { } secret)
            return $"is a secret file (matches {secret}); tools never read or write those.";
        if (_protected.Any(g => g.IsMatch(rel)))
            return "is inside the MiniMe home; tools never touch its configuration, allowlist or traces.";
        if (access == PathAccess.Write && SecretPaths.NeverWritten.FirstOrDefault(g => g.IsMatch(rel)) is { } git)
            return $"is inside .git (matches {git}); tools never write git's internals (hooks and config run code).";
        if (access == PathAccess.Read && GitInternals.Any(g => g.IsMatch(rel)))
            return "is inside .git; tools do not read git's internals (its config can hold credentials): use git commands.";
        var rules = access == PathAccess.Write ? Allowlist.Write : Allowlist.Read;
        if (rules.ExcludedBy(rel) is { } excluded)
            return $"is excluded from {Verb(access)} by '{excluded}' in {Allowlist.Source}.";
        if (checkInclude && !rules.IsIncluded(rel))
            return $"is not {(access == PathAccess.Write ? "writable" : "readable")}: no {Section(access)}.include pattern in {Allowlist.Source} matches it.";
        if (access == PathAccess.Write && Commands.CodeFiles.Match(rel) is { } code && rules.CodeAllowedBy(rel) is null)
            return $"can run code (it matches {code}: builds, tests, git, editors or CI run what it says); writing it needs an explicit write.code entry in {Allowlist.Source}.";
        return null;
    }

    /// <summary>
    /// Why the read rules refuse a path named by <paramref name="path"/> (relative to <paramref name="baseDirectory"/>),
    /// judged by its name, whether or not it exists (git can show files that are gone); null when allowed.
    /// An existing path is also judged by its real location (through links).
    /// </summary>
    public string? LexicalReadRefusal(string path, string baseDirectory)
    {
        if (path.Length == 0) return null;
        if (path.Length > MaxPathLength || path.Any(char.IsControl)) return "a path with control characters or too long";
        var full = Path.GetFullPath(path, baseDirectory);
        if (!IsInsideRoot(full)) return $"{full}, outside the tools root {Root}";
        var rel = Relative(full);
        if (Refusal(rel, PathAccess.Read, checkInclude: true) is { } reason) return $"{rel}, which {reason}";
        if (File.Exists(full) || Directory.Exists(full) || new FileInfo(full).LinkTarget is not null)
        {
            var real = RealPath.Resolve(full, Root);
            if (!IsInsideRoot(real)) return $"{real}, outside the tools root {Root}";
            var realRel = Relative(real);
            if (realRel != rel && Refusal(realRel, PathAccess.Read, checkInclude: true) is { } viaLink) return $"{realRel}, which {viaLink}";
        }
        return null;
    }

    /// <summary>Why writing a root-relative path would be refused by the rules (no resolution), or null.</summary>
    public string? WriteRefusal(string relativePath) => Refusal(relativePath, PathAccess.Write, checkInclude: true);

    /// <summary>Resolves a path and refuses it unless it is inside the root (no allowlist rules).</summary>
    public ConfinedPath Confine(string requested)
    {
        Validate(requested);
        var real = RealPath.Resolve(requested, Root);
        if (!IsInsideRoot(real))
            throw new ToolRefusedException($"'{requested}' resolves to {real}, outside the tools root {Root}.");
        return new ConfinedPath(real, Relative(real), requested);
    }

    /// <summary>
    /// Checks a command argument that may name a path (relative to the command's working directory):
    /// one that is absolute or climbs with ".." must stay inside the root, and one that names an
    /// existing secret, protected or read-excluded file is refused.
    /// </summary>
    public void CheckArgument(string candidate, string workingDirectory)
    {
        if (candidate.Length == 0 || candidate.Length > MaxPathLength || candidate.Any(char.IsControl)) return;
        var climbs = Path.IsPathRooted(candidate) || candidate.Split('/').Contains("..");
        var real = RealPath.Resolve(candidate, workingDirectory);
        if (!IsInsideRoot(real))
        {
            if (climbs || File.Exists(real) || Directory.Exists(real))
                throw new ToolRefusedException($"argument '{candidate}' names {real}, outside the tools root {Root}.");
            return;
        }
        if (!climbs && !File.Exists(real) && !Directory.Exists(real)) return;
        var rel = Relative(real);
        if (SecretPaths.Match(rel) is { } secret)
            throw new ToolRefusedException($"argument '{candidate}' names a secret file ({rel} matches {secret}).");
        if (_protected.Any(g => g.IsMatch(rel)))
            throw new ToolRefusedException($"argument '{candidate}' names the MiniMe home; commands never get its files.");
        if (GitInternals.Any(g => g.IsMatch(rel)))
            throw new ToolRefusedException($"argument '{candidate}' names git's internals ({rel}); commands never get them as arguments.");
        if (Allowlist.Read.ExcludedBy(rel) is { } excluded)
            throw new ToolRefusedException($"argument '{candidate}' names {rel}, excluded by '{excluded}' in {Allowlist.Source}.");
    }

    public bool IsInsideRoot(string realPath) =>
        realPath == Root || realPath.StartsWith(Root.EndsWith(Path.DirectorySeparatorChar) ? Root : Root + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    /// <summary>A real path inside the root as a '/'-separated relative path.</summary>
    public string Relative(string realPath)
    {
        var rel = Path.GetRelativePath(Root, realPath);
        return Path.DirectorySeparatorChar == '/' ? rel : rel.Replace(Path.DirectorySeparatorChar, '/');
    }

    private string? LexicalRelative(string requested)
    {
        var full = Path.GetFullPath(requested, Root);
        return IsInsideRoot(full) ? Relative(full) : null;
    }

    private static void Validate(string requested)
    {
        if (string.IsNullOrWhiteSpace(requested))
            throw new ToolRefusedException("The path is empty.");
        if (requested.Length > MaxPathLength)
            throw new ToolRefusedException($"The path is {requested.Length} characters long; at most {MaxPathLength}.");
        if (requested.Any(char.IsControl))
            throw new ToolRefusedException("The path contains control characters (NUL, newline, ...).");
        if (requested.StartsWith('~'))
            throw new ToolRefusedException($"'{requested}': ~ is not expanded; give a path relative to the tools root.");
    }

    private static string Verb(PathAccess access) => access == PathAccess.Write ? "writing" : "reading";

    private static string Section(PathAccess access) => access == PathAccess.Write ? "write" : "read";
}
