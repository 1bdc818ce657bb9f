using System.Collections;
using System.Reflection;

namespace MiniMe.Configuration;

/// <summary>A configuration key no options class binds, with the closest known spelling when there is one.</summary>
/// <param name="Path">The key's segments as written, up to and including the unknown one.</param>
/// <param name="Suggestion">The segments with the unknown one replaced by the closest known name, or null.</param>
/// <param name="Known">The names that are known where the unknown one was written.</param>
/// <param name="UnderValue">The key goes on below a setting that takes a single value.</param>
public sealed record UnknownSetting(IReadOnlyList<string> Path, IReadOnlyList<string>? Suggestion, IReadOnlyList<string> Known, bool UnderValue = false)
{
    /// <summary>"llm.prices[0].modle"-style display of segments.</summary>
    public static string Display(IReadOnlyList<string> segments)
    {
        var text = new System.Text.StringBuilder();
        foreach (var segment in segments)
        {
            if (segment.Length > 0 && segment.All(char.IsAsciiDigit)) text.Append('[').Append(segment).Append(']');
            else text.Append(text.Length == 0 ? "" : ".").Append(segment);
        }
        return text.ToString();
    }

    /// <summary>"unknown setting 'retreival'; did you mean 'retrieval'?"</summary>
    /// <param name="suggestion">How to name <see cref="Suggestion"/> (an environment variable, say); default its dotted path in quotes.</param>
    public string Describe(string? suggestion = null)
    {
        var parent = Display([.. Path.Take(Path.Count - 1)]);
        var hint = UnderValue ? $"'{parent}' takes a single value, not settings under it"
            : Suggestion is not null ? $"did you mean {suggestion ?? $"'{Display(Suggestion)}'"}?"
            : $"known {(Path.Count == 1 ? "settings" : $"in {parent}")}: {string.Join(", ", Known)}";
        return $"unknown setting '{Display(Path)}'; {hint}";
    }
}

/// <summary>
/// The configuration keys that options classes bind. <see cref="ConfigurationLoader.Keys"/> (config.yaml's
/// own sections) is a written-out table (SettingKeys.Table.cs), so a command's start-up walks no types;
/// <see cref="For{TRoot}"/> and <see cref="WithSection{TSection}"/> read a type by reflection, each section
/// only when a key under it is first looked at. Either way: a class is a section of its
/// public properties; strings, numbers, booleans, enums and the like are single values; a list is a
/// list of its element (objects or values); a dictionary has any keys with its value type. Names match
/// case-insensitively, as Microsoft.Extensions.Configuration binds them. Used to refuse typos
/// ("retreival:", MINIME_LLM__PROVDER) that binding would silently ignore.
/// </summary>
public sealed partial class SettingKeys
{
    private enum Kind { Section, Value, List, Map }

    private sealed class Node(Kind kind, Type? valueType = null)
    {
        public Kind Kind { get; } = kind;
        /// <summary>For a single value: the type it binds to (nullable unwrapped, <see cref="Nullable"/> kept in <see cref="Optional"/>).</summary>
        public Type? ValueType { get; } = valueType;
        public bool Optional { get; init; }
        /// <summary>A section's settings by name (any case); each resolved when first looked at (<see cref="Build"/> reads a type's properties then).</summary>
        public Dictionary<string, (string Name, Lazy<Node> Node)> Children { get; } = new(StringComparer.OrdinalIgnoreCase);
        public Node? Element { get; set; }
    }

    private readonly Node _root;

    private SettingKeys(Node root) => _root = root;

    /// <summary>The keys of <typeparamref name="TRoot"/> as the whole configuration (config.yaml's top level).</summary>
    public static SettingKeys For<TRoot>() => new(Build(typeof(TRoot), depth: 0));

    private static (string Name, Lazy<Node> Node) Lazily(string name, Type type, int depth) => (name, new Lazy<Node>(() => Build(type, depth)));

