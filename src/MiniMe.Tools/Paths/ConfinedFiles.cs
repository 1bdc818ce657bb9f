namespace MiniMe.Tools.Paths;

/// <summary>
/// Opens directories under the tools root by the relative path <see cref="PathConfiner"/> checked,
/// once, without following a link at any component, and hands back a held handle to act through.
/// On Linux: openat2 from a handle of the root with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
/// RESOLVE_NO_MAGICLINKS (or, where the kernel has no openat2, an openat(O_NOFOLLOW | O_DIRECTORY)
/// walk, one component at a time), then the handle's real path (/proc/self/fd) must be the checked
/// one. A link that appears after the check makes the open fail instead of leading elsewhere. On other
/// systems directories are opened by path (see <see cref="PathDirectory"/>).
/// </summary>
/// <param name="root">The tools root (real, as <see cref="PathConfiner.Root"/>).</param>
/// <param name="useOpenat2">False to always walk component by component (the fallback for kernels before 5.6).</param>
internal sealed class ConfinedFiles(string root, bool useOpenat2 = true)
{
    public string Root { get; } = root;

    /// <summary>The directory at a root-relative path, held open; null when it (or a component) is missing or not a directory.</summary>
    public ConfinedDirectory? OpenDirectory(string relativePath) => Open(relativePath, create: false);

    /// <summary>The directory at a root-relative path, creating missing components one by one under held handles (never through a link).</summary>
    public ConfinedDirectory CreateDirectory(string relativePath) => Open(relativePath, create: true)!;

    /// <summary>A root-relative file path as its directory and name; the name is null for the root itself.</summary>
    public static (string Directory, string? Name) Split(string relativePath)
    {
        if (relativePath == ".") return (".", null);
        var slash = relativePath.LastIndexOf('/');
        return slash < 0 ? (".", relativePath) : (relativePath[..slash], relativePath[(slash + 1)..]);
    }

    private ConfinedDirectory? Open(string relativePath, bool create)
    {
        ArgumentException.ThrowIfNullOrEmpty(relativePath);
        return OperatingSystem.IsLinux()
            ? HandleDirectory.Open(Root, relativePath, create, useOpenat2)
            : PathDirectory.Open(Root, relativePath, create);
    }
}
