using System.Text.Json.Nodes;
using MiniMe.Agents;

namespace MiniMe.Workflows;

/// <summary>
/// What each node outputs, as a JSON schema: agents their answer's schema (the critic node adds the static checks and
/// <c>model_review</c>), run_command {exit_code, stdout, stderr, succeeded, summary}, other tools {succeeded, summary, output},
/// decision {result}, merge {items, text, first}, human {approved}. Templates and conditions are checked against them.
/// </summary>
public static class OutputSchemas
{
    public static IReadOnlyList<string> Agents { get; } = AgentNames.All;

    /// <summary>Tools a tool node may name (every side-effecting one goes through the approval gate).</summary>
    public static IReadOnlyList<string> Tools { get; } = ["run_command", "write_file", "apply_patch", "read_file", "search_repo", "retrieve_memory"];

    private static JsonObject Object(params (string Name, string Type)[] properties) => new()
    {
        ["type"] = "object",
        ["additionalProperties"] = false,
        ["properties"] = new JsonObject(properties.Select(p => KeyValuePair.Create(p.Name, (JsonNode?)new JsonObject { ["type"] = p.Type }))),
    };

    public static JsonObject? For(WorkflowNode node) => node.Type switch
    {
        NodeTypes.Agent => node.Agent switch
        {
            AgentNames.Architect => ArchitectAgent.Spec.Schema,
            AgentNames.Builder => BuilderAgent.Spec.Schema,
            AgentNames.Integrator => IntegratorAgent.Spec.Schema,
            AgentNames.Critic => Critic,
            _ => null,
        },
        NodeTypes.Tool when node.Tool == "run_command" => Object(("exit_code", "number"), ("stdout", "string"), ("stderr", "string"), ("succeeded", "boolean"), ("summary", "string")),
        NodeTypes.Tool => Object(("succeeded", "boolean"), ("summary", "string"), ("output", "object")),
        NodeTypes.Decision => Object(("result", "boolean")),
        NodeTypes.Merge => Object(("items", "array"), ("text", "string"), ("first", "any")),
        NodeTypes.Human => Object(("approved", "boolean")),
        NodeTypes.Panel => PanelNode.OutputSchema,
        _ => null,
    };

    private static readonly JsonObject Critic = BuildCritic();

    private static JsonObject BuildCritic()
    {
        var schema = CriticAgent.Spec.Schema.DeepClone().AsObject();
        schema["properties"]!["model_review"] = new JsonObject { ["type"] = "boolean" };
        var violation = schema["properties"]!["violations"]!["items"]!["properties"]!.AsObject();
        violation["source"] = new JsonObject { ["type"] = "string" };
        violation["blocking"] = new JsonObject { ["type"] = "boolean" };
        return schema;
    }

    /// <summary>The type at <paramref name="path"/> under <paramref name="schema"/> ("any" when the schema does not say), or an error.</summary>
    public static (string? Type, string? Error) TypeAt(JsonObject? schema, IReadOnlyList<string> path)
    {
        var current = schema;
        foreach (var segment in path)
        {
            if (current is null) return ("any", null);
            var type = TypeOf(current);
            if (type == "array")
            {
                if (!int.TryParse(segment, out _)) return (null, $"'{segment}' indexes a list; use a number");
                current = current["items"] as JsonObject;
                continue;
            }
            if (type is not ("object" or "any")) return (null, $"'{segment}' reads into a {type}");
            if (current["properties"] is JsonObject props && props[segment] is JsonObject next)
            {
                current = next;
                continue;
            }
            if (current["additionalProperties"] is JsonValue v && v.TryGetValue<bool>(out var extra) && !extra)
            {
                var names = (current["properties"] as JsonObject)?.Select(p => p.Key).ToList() ?? [];
                var suggestion = MiniMe.Configuration.SettingKeys.Closest(segment, names);
                return (null, $"has no field '{segment}'" + (suggestion is null ? $" (fields: {string.Join(", ", names)})" : $"; did you mean '{suggestion}'?"));
            }
            current = null;
        }
        return (current is null ? "any" : TypeOf(current), null);
    }

    private static string TypeOf(JsonObject schema) => schema["type"] switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonArray a => a.Select(t => t?.GetValue<string>()).FirstOrDefault(t => t is not null and not "null") ?? "any",
        _ => "any",
    };
}
