using System.Text.RegularExpressions;

namespace MiniMe.Tools.Commands;

/// <summary>What an option's value may look like. Paths are checked against the root and the read or write rules.</summary>
public abstract partial record ValueForm(string Text)
{
    /// <summary>Why <paramref name="value"/> does not fit, or null when it does (paths are checked by the policy, not here).</summary>
    public abstract string? Problem(string value);

    public override string ToString() => Text;

    /// <summary>Parses "int", "name", "text", "path:read", "path:write" or "enum:a,b,c".</summary>
    public static ValueForm Parse(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        return text switch
        {
            "int" => new Integer(),
            "name" => new Name(),
            "text" => new FreeText(),
            "path:read" => new PathValue(Paths.PathAccess.Read),
            "path:write" => new PathValue(Paths.PathAccess.Write),
            _ when text.StartsWith("enum:", StringComparison.Ordinal) && text.Length > 5 => new OneOf([.. text[5..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)]),
            _ => throw new FormatException($"unknown value form '<{text}>'; use int, name, text, path:read, path:write or enum:a,b,c"),
        };
    }

    /// <summary>A whole number, 0 to 1,000,000.</summary>
    public sealed record Integer() : ValueForm("int")
    {
        public override string? Problem(string value) =>
            value.Length is > 0 and <= 7 && value.All(char.IsAsciiDigit) ? null : "must be a whole number";
    }

    /// <summary>A configuration, framework, runtime or similar word: letters, digits and . _ + - only (no ';' that MSBuild would split on, no '=').</summary>
    public sealed partial record Name() : ValueForm("name")
    {
        public override string? Problem(string value) => NamePattern().IsMatch(value) ? null : "must be a plain name (letters, digits, '.', '_', '+', '-')";

        [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._+\-]{0,127}$")]
        private static partial Regex NamePattern();
    }

    /// <summary>Any text without control characters (shell metacharacters are checked separately, as for every argument).</summary>
    public sealed record FreeText() : ValueForm("text")
    {
        public override string? Problem(string value) => value.Any(char.IsControl) ? "contains control characters" : value.Length > 4096 ? "is too long" : null;
    }

    /// <summary>One of a fixed set of words, compared exactly.</summary>
    public sealed record OneOf(IReadOnlyList<string> Choices) : ValueForm("enum:" + string.Join(',', Choices))
    {
        public override string? Problem(string value) => Choices.Contains(value, StringComparer.Ordinal) ? null : $"must be one of {string.Join(", ", Choices)}";
    }

    /// <summary>A path inside the root that the read (or write) rules allow; the policy resolves and checks it.</summary>
    public sealed record PathValue(Paths.PathAccess Access) : ValueForm(Access == Paths.PathAccess.Write ? "path:write" : "path:read")
    {
        public override string? Problem(string value) => value.Length == 0 ? "is empty" : null;
    }
}