    /// <summary>A copy that also knows <typeparamref name="TSection"/> under the top-level <paramref name="name"/> (e.g. server).</summary>
    public SettingKeys WithSection<TSection>(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var root = new Node(Kind.Section);
        foreach (var (key, child) in _root.Children) root.Children[key] = child;
        root.Children[name] = Lazily(name, typeof(TSection), depth: 0);
        return new SettingKeys(root);
    }

    /// <summary>True when <paramref name="name"/> (any case) is a top-level section.</summary>
    public bool IsSection(string name) => _root.Children.TryGetValue(name, out var child) && child.Node.Value.Kind != Kind.Value;

    /// <summary>Null when every segment of the key ("llm:provider", ':'-separated) is known, else the first unknown one.</summary>
    public UnknownSetting? Check(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var segments = key.Split(':');
        var node = _root;
        for (var i = 0; i < segments.Length; i++)
        {
            var segment = segments[i];
            var path = segments[..(i + 1)];
            switch (node.Kind)
            {
                case Kind.Section:
                    if (node.Children.TryGetValue(segment, out var child))
                    {
                        node = child.Node.Value;
                        break;
                    }
                    var known = node.Children.Values.Select(c => c.Name).ToList();
                    var suggestion = Closest(segment, known);
                    return new UnknownSetting(path, suggestion is null ? null : [.. segments[..i], suggestion], known);
                case Kind.List or Kind.Map:
                    node = node.Element!;
                    break;
                default:
                    return new UnknownSetting(path, null, [], UnderValue: true);
            }
        }
        return null;
    }

    /// <summary>
    /// The setting a known key ("LLM:Provider", ':'-separated, any case) names when it takes a single
    /// value: its display path with the declared spelling ("llm.provider", "llm.prices[0].model"), the
    /// type it binds to, and whether it may be left empty (a nullable or reference type). Null for
    /// unknown keys and for sections, lists and maps themselves.
    /// </summary>
    public (string Display, Type Type, bool Optional)? Setting(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var segments = key.Split(':');
        var names = new List<string>(segments.Length);
        var node = _root;
        foreach (var segment in segments)
        {
            switch (node.Kind)
            {
                case Kind.Section when node.Children.TryGetValue(segment, out var child):
                    names.Add(child.Name);
                    node = child.Node.Value;
                    break;
                case Kind.List or Kind.Map:
                    names.Add(segment);
                    node = node.Element!;
                    break;
                default:
                    return null;
            }
        }
        return node is { Kind: Kind.Value, ValueType: { } type } ? (UnknownSetting.Display(names), type, node.Optional) : null;
    }

    /// <summary>
    /// Every unknown key of a YAML document, as "file:line:column: unknown setting ..." lines in file order;
    /// a misspelt section is reported once, not once per setting under it.
    /// </summary>
    public IReadOnlyList<string> CheckDocument(YamlConfigurationDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var reported = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var problems = new List<Located>();
        // Mapping keys, and the values' own keys: a list written where a single value goes (store: [sqlite]) has no mapping key of its own.
        // Plain loops over reference types: no LINQ over tuples to JIT-compile at start-up.
        foreach (var (key, at) in document.KeyLocations) CheckKey(key, at);
        foreach (var key in document.Values.Keys)
            if (!document.KeyLocations.ContainsKey(key))
                CheckKey(key, document.ValueLocations.TryGetValue(key, out var v) ? v : Nowhere);
        if (problems.Count == 0) return [];
        return [.. problems.OrderBy(p => p.At.Line).ThenBy(p => p.At.Column).Select(p => p.Message)];

        void CheckKey(string key, YamlPosition at)
        {
            if (Check(key) is not { } unknown) return;
            var unknownKey = string.Join(':', unknown.Path);
            if (!reported.Add(unknownKey)) return;
            var where = document.KeyLocations.TryGetValue(unknownKey, out var start) ? start : at;
            problems.Add(new Located(where, $"{document.SourceName}:{where.Line}:{where.Column}: {unknown.Describe()}"));
        }
    }

