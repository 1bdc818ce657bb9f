using System.Text.Json;
using System.Text.Json.Nodes;
using MiniMe.Agents;
using MiniMe.Memory;
using MiniMe.Memory.Import;
using MiniMe.Tools.Paths;
using MiniMe.Tracing;

namespace MiniMe.Tools;

/// <summary>
/// The workspace's tools as agents see them while they think (<see cref="IAgentToolbox"/>): only the
/// read-only ones (read_file, search_repo, retrieve_memory: no approval needed, category read, search or
/// memory) plus changed_files, run through the same registry, argument schema, allowlist, path
/// confinement and secrets refusal as a proposal, their output secret-masked. write_file, apply_patch
/// and run_command are never offered: they go only through proposals and the approval gate. In a
/// workspace that is not trusted nothing is offered and nothing is read.
/// With external tools (config.yaml mcp.servers, listed by <see cref="External.IExternalToolSource"/>): those of a
/// server the user marked readOnly are offered and called like the read-only ones; the others are offered as tools
/// that only propose (<see cref="AgentToolDefinition.Proposes"/>): a call becomes a proposal for the approval gate.
/// </summary>
public sealed class AgentTools : IAgentToolbox, IAgentToolboxWarnings
{
    public const string ChangedFilesTool = "changed_files";
    private const int MaxChangedFiles = 200;

    private readonly ToolHost _host;
    private readonly Func<CancellationToken, Task<IMemoryStore>>? _store;
    private readonly External.IExternalToolSource? _source;
    private readonly Dictionary<string, External.ExternalTool> _external;

    /// <param name="store">The memory changed_files compares the workspace with; null: changed_files is not offered.</param>
    /// <param name="external">External tools listed for this run (and the source that calls them); null: none.</param>
    public AgentTools(ToolHost host, Func<CancellationToken, Task<IMemoryStore>>? store, External.ExternalToolList? external = null, External.IExternalToolSource? source = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        _host = host;
        _store = store;
        _source = source;
        var trusted = host.Runner.Trust.Refusal is null;
        _external = trusted && source is not null && external is not null
            ? external.Tools.Where(t => host.Registry.Find(t.Name) is null).GroupBy(t => t.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal)
            : new Dictionary<string, External.ExternalTool>(StringComparer.Ordinal);
        Warnings = external?.Warnings ?? [];
        Tools = trusted ? [.. Offered()] : [];
    }

    public IReadOnlyList<AgentToolDefinition> Tools { get; }

    /// <summary>One line per external server whose tools are not offered (unreachable, or not started).</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>Read-only: needs no approval and only reads files or memory.</summary>
    public static bool IsReadOnly(ToolDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        return !descriptor.NeedsApproval && descriptor.Category is ToolCategory.Read or ToolCategory.Search or ToolCategory.Memory;
    }

    private IEnumerable<AgentToolDefinition> Offered()
    {
        foreach (var descriptor in _host.Registry.Descriptors.Where(IsReadOnly))
            yield return new AgentToolDefinition(descriptor.Name, descriptor.Description, Schema(descriptor.Schema.ToJson()), ReadOnly: true);
        if (_store is not null)
            yield return new AgentToolDefinition(ChangedFilesTool,
                "List the files under the workspace root whose text differs from what memory last imported (added, modified, deleted): memory excerpts of these files are stale, read them with read_file.",
                Schema(new JsonObject { ["type"] = "object", ["properties"] = new JsonObject(), ["additionalProperties"] = false }), ReadOnly: true);
        foreach (var tool in _external.Values.OrderBy(t => t.Name, StringComparer.Ordinal))
            yield return tool.ReadOnly
                ? new AgentToolDefinition(tool.Name, $"[MCP server {tool.Server}] {tool.Description}", Schema(tool.InputSchema), ReadOnly: true)
                : new AgentToolDefinition(tool.Name,
                    $"[MCP server {tool.Server}; calling it only proposes the call: it runs after the user approves it] {tool.Description}",
                    Schema(tool.InputSchema), ReadOnly: false, Proposes: true);
    }

