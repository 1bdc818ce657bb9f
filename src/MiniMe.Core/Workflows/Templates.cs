using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MiniMe.Tracing;

namespace MiniMe.Workflows;

/// <summary>
/// <c>{{inputs.x}}</c> and <c>{{nodes.&lt;id&gt;.output.&lt;path&gt;}}</c> in prompts and tool arguments. A string that is
/// exactly one reference takes the referenced value as it is (a number stays a number, a list a list);
/// inside longer text a value is written as text (objects and lists as JSON).
/// </summary>
public static partial class Templates
{
    [GeneratedRegex(@"\{\{\s*([^{}]*?)\s*\}\}")]
    private static partial Regex Reference();

    /// <summary>Each reference's path text and its 0-based offset in <paramref name="text"/>.</summary>
    public static IEnumerable<(string Path, int Offset)> References(string? text) =>
        text is null ? [] : Reference().Matches(text).Select(m => (m.Groups[1].Value, m.Index));

    /// <summary>Every string leaf of a JSON value (tool arguments).</summary>
    public static IEnumerable<(string Field, string Text)> Strings(JsonNode? node, string at = "") => node switch
    {
        JsonObject o => o.SelectMany(p => Strings(p.Value, at.Length == 0 ? p.Key : $"{at}.{p.Key}")),
        JsonArray a => a.SelectMany((v, i) => Strings(v, $"{at}[{i}]")),
        JsonValue v when v.TryGetValue<string>(out var s) => [(at, s)],
        _ => [],
    };

    /// <summary>The reference alone when <paramref name="text"/> is exactly one reference.</summary>
    public static string? Whole(string text)
    {
        var m = Reference().Match(text);
        return m.Success && m.Index == 0 && m.Length == text.Length ? m.Groups[1].Value : null;
    }

    public static string Render(string text, Func<IReadOnlyList<string>, JsonNode?> resolve) =>
        Reference().Replace(text, m => AsText(resolve(m.Groups[1].Value.Split('.'))));

    public static JsonNode? RenderValue(JsonNode? node, Func<IReadOnlyList<string>, JsonNode?> resolve) => node switch
    {
        JsonObject o => new JsonObject(o.Select(p => KeyValuePair.Create(p.Key, RenderValue(p.Value, resolve)))),
        JsonArray a => new JsonArray([.. a.Select(v => RenderValue(v, resolve))]),
        JsonValue v when v.TryGetValue<string>(out var s) => Whole(s) is { } path ? resolve(path.Split('.'))?.DeepClone() : JsonValue.Create(Render(s, resolve)),
        _ => node?.DeepClone(),
    };

    public static string AsText(JsonNode? value) => value switch
    {
        null => "",
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => value.ToJsonString(JsonFormats.Line),
    };
}
