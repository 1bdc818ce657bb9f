using MiniMe.Configuration;
using MiniMe.Tools.Allowlist;
using MiniMe.Tools.Paths;

namespace MiniMe.Tools.Trust;

/// <summary>Whether a workspace's tools may run, and if not, the one line that says why and what to do.</summary>
/// <param name="Reason">Why it is not trusted ("allowlist.yaml changed since you trusted it on 2025-06-01"); null when trusted.</param>
/// <param name="Refusal">The whole line a refused proposal gets; null when trusted.</param>
/// <param name="Entry">The trust file's entry for the workspace, when it has one.</param>
public sealed record TrustStatus(WorkspaceFingerprint Fingerprint, string? Reason, string? Refusal, TrustEntry? Entry)
{
    public bool IsTrusted => Refusal is null;

    internal static TrustStatus Trusted(WorkspaceFingerprint fingerprint, TrustEntry entry) => new(fingerprint, null, null, entry);

    /// <summary>Not trusted: the refusal says so and how to trust it.</summary>
    internal static TrustStatus NotTrusted(WorkspaceFingerprint fingerprint, string reason, TrustEntry? entry) =>
        new(fingerprint, reason, $"this workspace is not trusted ({reason}); {WorkspaceTrust.Hint}", entry);

    /// <summary>The trust file cannot be used: its own message is the refusal.</summary>
    internal static TrustStatus Unusable(WorkspaceFingerprint fingerprint, string message) => new(fingerprint, message, message, null);
}

/// <summary>
/// Workspace trust (SPEC 3.6): a workspace whose .minime MiniMe did not create on this machine, or
/// whose allowlist.yaml or tools.* settings changed since it was trusted, runs no tools until the user
/// reviews it with `minime trust`. A repository can ship a .minime folder; it cannot ship trust,
/// because trust lives in the user's trust file, outside every workspace.
/// </summary>
public static class WorkspaceTrust
{
    public const string Hint = "review and trust it with `minime trust`";

    /// <summary>The status of what a tool host was built from.</summary>
    public static TrustStatus Check(TrustStore store, WorkspaceFingerprint fingerprint, ToolAllowlist allowlist)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(fingerprint);
        ArgumentNullException.ThrowIfNull(allowlist);
        if (Exposure(store, fingerprint.ToolsRoot, allowlist) is { } exposed)
            return TrustStatus.Unusable(fingerprint, exposed);
        TrustEntry? entry;
        try
        {
            entry = store.Find(fingerprint.Workspace);
        }
        catch (TrustFileException e)
        {
            return TrustStatus.Unusable(fingerprint, e.Message);
        }
        if (entry is null)
            return TrustStatus.NotTrusted(fingerprint, "its .minime was not created by MiniMe on this machine", null);
        return Changed(fingerprint, entry) is { } changed ? TrustStatus.NotTrusted(fingerprint, changed, entry) : TrustStatus.Trusted(fingerprint, entry);
    }

    /// <summary>The status of the workspace as it is on disk now (allowlist.yaml read, tools.root resolved).</summary>
    public static TrustStatus Check(TrustStore store, Workspace workspace, MiniMeOptions options)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(options);
        var allowlist = AllowlistLoader.Load(workspace.AllowlistPath);
        return Check(store, WorkspaceFingerprint.Of(workspace, allowlist, WorkspaceFingerprint.RealToolsRoot(workspace, options.Tools), options), allowlist);
    }

    /// <summary>Records trust in what <paramref name="fingerprint"/> describes. Refuses when tools could rewrite the trust file.</summary>
    public static TrustEntry Record(TrustStore store, WorkspaceFingerprint fingerprint, ToolAllowlist allowlist, TrustSource how, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(fingerprint);
        ArgumentNullException.ThrowIfNull(allowlist);
        if (Exposure(store, fingerprint.ToolsRoot, allowlist) is { } exposed)
            throw new TrustFileException(exposed);
        var entry = new TrustEntry(fingerprint, now, how);
        store.Record(entry);
        return entry;
    }

    /// <summary>Records trust in the workspace as it is on disk now.</summary>
    public static TrustEntry Record(TrustStore store, Workspace workspace, MiniMeOptions options, TrustSource how, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(options);
        var allowlist = AllowlistLoader.Load(workspace.AllowlistPath);
        return Record(store, WorkspaceFingerprint.Of(workspace, allowlist, WorkspaceFingerprint.RealToolsRoot(workspace, options.Tools), options), allowlist, how, now);
    }

    /// <summary>True when the trust file is under the tools root, where sandboxed commands can write.</summary>
    public static bool IsInsideRoot(TrustStore store, string realToolsRoot)
    {
        ArgumentNullException.ThrowIfNull(store);
        return RelativeToRoot(store, realToolsRoot) is not null;
    }

    private static string? Changed(WorkspaceFingerprint now, TrustEntry entry)
    {
        var changed = new List<string>();
        if (entry.Fingerprint.AllowlistSha256 != now.AllowlistSha256) changed.Add("allowlist.yaml");
        if (entry.Fingerprint.ToolsRoot != now.ToolsRoot) changed.Add($"tools.root (now {now.ToolsRoot})");
        else if (entry.Fingerprint.SettingsSha256 != now.SettingsSha256) changed.Add("the tools settings (tools.* or hooks in config.yaml or in a workflows/ manifest, mcp.servers, or MINIME_TOOLS__* / MINIME_HOOKS__* / MINIME_MCP__SERVERS__*)");
        return changed.Count == 0 ? null : $"{string.Join(" and ", changed)} changed since {entry.Since}";
    }

    /// <summary>Why tools could rewrite the trust file (it is under the root and the write rules allow it), or null.</summary>
    private static string? Exposure(TrustStore store, string realToolsRoot, ToolAllowlist allowlist)
    {
        if (RelativeToRoot(store, realToolsRoot) is not { } relative) return null;
        if (!allowlist.Write.IsIncluded(relative) || allowlist.Write.ExcludedBy(relative) is not null) return null;
        return $"the trust file {store.Path} is inside the tools root {realToolsRoot} and allowlist.yaml lets tools write it, so no workspace is trusted; set {TrustStore.EnvironmentVariable} to a file outside the tools root";
    }

    private static string? RelativeToRoot(TrustStore store, string realToolsRoot)
    {
        var real = RealPath.Resolve(store.Path, Path.GetPathRoot(store.Path)!);
        var relative = Path.GetRelativePath(realToolsRoot, real);
        return relative == "." || relative == ".." || relative.StartsWith("../", StringComparison.Ordinal) || Path.IsPathRooted(relative)
            ? null
            : relative.Replace(Path.DirectorySeparatorChar, '/');
    }
}
