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

    /// <summary>Binds the mcp section and checks it; a bad value fails with where it was set.</summary>
    public static McpOptions Load(Workspace workspace, IEnumerable<KeyValuePair<string, string?>>? overrides = null)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        return ConfigurationLoader.LoadSection(workspace, Section, new McpOptionsValidator(), overrides);
    }
}

/// <summary>Nothing to check beyond the binding (mcp.allowWrites must be true or false).</summary>
public sealed class McpOptionsValidator : IValidateOptions<McpOptions>
{
    public ValidateOptionsResult Validate(string? name, McpOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return ValidateOptionsResult.Success;
    }
}
