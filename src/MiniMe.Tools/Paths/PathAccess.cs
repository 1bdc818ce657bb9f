namespace MiniMe.Tools.Paths;

/// <summary>What a tool wants to do with a path: the allowlist's read or write rules apply.</summary>
public enum PathAccess
{
    Read,
    Write,
}

/// <summary>A path inside the tools root after resolving "..", absolute paths and every symlink.</summary>
/// <param name="FullPath">The real path on disk (symlinks resolved).</param>
/// <param name="RelativePath">FullPath relative to the root, '/'-separated ("." for the root itself).</param>
/// <param name="Requested">What the caller asked for, for messages.</param>
public sealed record ConfinedPath(string FullPath, string RelativePath, string Requested);
