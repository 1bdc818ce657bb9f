using System.Text.Json;
using System.Text.Json.Nodes;

namespace MiniMe.Agents;

/// <summary>
/// A tool as offered to an agent through function calling: its name, what it does, the JSON schema of its arguments,
/// and whether it only reads. A tool that does not only read is offered only when <paramref name="Proposes"/>: calling
/// it runs nothing, it becomes an action proposal of the run, decided at the approval gate like the Integrator's.
/// </summary>
public sealed record AgentToolDefinition(string Name, string Description, JsonElement ParametersSchema, bool ReadOnly, bool Proposes = false);

/// <summary>A toolbox some of whose tools could not be offered (an MCP server that did not answer, or was not started): one line each, traced at the start of a team run.</summary>
public interface IAgentToolboxWarnings
{
    IReadOnlyList<string> Warnings { get; }
}

/// <summary>A tool call the toolbox refused (path confinement, secrets, the allowlist, bad arguments) or that failed; the message is one line, for the model.</summary>
public sealed class AgentToolException(string message) : Exception(message);

/// <summary>
/// What agents may look at while they think, and how the team checks the Builder's patches against the
/// repository as it is now. The implementation (the workspace's tools, <c>MiniMe.Tools.AgentTools</c>)
/// offers only read-only tools and applies the same allowlist, path confinement and secrets refusal as
/// the approval gate; side-effecting tools are never offered and go only through proposals.
/// </summary>
public interface IAgentToolbox
{
    /// <summary>The tools an agent may call; every one is read-only.</summary>
    IReadOnlyList<AgentToolDefinition> Tools { get; }

    /// <summary>Runs a read-only tool and returns its output (secrets masked); throws <see cref="AgentToolException"/> with the reason it was refused or failed.</summary>
    Task<JsonNode> CallAsync(string tool, JsonObject arguments, CancellationToken cancellationToken);

    /// <summary>The current text of a file under the tools root, or null when it does not exist, is refused (secrets, excluded) or is not text.</summary>
    Task<string?> ReadCurrentAsync(string path, CancellationToken cancellationToken);

    /// <summary>Why the unified diff does not apply to the current text of its file(s) (the hunk and line), or null when it applies.</summary>
    Task<string?> CheckPatchAsync(string path, string diff, CancellationToken cancellationToken);
}
