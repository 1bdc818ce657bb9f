using System.Globalization;
using MiniMe.Configuration;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace MiniMe.Identity;

/// <summary>
/// Reads identity.yaml (persona and principles) through <see cref="SafeYamlLoader"/>; malformed files fail
/// with file:line:column and say what was expected in words (an unknown key with a did-you-mean, text
/// where a list was written, a magnitude that is not a number), never a .NET type name.
/// </summary>
public static class IdentityLoader
{
    public static IdentityDocument Load(string path)
    {
        if (!File.Exists(path)) return new IdentityDocument();
        string yaml;
        try
        {
            yaml = SafeYamlLoader.ReadFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"Cannot read {path}: {e.Message}", e);
        }
        return Parse(yaml, path);
    }

    public static IdentityDocument Parse(string yaml, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentNullException.ThrowIfNull(sourceName);
        var stream = new YamlStream();
        try
        {
            SafeYamlLoader.Load(stream, yaml, sourceName);
        }
        catch (YamlException e)
        {
            var reason = e.InnerException?.Message ?? e.Message;
            var cut = reason.LastIndexOf("): ", StringComparison.Ordinal);
            throw new ConfigException($"{sourceName}:{e.Start.Line}:{e.Start.Column}: invalid identity: {(cut >= 0 ? reason[(cut + 3)..] : reason)}", e);
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet's scanner throws this for some truncated constructs (an unclosed flow sequence).
            throw new ConfigException($"{sourceName}: invalid identity: the YAML ends inside a construct (an unclosed bracket or quote?)", e);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
            return new IdentityDocument();
        var reader = new Reader(sourceName);
        var root = reader.Mapping(stream.Documents[0].RootNode, "the top level");
        Persona? persona = null;
        var principles = new List<Principle>();
        foreach (var (key, value) in reader.Fields(root, "the top level", "persona", "principles"))
        {
            if (key == "persona") persona = ReadPersona(reader, value);
            else principles = ReadPrinciples(reader, value);
        }
        return new IdentityDocument { Persona = persona ?? new Persona(), Principles = principles };
    }

    private static Persona ReadPersona(Reader reader, YamlNode node)
    {
        var defaults = new Persona();
        if (Reader.IsEmpty(node)) return defaults;
        var map = reader.Mapping(node, "persona");
        string? voice = null, tone = null;
        List<string> styleRules = [], values = [];
        foreach (var (key, value) in reader.Fields(map, "persona", "voice", "tone", "styleRules", "values"))
        {
            switch (key)
            {
                case "voice": voice = reader.Text(value, "persona.voice"); break;
                case "tone": tone = reader.Text(value, "persona.tone"); break;
                case "styleRules": styleRules = reader.Texts(value, "persona.styleRules"); break;
                default: values = reader.Texts(value, "persona.values"); break;
            }
        }
        return new Persona { Voice = voice ?? defaults.Voice, Tone = tone ?? defaults.Tone, StyleRules = styleRules, Values = values };
    }

    private static List<Principle> ReadPrinciples(Reader reader, YamlNode node)
    {
        if (Reader.IsEmpty(node)) return [];
        if (node is not YamlSequenceNode list) throw reader.Error(node, "principles must be a list of principles (each with name, description, magnitude, scope)");
        var principles = new List<Principle>();
        for (var i = 0; i < list.Children.Count; i++)
        {
            var item = list.Children[i];
            var what = $"principle #{i + 1}";
            var map = reader.Mapping(item, what);
            string? name = null, description = null, target = null;
            double? magnitude = null;
            PrincipleScope? scope = null;
            List<string> tags = [];
            foreach (var (key, value) in reader.Fields(map, what, "name", "description", "magnitude", "scope", "target", "tags"))
            {
                switch (key)
                {
                    case "name": name = reader.Text(value, $"{what}: name"); break;
                    case "description": description = reader.Text(value, $"{what}: description"); break;
                    case "magnitude": magnitude = reader.Number(value, $"{what}: magnitude", "a number from 0 to 1"); break;
                    case "scope": scope = reader.Scope(value, $"{what}: scope"); break;
                    case "target": target = reader.Text(value, $"{what}: target"); break;
                    default: tags = reader.Texts(value, $"{what}: tags"); break;
                }
            }
            if (string.IsNullOrWhiteSpace(name))
                throw new ConfigException($"{reader.Source}: principle #{i + 1} has no name");
            if (magnitude is < 0 or > 1)
                throw new ConfigException($"{reader.Source}: principle '{name}' has magnitude {magnitude.Value.ToString(CultureInfo.InvariantCulture)}; use 0 to 1");
            principles.Add(new Principle
            {
                Name = name.Trim(),
                Description = description?.Trim() ?? "",
                Magnitude = magnitude ?? 0.5,
                Scope = scope ?? PrincipleScope.Global,
                Target = target,
                Tags = tags,
            });
        }
        return principles;
    }

    /// <summary>Reads nodes of one file, every error with file:line:column and in words (never a .NET type).</summary>
    private sealed class Reader(string source)
    {
        public string Source { get; } = source;

        public ConfigException Error(YamlNode node, string message) => new($"{Source}:{node.Start.Line}:{node.Start.Column}: {message}");

        /// <summary>A plain empty value, ~ or null: the setting is left out.</summary>
        public static bool IsEmpty(YamlNode node) => node is YamlScalarNode { Value: null or "" or "~" or "null" or "Null" or "NULL", Style: ScalarStyle.Plain };

        public YamlMappingNode Mapping(YamlNode node, string what) =>
            node as YamlMappingNode ?? throw Error(node, $"{what} must be a mapping of settings (key: value)");

        /// <summary>The entries of <paramref name="map"/>, each key one of <paramref name="known"/> (any case; returned as written there).</summary>
        public IEnumerable<(string Key, YamlNode Value)> Fields(YamlMappingNode map, string what, params string[] known)
        {
            foreach (var (keyNode, value) in map.Children)
            {
                var key = keyNode is YamlScalarNode { Value: { } k } ? k : throw Error(keyNode, $"{what}: expected a plain key");
                var match = known.FirstOrDefault(n => string.Equals(n, key, StringComparison.OrdinalIgnoreCase));
                if (match is null)
                {
                    var suggestion = SettingKeys.Closest(key, known);
                    throw Error(keyNode, $"unknown key '{key}' in {what}; {(suggestion is null ? $"expected {string.Join(", ", known)}" : $"did you mean '{suggestion}'?")}");
                }
                yield return (match, value);
            }
        }

        public string? Text(YamlNode node, string what) => node switch
        {
            _ when IsEmpty(node) => null,
            YamlScalarNode s => s.Value,
            _ => throw Error(node, $"{what} must be text, not a {Shape(node)}"),
        };

        public List<string> Texts(YamlNode node, string what)
        {
            if (IsEmpty(node)) return [];
            if (node is not YamlSequenceNode list) throw Error(node, $"{what} must be a list of text ([a, b] or one '- item' per line)");
            return [.. list.Children.Select(c => c is YamlScalarNode { Value: { } v } ? v : throw Error(c, $"{what}: each item must be text, not a {Shape(c)}"))];
        }

        public double? Number(YamlNode node, string what, string expected)
        {
            if (IsEmpty(node)) return null;
            if (node is YamlScalarNode { Value: { } text } &&
                double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value))
                return value;
            throw Error(node, $"{what} must be {expected}, not {Describe(node)}");
        }

        public PrincipleScope? Scope(YamlNode node, string what)
        {
            if (IsEmpty(node)) return null;
            var names = SettingValues.Names(typeof(PrincipleScope));
            if (node is YamlScalarNode { Value: { } text } && names.Contains(text.Trim().ToLowerInvariant()))
                return Enum.Parse<PrincipleScope>(text.Trim(), ignoreCase: true);
            throw Error(node, $"{what}: {(node is YamlScalarNode { Value: { } v } ? SettingValues.NotOneOf(v, names) : $"must be one of {string.Join(", ", names)}, not a {Shape(node)}")}");
        }

        private static string Describe(YamlNode node) => node is YamlScalarNode { Value: { } v } ? $"'{v}'" : $"a {Shape(node)}";

        private static string Shape(YamlNode node) => node switch
        {
            YamlSequenceNode => "list",
            YamlMappingNode => "mapping",
            _ => "value",
        };
    }
}
