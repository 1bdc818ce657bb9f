using Microsoft.Extensions.Options;
using MiniMe.Configuration;

namespace MiniMe.Server.Mcp;

/// <summary>The mcp section of config.yaml (mcp: ...), overridable with MINIME_MCP__*: MiniMe as an MCP server (`minime mcp`, /mcp).</summary>
public sealed class McpOptions
{
    public const string Section = "mcp";

    /// <summary>
    /// Offer the tools that write memory (memory_import_text, remember) to MCP clients. Off by default:
    /// an MCP client then reads memory and lists nothing that changes it.
    /// </summary>
    public bool AllowWrites { get; set; }

    /// <summary>
    /// MCP servers whose tools MiniMe's agents may use (the client side, docs/mcp.md): each a program started
    /// without a shell (command) or a URL. Their tools are read-only tools of the agents only when the user marks
    /// the server readOnly; otherwise an agent's call becomes a proposal that runs only after approval.
    /// </summary>
    public List<McpServerOptions> Servers { get; set; } = [];

    /// <summary>Binds the mcp section and checks it; a bad value fails with where it was set.</summary>
    public static McpOptions Load(Workspace workspace, IEnumerable<KeyValuePair<string, string?>>? overrides = null)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        return ConfigurationLoader.LoadSection(workspace, Section, new McpOptionsValidator(), overrides);
    }
}

/// <summary>mcp.allowWrites needs only the binding; every mcp.servers entry is checked (<see cref="McpServerOptions.Problems"/>), and their names must differ.</summary>
public sealed class McpOptionsValidator : IValidateOptions<McpOptions>
{
    public ValidateOptionsResult Validate(string? name, McpOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < options.Servers.Count; i++)
        {
            var server = options.Servers[i];
            failures.AddRange(server.Problems($"mcp.servers[{i}]"));
            if (server.Name is { Length: > 0 } n && !seen.Add(n))
                failures.Add($"mcp.servers[{i}].name: '{n}' names two servers; give each its own name");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