    public async Task<JsonNode> CallAsync(string tool, JsonObject arguments, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tool);
        ArgumentNullException.ThrowIfNull(arguments);
        if (Tools.All(t => t.Name != tool))
            throw new AgentToolException($"{tool} is not offered: agents may only call {string.Join(", ", Tools.Select(t => t.Name))}");
        try
        {
            if (tool == ChangedFilesTool) return await ChangedAsync(cancellationToken).ConfigureAwait(false);
            if (_external.TryGetValue(tool, out var external))
            {
                if (!external.ReadOnly) throw new AgentToolException($"{tool} only proposes: it runs after approval, not while agents think");
                return SecretRedactor.Redact(await _source!.CallAsync(external, arguments, cancellationToken).ConfigureAwait(false))!;
            }
            var found = _host.Registry.Get(tool);
            var prepared = await found.PrepareAsync(found.Descriptor.Schema.Validate(tool, arguments), cancellationToken).ConfigureAwait(false);
            var execution = await prepared.ExecuteAsync(cancellationToken).ConfigureAwait(false);
            if (!execution.Succeeded) throw new AgentToolException(execution.Summary);
            return SecretRedactor.Redact(execution.Output.DeepClone())!;
        }
        catch (ToolRefusedException e)
        {
            throw new AgentToolException($"{tool} refused: {e.Message}");
        }
        catch (MiniMeException e)
        {
            throw new AgentToolException($"{tool} failed: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AgentToolException($"{tool} failed: {e.GetType().Name}: {e.Message}");
        }
    }

    public async Task<string?> ReadCurrentAsync(string path, CancellationToken cancellationToken)
    {
        if (Tools.All(t => t.Name != "read_file")) return null;
        try
        {
            var output = await CallAsync("read_file", new JsonObject { ["path"] = path }, cancellationToken).ConfigureAwait(false);
            return output["content"]?.GetValue<string>();
        }
        catch (AgentToolException)
        {
            return null;
        }
    }

    public async Task<string?> CheckPatchAsync(string path, string diff, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(diff);
        if (_host.Runner.Trust.Refusal is not null || _host.Registry.Find("apply_patch") is not { } patcher) return null;
        var arguments = new JsonObject { ["patch"] = diff };
        if (!string.IsNullOrWhiteSpace(path)) arguments["path"] = path;
        try
        {
            // Prepare reads the current file and applies every hunk in memory; it writes nothing.
            await patcher.PrepareAsync(patcher.Descriptor.Schema.Validate("apply_patch", arguments), cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (ToolRefusedException)
        {
            return null; // not a question of the current text: the approval gate refuses it with its own reason
        }
        catch (MiniMeException e)
        {
            return e.Message;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"{e.GetType().Name}: {e.Message}";
        }
    }

    private async Task<JsonNode> ChangedAsync(CancellationToken cancellationToken)
    {
        var store = await _store!(cancellationToken).ConfigureAwait(false);
        var context = _host.Context;
        var report = await ChangedFiles.FindAsync(store, _host.Root, context.IgnoredDirectories, context.Options.MaxFileBytes, MaxChangedFiles, cancellationToken).ConfigureAwait(false);
        var visible = report.Files.Where(f => context.Paths.IsAllowed(f.Path, PathAccess.Read)).ToList();
        return new JsonObject
        {
            ["files"] = new JsonArray([.. visible.Select(f => (JsonNode?)new JsonObject { ["path"] = f.Path, ["change"] = f.Change })]),
            ["truncated"] = report.Truncated,
            ["checked"] = report.FilesChecked,
        };
    }

    private static JsonElement Schema(JsonObject schema)
    {
        using var document = JsonDocument.Parse(schema.ToJsonString());
        return document.RootElement.Clone();
    }
}
