using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace MiniMe.Configuration;

/// <summary>
/// What MiniMe's YAML file readers share (workflow manifests, eval task suites, sharing contracts): every
/// problem collected as one "source:line:col: message" line instead of stopping at the first, and unknown
/// fields named with the closest known one.
/// </summary>
internal abstract class YamlMappingReader(string source, List<string> problems)
{
    /// <summary>The file (or builtin:NAME) being read, for the problems and the result.</summary>
    protected string Source => source;

    protected void Problem(YamlNode node, string message) =>
        problems.Add($"{source}:{node.Start.Line.ToString(CultureInfo.InvariantCulture)}:{node.Start.Column.ToString(CultureInfo.InvariantCulture)}: {message}");

    /// <summary>A problem at a place already worked out ("12:5").</summary>
    protected void Problem(string place, string message) => problems.Add($"{source}:{place}: {message}");

    protected static YamlNode? Get(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    protected void UnknownFields(YamlMappingNode map, string where, IReadOnlyCollection<string> known)
    {
        foreach (var (key, _) in map.Children)
        {
            var name = (key as YamlScalarNode)?.Value ?? "";
            if (known.Contains(name)) continue;
            var suggestion = SettingKeys.Closest(name, known);
            Problem(key, $"unknown field '{name}' in {where}" + (suggestion is null ? $"; known fields: {string.Join(", ", known)}" : $"; did you mean '{suggestion}'?"));
        }
    }

    /// <summary>A string field: null when absent (a problem when <paramref name="required"/>), a problem when it is not a string or, required, blank.</summary>
    protected string? Text(YamlMappingNode map, string key, string where, bool required = false)
    {
        var node = Get(map, key);
        if (node is null)
        {
            if (required) Problem(map, $"{where} needs '{key}'");
            return null;
        }
        if (node is YamlScalarNode { Value: { } value } && (!required || value.Trim().Length > 0)) return value;
        Problem(node, $"{where}: '{key}' must be {(required ? "a non-empty" : "a")} string");
        return null;
    }
}
