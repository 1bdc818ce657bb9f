using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using MiniMe.Configuration;
using MiniMe.Tools.Allowlist;
using MiniMe.Tools.Paths;

namespace MiniMe.Tools.Trust;

/// <summary>
/// What a workspace's tools may do, reduced to two SHA-256 hashes: one of allowlist.yaml's text, one
/// of the effective tools.* settings (file and environment) with tools.root replaced by its real path,
/// and of the program hooks (config.yaml `hooks:` and the `hooks:` of each manifest in workflows/), which
/// run programs as tools do, and of the MCP servers MiniMe's agents may use (config.yaml `mcp.servers`: a
/// stdio server is a program started with the user's rights, a URL server is where agents may send what
/// they read), as configured, valid or not.
/// Every tools.* setting is in the hash, not only the ones known to widen access today (root, sandbox,
/// allowNetwork): a setting added later is covered without anyone remembering to list it, at the cost
/// of asking again when a limit such as commandTimeoutSeconds changes.
/// </summary>
/// <param name="Workspace">The MiniMe home's real path: the key in the trust file.</param>
/// <param name="ToolsRoot">tools.root resolved to a real path.</param>
public sealed record WorkspaceFingerprint(string Workspace, string ToolsRoot, string AllowlistSha256, string SettingsSha256)
{
    /// <summary>The fingerprint of what a tool host was built from: the allowlist it parsed and the real root it confines to.</summary>
    public static WorkspaceFingerprint Of(Workspace workspace, ToolAllowlist allowlist, string realToolsRoot, MiniMeOptions options)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(allowlist);
        ArgumentException.ThrowIfNullOrEmpty(realToolsRoot);
        ArgumentNullException.ThrowIfNull(options);
        return new WorkspaceFingerprint(RealWorkspace(workspace), realToolsRoot, allowlist.ContentSha256, HashSettings(realToolsRoot, options, McpServers(workspace), WorkflowHooks(workspace)));
    }

    /// <summary>Where the MCP servers sit in <see cref="Settings(string, MiniMeOptions)"/>.</summary>
    public const string McpServersMember = "mcp.servers";

    /// <summary>
    /// config.yaml's mcp.servers (with MINIME_MCP__SERVERS__* variables) as every key path and value, sorted, read
    /// from the configuration itself rather than the bound options: an entry that would not bind or validate is
    /// covered all the same. Null when there are none.
    /// </summary>
    public static JsonObject? McpServers(Workspace workspace)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        var section = ConfigurationLoader.Build(workspace).GetSection("mcp:servers");
        var values = new SortedDictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (key, value) in section.AsEnumerable(makePathsRelative: true))
            if (value is not null) values[key.ToLowerInvariant()] = value;
        if (values.Count == 0) return null;
        var json = new JsonObject();
        foreach (var (key, value) in values) json[key] = value;
        return json;
    }

    /// <summary>The fingerprint of the workspace as it is on disk now (allowlist.yaml read, tools.root resolved).</summary>
    public static WorkspaceFingerprint Read(Workspace workspace, MiniMeOptions options)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(options);
        return Of(workspace, AllowlistLoader.Load(workspace.AllowlistPath), RealToolsRoot(workspace, options.Tools), options);
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

    /// <summary>
    /// The canonical form of the settings that is hashed: tools.* with tools.root as a real path, the rest
    /// as configured, plus the program hooks when there are any (so a workspace without hooks keeps the
    /// fingerprint it had before hooks existed, and adding one asks for trust again).
    /// </summary>
    public static JsonObject Settings(string realToolsRoot, MiniMeOptions options) => Settings(realToolsRoot, options, null);

    /// <summary><see cref="Settings(string, MiniMeOptions)"/> plus the MCP servers (<see cref="McpServers"/>) and the manifests' hooks (<see cref="WorkflowHooks"/>) when there are any.</summary>
    /// <param name="workflowHooks">The hooks of the workspace's manifests by file; none: the member is absent.</param>
    public static JsonObject Settings(string realToolsRoot, MiniMeOptions options, JsonObject? mcpServers, IReadOnlyDictionary<string, IReadOnlyList<MiniMe.Hooks.HookOptions>>? workflowHooks = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = JsonSerializer.SerializeToNode(options.Tools)!.AsObject();
        settings[nameof(ToolsOptions.Root)] = realToolsRoot;
        if (options.Hooks.Count > 0) settings[HooksMember] = JsonSerializer.SerializeToNode(options.Hooks);
        if (mcpServers is { Count: > 0 }) settings[McpServersMember] = mcpServers.DeepClone();
        if (workflowHooks is { Count: > 0 })
            settings[WorkflowHooksMember] = new JsonObject([.. workflowHooks.OrderBy(p => p.Key, StringComparer.Ordinal)
                .Select(p => KeyValuePair.Create(p.Key, JsonSerializer.SerializeToNode(p.Value)))]);
        return settings;
    }

    /// <summary>Where the program hooks sit in <see cref="Settings(string, MiniMeOptions)"/>.</summary>
    public const string HooksMember = "hooks";

    /// <summary>Where the manifests' hooks sit in <see cref="Settings(string, MiniMeOptions)"/>, by path under workflows/.</summary>
    public const string WorkflowHooksMember = "workflow_hooks";

    public static string HashSettings(string realToolsRoot, MiniMeOptions options, JsonObject? mcpServers = null, IReadOnlyDictionary<string, IReadOnlyList<MiniMe.Hooks.HookOptions>>? workflowHooks = null) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Settings(realToolsRoot, options, mcpServers, workflowHooks).ToJsonString())));

    /// <summary>
    /// The hooks each manifest of the workspace's workflows/ folder declares, by its path there ("fix-tests.workflow.yaml").
    /// A manifest that does not load cannot run, so its hooks cannot either: it is left out (fixing it changes the fingerprint).
    /// </summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<MiniMe.Hooks.HookOptions>> WorkflowHooks(Workspace workspace)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        var result = new SortedDictionary<string, IReadOnlyList<MiniMe.Hooks.HookOptions>>(StringComparer.Ordinal);
        if (!Directory.Exists(workspace.WorkflowsDirectory)) return result;
        foreach (var path in Directory.EnumerateFiles(workspace.WorkflowsDirectory, "*.workflow.yaml", SearchOption.AllDirectories))
        {
            try
            {
                var workflow = MiniMe.Workflows.WorkflowParser.LoadFile(path);
                if (workflow.Hooks.Count > 0) result[Path.GetRelativePath(workspace.WorkflowsDirectory, path).Replace('\\', '/')] = workflow.Hooks;
            }
            catch (Exception e) when (e is MiniMeException or IOException or UnauthorizedAccessException)
            {
                // Does not load, so it does not run.
            }
        }
        return result;
    }

    private static string Real(string path)
    {
        var full = Path.GetFullPath(path);
        return RealPath.Resolve(full, Path.GetPathRoot(full)!);
    }
}
