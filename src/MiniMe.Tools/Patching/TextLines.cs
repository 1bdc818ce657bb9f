namespace MiniMe.Tools.Patching;

/// <summary>
/// A text file as lines, remembering its line ending (\n or \r\n) and whether it ends with one, so a
/// patched file keeps its style.
/// </summary>
public sealed class TextLines
{
    public TextLines(IReadOnlyList<string> lines, string lineEnding = "\n", bool endsWithNewline = true)
    {
        Lines = lines;
        LineEnding = lineEnding;
        EndsWithNewline = lines.Count > 0 && endsWithNewline;
    }

    public IReadOnlyList<string> Lines { get; }
    public string LineEnding { get; }
    public bool EndsWithNewline { get; }

    public static TextLines Empty { get; } = new([], "\n", false);

    public static TextLines Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0) return Empty;
        var ending = text.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
        var parts = text.Split('\n');
        var endsWithNewline = text.EndsWith('\n');
        var count = endsWithNewline ? parts.Length - 1 : parts.Length;
        var lines = new string[count];
        for (var i = 0; i < count; i++)
            lines[i] = ending == "\r\n" && parts[i].EndsWith('\r') ? parts[i][..^1] : parts[i];
        return new TextLines(lines, ending, endsWithNewline);
    }

    public override string ToString()
    {
        if (Lines.Count == 0) return "";
        var text = string.Join(LineEnding, Lines);
        return EndsWithNewline ? text + LineEnding : text;
    }
}
