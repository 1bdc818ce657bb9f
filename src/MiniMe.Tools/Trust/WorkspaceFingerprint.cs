using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MiniMe.Configuration;
using MiniMe.Tools.Allowlist;
using MiniMe.Tools.Paths;

namespace MiniMe.Tools.Trust;

/// <summary>
/// What a workspace's tools may do, reduced to two SHA-256 hashes: one of allowlist.yaml's text, one
/// of the effective tools.* settings (file and environment) with tools.root replaced by its real path.
/// Every tools.* setting is in the hash, not only the ones known to widen access today (root, sandbox,
/// allowNetwork): a setting added later is covered without anyone remembering to list it, at the cost
/// of asking again when a limit such as commandTimeoutSeconds changes.
/// </summary>
/// <param name="Workspace">The MiniMe home's real path: the key in the trust file.</param>
/// <param name="ToolsRoot">tools.root resolved to a real path.</param>
public sealed record WorkspaceFingerprint(string Workspace, string ToolsRoot, string AllowlistSha256, string SettingsSha256)
{
    /// <summary>The fingerprint of what a tool host was built from: the allowlist it parsed and the real root it confines to.</summary>
    public static WorkspaceFingerprint Of(Workspace workspace, ToolAllowlist allowlist, string realToolsRoot, ToolsOptions tools)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(allowlist);
        ArgumentException.ThrowIfNullOrEmpty(realToolsRoot);
        ArgumentNullException.ThrowIfNull(tools);
        return new WorkspaceFingerprint(RealWorkspace(workspace), realToolsRoot, allowlist.ContentSha256, HashSettings(realToolsRoot, tools));
    }

    /// <summary>The fingerprint of the workspace as it is on disk now (allowlist.yaml read, tools.root resolved).</summary>
    public static WorkspaceFingerprint Read(Workspace workspace, ToolsOptions tools)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(tools);
        return Of(workspace, AllowlistLoader.Load(workspace.AllowlistPath), RealToolsRoot(workspace, tools), tools);
    }

    /// <summary>The MiniMe home with every symlink resolved.</summary>
    public static string RealWorkspace(Workspace workspace)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        return Real(workspace.Root);
    }

    /// <summary>tools.root (relative to the home) with every symlink resolved, as the path confiner resolves it.</summary>
    public static string RealToolsRoot(Workspace workspace, ToolsOptions tools)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(tools);
        return Real(workspace.ResolvePath(tools.Root));
    }

    /// <summary>The canonical form of the tools.* settings that is hashed: tools.root as a real path, the rest as configured.</summary>
    public static JsonObject Settings(string realToolsRoot, ToolsOptions tools)
    {
        ArgumentNullException.ThrowIfNull(tools);
        var settings = JsonSerializer.SerializeToNode(tools)!.AsObject();
        settings[nameof(ToolsOptions.Root)] = realToolsRoot;
        return settings;
    }

    public static string HashSettings(string realToolsRoot, ToolsOptions tools) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Settings(realToolsRoot, tools).ToJsonString())));

    private static string Real(string path)
    {
        var full = Path.GetFullPath(path);
        return RealPath.Resolve(full, Path.GetPathRoot(full)!);
    }
}