    private static readonly YamlPosition Nowhere = new(0, 0);

    private sealed record Located(YamlPosition At, string Message);

    /// <summary>
    /// Environment variables with <paramref name="prefix"/> that name a known section but an unknown
    /// setting (MINIME_LLM__PROVDER). Variables that are not settings at all (MINIME_HOME, anything
    /// without "__", or whose first part is not a section) are left alone.
    /// </summary>
    public IReadOnlyList<string> CheckEnvironment(IEnumerable<KeyValuePair<string, string?>> environment, string prefix)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        var problems = new List<string>();
        // The prefixed names, sorted (no LINQ over key-value structs to JIT-compile at start-up).
        var variables = new List<string>();
        foreach (var (name, _) in environment)
            if (name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) variables.Add(name);
        variables.Sort(StringComparer.Ordinal);
        foreach (var variable in variables)
        {
            var rest = variable[prefix.Length..];
            var cut = rest.IndexOf("__", StringComparison.Ordinal);
            if (cut <= 0 || !IsSection(rest[..cut])) continue;
            if (Check(rest.Replace("__", ":", StringComparison.Ordinal)) is not { } unknown) continue;
            var lowered = unknown with { Path = [.. unknown.Path.Select(p => p.ToLowerInvariant())] };
            var message = $"environment variable {variable}: " + lowered.Describe(
                unknown.Suggestion is { } suggestion ? prefix + string.Join("__", suggestion).ToUpperInvariant() : null);
            problems.Add(message);
        }
        return problems;
    }

    /// <summary>The closest of <paramref name="candidates"/> by edit distance (adjacent swaps count once), if close enough to be a typo.</summary>
    public static string? Closest(string name, IEnumerable<string> candidates)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(candidates);
        // A third of the letters may be wrong; names of one or two letters only match exactly.
        var limit = name.Length < 3 ? 0 : Math.Max(1, name.Length / 3);
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var distance = Distance(name.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance <= limit && distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }
        return best;
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and adjacent transpositions.</summary>
    internal static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }

    private static Node Build(Type type, int depth)
    {
        if (depth > 16) throw new InvalidOperationException($"{type.Name}: options nest more than 16 levels (a cycle?)");
        var underlying = Nullable.GetUnderlyingType(type);
        type = underlying ?? type;
        if (IsValue(type)) return new Node(Kind.Value, type) { Optional = underlying is not null || !type.IsValueType };
        if (DictionaryValueType(type) is { } valueType) return new Node(Kind.Map) { Element = Build(valueType, depth + 1) };
        if (ElementType(type) is { } elementType) return new Node(Kind.List) { Element = Build(elementType, depth + 1) };
        var section = new Node(Kind.Section);
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0 || property.GetMethod is not { IsPublic: true }) continue;
            var name = char.ToLowerInvariant(property.Name[0]) + property.Name[1..];
            section.Children[name] = Lazily(name, property.PropertyType, depth + 1);
        }
        return section;
    }

    private static bool IsValue(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(DateTime)
        || type == typeof(DateTimeOffset) || type == typeof(TimeSpan) || type == typeof(Guid) || type == typeof(Uri)
        || type == typeof(DateOnly) || type == typeof(TimeOnly);

    private static Type? DictionaryValueType(Type type) =>
        Interfaces(type).FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IDictionary<,>))?.GetGenericArguments()[1]
        ?? Interfaces(type).FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IReadOnlyDictionary<,>))?.GetGenericArguments()[1];

    private static Type? ElementType(Type type) =>
        type.IsArray ? type.GetElementType()
        : typeof(IEnumerable).IsAssignableFrom(type)
            ? Interfaces(type).FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))?.GetGenericArguments()[0]
            : null;

    private static IEnumerable<Type> Interfaces(Type type) => type.IsInterface ? [type, .. type.GetInterfaces()] : type.GetInterfaces();
}
