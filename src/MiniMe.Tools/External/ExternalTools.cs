using System.Text.Json.Nodes;
using MiniMe.Tools.Trust;

namespace MiniMe.Tools.External;

/// <summary>
/// A tool another program offers (an MCP server of config.yaml mcp.servers): <see cref="Name"/> is what agents and
/// proposals call it (mcp__{server}__{tool}); <see cref="ReadOnly"/> is the user's word (the server's readOnly: true),
/// never the server's own claim.
/// </summary>
public sealed record ExternalTool(string Name, string Server, string Tool, string Description, JsonObject InputSchema, bool ReadOnly);

/// <summary>What the external tools are right now, and one line for each server that could not be reached or was not started.</summary>
public sealed record ExternalToolList(IReadOnlyList<ExternalTool> Tools, IReadOnlyList<string> Warnings)
{
    public static ExternalToolList Empty { get; } = new([], []);
}

/// <summary>
/// Tools from outside the workspace's six built-in ones. Listing connects lazily (a stdio server is started on first
/// need, only in a trusted workspace) and never throws for a server that is down: it becomes a warning. Calling throws
/// <see cref="ToolFailedException"/> with a one-line reason.
/// </summary>
public interface IExternalToolSource
{
    /// <summary>True when any external server is configured (listing may then start or reach one).</summary>
    bool Configured { get; }

    Task<ExternalToolList> ListAsync(TrustStatus trust, CancellationToken cancellationToken);

    /// <summary>Calls the tool with the arguments and returns its result as JSON (its structured content, or its text as {"text": ...}).</summary>
    Task<JsonObject> CallAsync(ExternalTool tool, JsonObject arguments, CancellationToken cancellationToken);
}
