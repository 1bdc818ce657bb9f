namespace MiniMe.Security;

/// <summary>
/// Many globs asked at once, answered without trying each: the secret and code-file lists are asked
/// about every file the sandbox and the audit walk (tens of thousands per command), and ~100 regular
/// expressions per file cost more than the walk. Most patterns are of a few shapes that a lookup answers
/// exactly — <c>**/NAME</c> (a file name), <c>**/*.EXT</c> (an extension), <c>**/PREFIX*</c>, <c>**/DIR/**</c>
/// — and the rest fall back to their <see cref="Glob"/>. The answer is the same as asking each glob.
/// </summary>
public sealed class GlobSet
{
    private readonly Dictionary<string, string> _names;
    private readonly Dictionary<string, string> _extensions;
    private readonly List<(string Prefix, string Pattern)> _prefixes = [];
    private readonly Dictionary<string, string> _directories;
    private readonly Dictionary<string, string> _parentAndName;
    private readonly List<Glob> _others = [];
    private readonly StringComparison _comparison;

    public GlobSet(IEnumerable<string> patterns, bool ignoreCase)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        var comparer = ignoreCase ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;
        _comparison = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        _names = new Dictionary<string, string>(comparer);
        _extensions = new Dictionary<string, string>(comparer);
        _directories = new Dictionary<string, string>(comparer);
        _parentAndName = new Dictionary<string, string>(comparer);
        foreach (var pattern in patterns)
        {
            var rest = pattern.StartsWith("**/", StringComparison.Ordinal) ? pattern[3..] : null;
            if (rest is not null && IsLiteral(rest)) _names.TryAdd(rest, pattern);
            else if (rest is not null && rest.StartsWith("*.", StringComparison.Ordinal) && IsLiteral(rest[2..])) _extensions.TryAdd(rest[1..], pattern);
            else if (rest is not null && rest.EndsWith('*') && IsLiteral(rest[..^1]) && rest.Length > 1) _prefixes.Add((rest[..^1], pattern));
            else if (rest is not null && rest.EndsWith("/**", StringComparison.Ordinal) && IsLiteral(rest[..^3])) _directories.TryAdd(rest[..^3], pattern);
            else if (rest is not null && rest.Split('/') is [var parent, var leaf] && IsLiteral(parent) && IsLiteral(leaf)) _parentAndName.TryAdd(rest, pattern);
            else _others.Add(new Glob(pattern, ignoreCase));
        }
        Patterns = [.. patterns];
    }

    public IReadOnlyList<string> Patterns { get; }

    /// <summary>A pattern that matches the '/'-separated relative path, or null.</summary>
    public string? Match(string relativePath)
    {
        ArgumentNullException.ThrowIfNull(relativePath);
        var slash = relativePath.LastIndexOf('/');
        var name = slash >= 0 ? relativePath[(slash + 1)..] : relativePath;
        if (_names.TryGetValue(name, out var byName)) return byName;
        // "**/*.ext" matches any name ending in ".ext", including ".ext" itself and "a.b.ext": try each dot's suffix.
        for (var dot = name.IndexOf('.'); dot >= 0; dot = name.IndexOf('.', dot + 1))
            if (_extensions.TryGetValue(name[dot..], out var byExtension)) return byExtension;
        foreach (var (prefix, pattern) in _prefixes)
            if (name.StartsWith(prefix, _comparison)) return pattern;
        if (_directories.Count > 0 && slash >= 0)
        {
            var start = 0;
            while (start < slash)
            {
                var end = relativePath.IndexOf('/', start);
                if (_directories.TryGetValue(relativePath[start..end], out var byDirectory)) return byDirectory;
                start = end + 1;
            }
        }
        if (_parentAndName.Count > 0 && slash > 0)
        {
            var parentStart = relativePath.LastIndexOf('/', slash - 1) + 1;
            if (_parentAndName.TryGetValue(relativePath[parentStart..], out var byParent)) return byParent;
        }
        foreach (var glob in _others)
            if (glob.IsMatch(relativePath)) return glob.Pattern;
        return null;
    }

    private static bool IsLiteral(string text) => text.Length > 0 && text.IndexOfAny(['*', '?', '[', '/']) < 0;
}
