using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MiniMe.Agents.Json;

/// <summary>
/// Validates JSON against the subset of JSON Schema the agent schemas use: type, properties,
/// required, additionalProperties (false), items, enum, minLength, minItems, maxItems, minimum,
/// maximum. Errors name the JSON path ("$.files[0].path: required") so a model can fix them.
/// </summary>
public static class JsonSchemaValidator
{
    public static IReadOnlyList<string> Validate(JsonNode? value, JsonObject schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var errors = new List<string>();
        Check(value, schema, "$", errors);
        return errors;
    }

    private static void Check(JsonNode? value, JsonObject schema, string path, List<string> errors)
    {
        if (schema["type"] is { } typeNode)
        {
            var allowed = typeNode is JsonArray types ? types.Select(t => t!.GetValue<string>()).ToArray() : [typeNode.GetValue<string>()];
            var actual = TypeOf(value);
            if (!allowed.Any(t => t == actual || (t == "number" && actual == "integer")))
            {
                errors.Add($"{path}: expected {string.Join(" or ", allowed)}, got {actual}");
                return;
            }
        }

        if (schema["enum"] is JsonArray options && !options.Any(o => JsonNode.DeepEquals(o, value)))
            errors.Add($"{path}: must be one of {string.Join(", ", options.Select(o => o?.ToJsonString() ?? "null"))}");

        switch (value)
        {
            case JsonObject obj:
                if (schema["required"] is JsonArray required)
                    foreach (var name in required.Select(r => r!.GetValue<string>()))
                        if (!obj.ContainsKey(name)) errors.Add($"{path}.{name}: required");
                var properties = schema["properties"] as JsonObject;
                foreach (var (name, child) in obj)
                {
                    if (properties?[name] is JsonObject childSchema) Check(child, childSchema, $"{path}.{name}", errors);
                    else if (schema["additionalProperties"] is JsonValue extra && extra.GetValueKind() == JsonValueKind.False)
                        errors.Add($"{path}.{name}: not allowed (allowed: {string.Join(", ", properties?.Select(p => p.Key) ?? [])})");
                }
                break;
            case JsonArray array:
                if (Int(schema, "minItems") is { } minItems && array.Count < minItems) errors.Add($"{path}: needs at least {minItems} item(s)");
                if (Int(schema, "maxItems") is { } maxItems && array.Count > maxItems) errors.Add($"{path}: allows at most {maxItems} item(s)");
                if (schema["items"] is JsonObject itemSchema)
                    for (var i = 0; i < array.Count; i++) Check(array[i], itemSchema, $"{path}[{i}]", errors);
                break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                if (Int(schema, "minLength") is { } minLength && v.GetValue<string>().Length < minLength)
                    errors.Add(minLength == 1 ? $"{path}: must not be empty" : $"{path}: needs at least {minLength} characters");
                break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.Number:
                var number = v.GetValue<double>();
                if (Double(schema, "minimum") is { } min && number < min) errors.Add($"{path}: must be >= {min.ToString(CultureInfo.InvariantCulture)}");
                if (Double(schema, "maximum") is { } max && number > max) errors.Add($"{path}: must be <= {max.ToString(CultureInfo.InvariantCulture)}");
                break;
        }
    }

    private static string TypeOf(JsonNode? value) => value switch
    {
        null => "null",
        JsonObject => "object",
        JsonArray => "array",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.True or JsonValueKind.False => "boolean",
            JsonValueKind.Number => IsInteger(v) ? "integer" : "number",
            _ => "null",
        },
        _ => "unknown",
    };

    private static bool IsInteger(JsonValue v) => v.GetValue<double>() is var d && Math.Abs(d % 1) < double.Epsilon;

    private static int? Int(JsonObject schema, string name) => schema[name] is JsonValue v ? v.GetValue<int>() : null;

    private static double? Double(JsonObject schema, string name) => schema[name] is JsonValue v ? v.GetValue<double>() : null;
}
