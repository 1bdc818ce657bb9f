using System.Text.Json;
using System.Text.Json.Nodes;

namespace MiniMe.Tools;

public enum ParameterType
{
    String,
    Integer,
    Boolean,
    StringArray,
}

/// <summary>One argument of a tool: name, JSON type, description, and bounds for integers.</summary>
public sealed record ToolParameter(string Name, ParameterType Type, string Description, bool Required = false, int? Minimum = null, int? Maximum = null);

/// <summary>
/// A tool's arguments, declared once: rendered as a JSON schema (for `minime tool list` and the
/// agents) and used to validate what a proposal passes (unknown names, missing values, wrong types
/// and out-of-range numbers are refused before anything else happens).
/// </summary>
public sealed class ToolSchema
{
    public ToolSchema(params ToolParameter[] parameters)
    {
        Parameters = parameters;
    }

    private ToolSchema(JsonObject external)
    {
        Parameters = [];
        _external = external;
    }

    private readonly JsonObject? _external;

    /// <summary>
    /// The JSON schema another program declared for its tool (an MCP server's inputSchema), kept as given:
    /// shown as it is, and a proposal's arguments are checked for the required names and, when the schema
    /// closes its properties (additionalProperties: false), for unknown ones; the program checks the rest.
    /// </summary>
    public static ToolSchema External(JsonObject schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        return new ToolSchema((JsonObject)schema.DeepClone());
    }

    public IReadOnlyList<ToolParameter> Parameters { get; }

    public JsonObject ToJson()
    {
        if (_external is not null) return (JsonObject)_external.DeepClone();
        var properties = new JsonObject();
        foreach (var p in Parameters)
        {
            var property = new JsonObject { ["type"] = TypeName(p.Type), ["description"] = p.Description };
            if (p.Type == ParameterType.StringArray) property["items"] = new JsonObject { ["type"] = "string" };
            if (p.Minimum is { } min) property["minimum"] = min;
            if (p.Maximum is { } max) property["maximum"] = max;
            properties[p.Name] = property;
        }
        return new JsonObject
        {
            ["type"] = "object",
            ["properties"] = properties,
            ["required"] = new JsonArray([.. Parameters.Where(p => p.Required).Select(p => (JsonNode?)p.Name)]),
            ["additionalProperties"] = false,
        };
    }

    public ToolArguments Validate(string tool, JsonObject? arguments)
    {
        arguments ??= [];
        if (_external is not null) return ValidateExternal(tool, arguments, _external);
        foreach (var (name, _) in arguments)
            if (Parameters.All(p => p.Name != name))
                throw new ToolArgumentException($"{tool}: unknown argument '{name}'; expected {string.Join(", ", Parameters.Select(p => p.Name))}.");
        foreach (var p in Parameters)
        {
            var value = arguments[p.Name];
            if (value is null)
            {
                if (p.Required) throw new ToolArgumentException($"{tool}: argument '{p.Name}' is required ({p.Description}).");
                continue;
            }
            if (!HasType(value, p.Type))
                throw new ToolArgumentException($"{tool}: argument '{p.Name}' must be {Article(p.Type)}, not {value.GetValueKind().ToString().ToLowerInvariant()}.");
            if (p.Type == ParameterType.Integer)
            {
                var n = AsInteger(value)!.Value;
                if ((p.Minimum is { } min && n < min) || (p.Maximum is { } max && n > max))
                    throw new ToolArgumentException($"{tool}: argument '{p.Name}' must be between {p.Minimum?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-inf"} and {p.Maximum?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "inf"} (got {n}).");
            }
        }
        return new ToolArguments(arguments);
    }

    private static ToolArguments ValidateExternal(string tool, JsonObject arguments, JsonObject schema)
    {
        var properties = schema["properties"] as JsonObject;
        if (properties is not null && schema["additionalProperties"] is JsonValue closed && closed.GetValueKind() == JsonValueKind.False)
            foreach (var (name, _) in arguments)
                if (!properties.ContainsKey(name))
                    throw new ToolArgumentException($"{tool}: unknown argument '{name}'; expected {string.Join(", ", properties.Select(p => p.Key))}.");
        if (schema["required"] is JsonArray required)
            foreach (var name in required.OfType<JsonValue>().Select(v => v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null).OfType<string>())
                if (arguments[name] is null)
                    throw new ToolArgumentException($"{tool}: argument '{name}' is required.");
        return new ToolArguments(arguments);
    }

    private static bool HasType(JsonNode value, ParameterType type) => type switch
    {
        ParameterType.String => value.GetValueKind() == JsonValueKind.String,
        ParameterType.Integer => AsInteger(value) is not null,
        ParameterType.Boolean => value.GetValueKind() is JsonValueKind.True or JsonValueKind.False,
        ParameterType.StringArray => value is JsonArray array && array.All(item => item?.GetValueKind() == JsonValueKind.String),
        _ => false,
    };

    /// <summary>The value as a whole number, whatever .NET type backs the node (int from code, JsonElement from parsing).</summary>
    internal static long? AsInteger(JsonNode value) =>
        value.GetValueKind() == JsonValueKind.Number && long.TryParse(value.ToJsonString(), System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : null;

    private static string TypeName(ParameterType type) => type switch
    {
        ParameterType.String => "string",
        ParameterType.Integer => "integer",
        ParameterType.Boolean => "boolean",
        _ => "array",
    };

    private static string Article(ParameterType type) => type switch
    {
        ParameterType.String => "a string",
        ParameterType.Integer => "an integer",
        ParameterType.Boolean => "true or false",
        _ => "an array of strings",
    };
}

/// <summary>Arguments that passed their schema, read by name.</summary>
public sealed class ToolArguments(JsonObject raw)
{
    public JsonObject Raw { get; } = raw;

    public string? String(string name) => Raw[name]?.GetValue<string>();

    public string RequiredString(string name) => String(name) ?? throw new ToolArgumentException($"argument '{name}' is required.");

    public int? Integer(string name) => Raw[name] is { } v && ToolSchema.AsInteger(v) is { } n ? (int)Math.Clamp(n, int.MinValue, int.MaxValue) : null;

    public bool Boolean(string name, bool fallback = false) => Raw[name]?.GetValue<bool>() ?? fallback;

    public IReadOnlyList<string>? Strings(string name) => Raw[name] is JsonArray array ? [.. array.Select(i => i!.GetValue<string>())] : null;
}
