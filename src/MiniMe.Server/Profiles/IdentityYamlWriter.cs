using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using MiniMe.Identity;

namespace MiniMe.Server.Profiles;

/// <summary>
/// Writes identity.yaml for a profile update, keeping the comments a person wrote in the file it
/// replaces. YamlDotNet's representation model drops comments, so the file is written here, in the
/// layout of the template `minime init` writes, and the old text's comments are carried over by where
/// they stood: the leading comment header of the file (every comment and blank line before the first
/// key, but for a comment block right above the first key below a blank line: that is the key's), and
/// each comment block directly above a key (persona, principles, persona.voice and the other
/// persona keys, and a principle's "- name: …" line, matched by the principle's name). Comments at the
/// end of a line and comments above list entries and other principle fields are not kept; the whole
/// earlier file is in identity.history for undo.
/// </summary>
public static partial class IdentityYamlWriter
{
    public const string DefaultHeader = "# Who MiniMe works for: the persona it speaks with and the principles it applies.\n# Written by PUT /v1/profile; earlier versions are kept in identity.history/ (`minime profile undo`).";

    public static string Write(IdentityDocument identity, string? previous)
    {
        ArgumentNullException.ThrowIfNull(identity);
        var (header, comments) = Comments(previous ?? "");
        var yaml = new StringBuilder();
        yaml.Append(header.Count > 0 ? string.Join('\n', header) : DefaultHeader).Append('\n');
        if (header.Count == 0 || header[^1].Length > 0) yaml.Append('\n');

        Comment(yaml, comments, "persona", "");
        yaml.Append("persona:\n");
        Key(yaml, comments, "persona.voice", "voice", identity.Persona.Voice);
        Key(yaml, comments, "persona.tone", "tone", identity.Persona.Tone);
        List(yaml, comments, "persona.styleRules", "styleRules", identity.Persona.StyleRules);
        List(yaml, comments, "persona.values", "values", identity.Persona.Values);
        yaml.Append('\n');

        Comment(yaml, comments, "principles", "");
        if (identity.Principles.Count == 0)
        {
            yaml.Append("principles: []\n");
            return yaml.ToString();
        }
        yaml.Append("principles:\n");
        foreach (var p in identity.Principles)
        {
            Comment(yaml, comments, "principle:" + p.Name, "  ");
            yaml.Append("  - name: ").Append(Scalar(p.Name)).Append('\n');
            yaml.Append("    description: ").Append(Scalar(p.Description)).Append('\n');
            yaml.Append("    magnitude: ").Append(p.Magnitude.ToString("0.###", CultureInfo.InvariantCulture)).Append('\n');
            yaml.Append("    scope: ").Append(p.Scope.ToString().ToLowerInvariant()).Append('\n');
            if (p.Target is { } target) yaml.Append("    target: ").Append(Scalar(target)).Append('\n');
            if (p.Tags.Count > 0) yaml.Append("    tags: [").Append(string.Join(", ", p.Tags.Select(FlowScalar))).Append("]\n");
        }
        return yaml.ToString();
    }

    private static void Key(StringBuilder yaml, Dictionary<string, List<string>> comments, string path, string key, string value)
    {
        Comment(yaml, comments, path, "  ");
        yaml.Append("  ").Append(key).Append(": ").Append(Scalar(value)).Append('\n');
    }

    private static void List(StringBuilder yaml, Dictionary<string, List<string>> comments, string path, string key, IReadOnlyList<string> values)
    {
        Comment(yaml, comments, path, "  ");
        if (values.Count == 0)
        {
            yaml.Append("  ").Append(key).Append(": []\n");
            return;
        }
        yaml.Append("  ").Append(key).Append(":\n");
        foreach (var value in values) yaml.Append("    - ").Append(Scalar(value)).Append('\n');
    }

    private static void Comment(StringBuilder yaml, Dictionary<string, List<string>> comments, string path, string indent)
    {
        if (!comments.TryGetValue(path, out var lines)) return;
        foreach (var line in lines) yaml.Append(indent).Append(line).Append('\n');
    }

