using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace MiniMe.Configuration;

/// <summary>
/// A YAML mapping flattened into configuration keys ("memory:path") with the value of each scalar,
/// and where every mapping key (at any depth, "llm", "llm:prices:0:model") was written.
/// </summary>
public sealed record YamlConfigurationDocument(
    string SourceName,
    Dictionary<string, string?> Values,
    IReadOnlyDictionary<string, YamlPosition> KeyLocations)
{
    /// <summary>Where each scalar value was written ("llm:provider" → the position of "openai").</summary>
    public IReadOnlyDictionary<string, YamlPosition> ValueLocations { get; init; } =
        new Dictionary<string, YamlPosition>(StringComparer.OrdinalIgnoreCase);
}

/// <summary>
/// A line and column in a YAML file (1-based). A class, not a tuple: dictionaries of it share the
/// precompiled code of reference types, where a struct's would be JIT-compiled at every command's start.
/// </summary>
public sealed record YamlPosition(long Line, long Column);

/// <summary>
/// Reads a YAML mapping into flat configuration keys ("memory:path") so it can feed
/// Microsoft.Extensions.Configuration. Errors carry the file, line and column. The text goes through
/// <see cref="SafeYamlLoader"/>: size, nesting and alias expansion are bounded.
/// </summary>
public static class YamlConfigurationReader
{
    public static Dictionary<string, string?> ReadFile(string path) => ReadDocumentFile(path).Values;

    public static Dictionary<string, string?> Read(string yaml, string sourceName) => ReadDocument(yaml, sourceName).Values;

    public static YamlConfigurationDocument ReadDocumentFile(string path)
    {
        string text;
        try
        {
            text = SafeYamlLoader.ReadFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"Cannot read {path}: {e.Message}", e);
        }
        return ReadDocument(text, path);
    }

    public static YamlConfigurationDocument ReadDocument(string yaml, string sourceName)
    {
        var result = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var locations = new Dictionary<string, YamlPosition>(StringComparer.OrdinalIgnoreCase);
        var values = new Dictionary<string, YamlPosition>(StringComparer.OrdinalIgnoreCase);
        var document = new YamlConfigurationDocument(sourceName, result, locations) { ValueLocations = values };
        var stream = new YamlStream();
        try
        {
            SafeYamlLoader.Load(stream, yaml, sourceName);
        }
        catch (YamlException e)
        {
            // End is where the scanner noticed the problem; Start is where the construct began.
            // YamlDotNet blames the enclosing scalar for an indenting tab; point at the tab instead.
            var (line, column) = Describe(e).Contains("tab", StringComparison.OrdinalIgnoreCase) && FirstIndentingTab(yaml) is { } tab
                ? tab
                : (e.End.Line, e.End.Column);
            throw new ConfigException($"{sourceName}:{line}:{column}: invalid YAML: {Describe(e)}", e);
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet's scanner throws this for some truncated constructs (an unclosed flow
            // sequence, for one); the position is then the last event parsed before it gave up.
            var (line, column) = LastGoodPosition(yaml);
            throw new ConfigException($"{sourceName}:{line}:{column}: invalid YAML: unexpected content after this point (an unclosed bracket or quote?)", e);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
            return document;
        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            var node = stream.Documents[0].RootNode;
            throw new ConfigException($"{sourceName}:{node.Start.Line}:{node.Start.Column}: expected a mapping of settings at the top level");
        }
        Flatten(root, prefix: null, result, locations, values);
        return document;
    }

    private static (long Line, long Column)? FirstIndentingTab(string yaml)
    {
        var lines = yaml.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var indent = lines[i].Length - lines[i].TrimStart().Length;
            var tab = lines[i].IndexOf('\t', StringComparison.Ordinal);
            if (tab >= 0 && tab < indent) return (i + 1, tab + 1);
        }
        return null;
    }

    private static (long Line, long Column) LastGoodPosition(string yaml)
    {
        var parser = new Parser(new StringReader(yaml));
        var last = (Line: 1L, Column: 1L);
        try
        {
            while (parser.MoveNext())
                if (parser.Current is { } current) last = (current.End.Line, current.End.Column);
        }
        catch (Exception e) when (e is YamlException or InvalidOperationException)
        {
            // Expected: we parse only to find where the document stops making sense.
        }
        return last;
    }

    private static string Describe(YamlException e)
    {
        var message = e.InnerException?.Message ?? e.Message;
        // YamlDotNet prefixes messages with "(Line: x, Col: y, Idx: z) - (...): "; keep the human part.
        var cut = message.LastIndexOf("): ", StringComparison.Ordinal);
        return cut >= 0 ? message[(cut + 3)..] : message;
    }

    private static void Flatten(YamlNode node, string? prefix, Dictionary<string, string?> into, Dictionary<string, YamlPosition> locations, Dictionary<string, YamlPosition> values)
    {
        switch (node)
        {
            case YamlMappingNode map:
                foreach (var (key, value) in map.Children)
                {
                    var name = key is YamlScalarNode s ? s.Value ?? "" : key.ToString();
                    var path = prefix is null ? name : $"{prefix}:{name}";
                    locations.TryAdd(path, new YamlPosition(key.Start.Line, key.Start.Column));
                    Flatten(value, path, into, locations, values);
                }
                break;
            case YamlSequenceNode seq:
                for (var i = 0; i < seq.Children.Count; i++)
                    Flatten(seq.Children[i], $"{prefix}:{i}", into, locations, values);
                break;
            case YamlScalarNode scalar when prefix is not null:
                into[prefix] = scalar.Value;
                values[prefix] = new YamlPosition(scalar.Start.Line, scalar.Start.Column);
                break;
        }
    }
}
