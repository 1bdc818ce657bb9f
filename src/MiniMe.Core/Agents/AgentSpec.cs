using System.Text.Json;
using System.Text.Json.Nodes;
using MiniMe.Agents.Json;

namespace MiniMe.Agents;

/// <summary>
/// What makes an agent: its name, its role instructions, the JSON schema its answer must match,
/// checks the schema cannot express, and how to read a valid answer into <typeparamref name="T"/>.
/// </summary>
public sealed class AgentSpec<T>
{
    internal static readonly JsonSerializerOptions ReadOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private readonly Func<JsonObject, IEnumerable<string>> _check;
    private readonly Func<JsonObject, T> _read;

    public AgentSpec(string name, string instructions, string schemaJson, Func<JsonObject, IEnumerable<string>>? check = null, Func<JsonObject, T>? read = null)
    {
        Name = name;
        Instructions = instructions;
        Schema = JsonNode.Parse(schemaJson)!.AsObject();
        SchemaText = Schema.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
        _check = check ?? (_ => []);
        _read = read ?? (o => o.Deserialize<T>(ReadOptions) ?? throw new JsonException("null"));
    }

    public string Name { get; }
    public string Instructions { get; }
    public JsonObject Schema { get; }
    public string SchemaText { get; }

    /// <summary>Whether the agent is offered the read-only tools while it thinks (when the team has them and agents.tools is on).</summary>
    public bool UsesTools { get; init; } = true;

    /// <summary>Schema errors first; the semantic checks only run on schema-valid output.</summary>
    public IReadOnlyList<string> Validate(JsonObject value)
    {
        var errors = JsonSchemaValidator.Validate(value, Schema);
        return errors.Count > 0 ? errors : [.. _check(value)];
    }

    public T Read(JsonObject value) => _read(value);
}