    /// <summary>The leading header (comment and blank lines, as written) and the comment blocks above keys, by path.</summary>
    internal static (List<string> Header, Dictionary<string, List<string>> Comments) Comments(string text)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var header = new List<string>();
        var i = 0;
        for (; i < lines.Length; i++)
        {
            var trimmed = lines[i].Trim();
            if (trimmed.Length > 0 && !trimmed.StartsWith('#')) break;
            if (trimmed == "---") break;
            header.Add(lines[i].TrimEnd());
        }
        if (i == lines.Length) header = [.. header.Where(l => l.Length > 0)];   // a file of comments only: all header
        while (header.Count > 1 && header[^1].Length == 0 && header[^2].Length == 0) header.RemoveAt(header.Count - 1);

        var comments = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var pending = new List<string>();
        // A comment block right above the first key, below a blank line that ends the header, is that key's comment.
        var blank = header.FindLastIndex(l => l.Length == 0);
        if (i < lines.Length && blank >= 0 && blank < header.Count - 1 && header.Take(blank).Any(l => l.Length > 0))
        {
            pending = [.. header.Skip(blank + 1).Select(l => l.Trim())];
            header.RemoveRange(blank + 1, header.Count - blank - 1);
        }
        string? top = null;
        for (; i < lines.Length; i++)
        {
            var line = lines[i];
            var trimmed = line.Trim();
            if (trimmed.Length == 0) continue;
            if (trimmed.StartsWith('#'))
            {
                pending.Add(trimmed);
                continue;
            }
            string? path = null;
            var indented = line.Length > 0 && char.IsWhiteSpace(line[0]);
            if (!indented && KeyLine().Match(trimmed) is { Success: true } topKey)
            {
                top = topKey.Groups[1].Value;
                path = top;
            }
            else if (top == "persona" && KeyLine().Match(trimmed) is { Success: true } personaKey)
            {
                path = "persona." + personaKey.Groups[1].Value;
            }
            else if (top == "principles" && NameLine().Match(trimmed) is { Success: true } name)
            {
                path = "principle:" + Unquote(name.Groups[1].Value);
            }
            if (path is not null && pending.Count > 0) comments.TryAdd(path, pending);
            pending = [];
        }
        return (header, comments);
    }

    private static string Unquote(string value)
    {
        var text = value.Trim();
        if (text.Length >= 2 && text[0] == '"' && text[^1] == '"')
        {
            try { return JsonSerializer.Deserialize<string>(text) ?? text; }
            catch (JsonException) { return text[1..^1]; }
        }
        if (text.Length >= 2 && text[0] == '\'' && text[^1] == '\'') return text[1..^1].Replace("''", "'", StringComparison.Ordinal);
        var comment = text.IndexOf(" #", StringComparison.Ordinal);
        return (comment >= 0 ? text[..comment] : text).Trim();
    }

    /// <summary>Plain when it reads back as the same text; otherwise double-quoted (JSON escapes are YAML escapes).</summary>
    internal static string Scalar(string value) =>
        PlainSafe().IsMatch(value) && !value.Contains(": ", StringComparison.Ordinal) && !value.Contains(" #", StringComparison.Ordinal) && !LooksTyped(value)
            ? value
            : Quoted(value);

    private static string FlowScalar(string value) => FlowSafe().IsMatch(value) && !LooksTyped(value) ? value : Quoted(value);

    private static string Quoted(string value) => JsonSerializer.Serialize(value, QuoteOptions);

    private static readonly JsonSerializerOptions QuoteOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static bool LooksTyped(string value) =>
        value is "~" or "null" or "Null" or "NULL" or "true" or "True" or "TRUE" or "false" or "False" or "FALSE" or "yes" or "no" or "on" or "off" or "Yes" or "No" or "On" or "Off"
        || double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    [GeneratedRegex(@"^[A-Za-z0-9(][^\n\r\t#""'`{}\[\]|>&*!%@]*[^\s:]$|^[A-Za-z0-9]$")]
    private static partial Regex PlainSafe();

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9 _./+-]*$")]
    private static partial Regex FlowSafe();

    [GeneratedRegex(@"^([A-Za-z][A-Za-z0-9_]*)\s*:(\s|$)")]
    private static partial Regex KeyLine();

    [GeneratedRegex(@"^-\s+name\s*:\s*(.*)$")]
    private static partial Regex NameLine();
}
