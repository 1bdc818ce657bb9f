using System.Globalization;
using System.Text;
using DiffPlex;
using DiffPlex.Model;

namespace MiniMe.Tools.Patching;

/// <summary>Renders the change from one text to another as a unified diff (line diff by DiffPlex), for approval previews.</summary>
public static class UnifiedDiffWriter
{
    public const int Context = 3;

    /// <param name="oldText">The current content; null when the file does not exist yet.</param>
    /// <param name="newText">The content after the change; null when the file is deleted.</param>
    /// <param name="path">The path shown in the headers.</param>
    public static string Write(string? oldText, string? newText, string path)
    {
        var before = TextLines.Parse(oldText ?? "");
        var after = TextLines.Parse(newText ?? "");
        var sb = new StringBuilder();
        sb.Append("--- ").Append(oldText is null ? UnifiedDiffParser.DevNull : "a/" + path).Append('\n');
        sb.Append("+++ ").Append(newText is null ? UnifiedDiffParser.DevNull : "b/" + path).Append('\n');
        var blocks = Differ.Instance.CreateDiffs(Join(before), Join(after), ignoreWhiteSpace: false, ignoreCase: false, new LineSplitter()).DiffBlocks;
        if (blocks.Count == 0) return "";
        var groups = new List<List<DiffBlock>> { new() { blocks[0] } };
        foreach (var block in blocks.Skip(1))
        {
            var previous = groups[^1][^1];
            if (block.DeleteStartA - (previous.DeleteStartA + previous.DeleteCountA) <= 2 * Context) groups[^1].Add(block);
            else groups.Add([block]);
        }
        foreach (var group in groups) WriteHunk(sb, group, before, after);
        return sb.ToString();
    }

    private static void WriteHunk(StringBuilder sb, List<DiffBlock> group, TextLines before, TextLines after)
    {
        var first = group[0];
        var last = group[^1];
        var startA = Math.Max(0, first.DeleteStartA - Context);
        var startB = startA + (first.InsertStartB - first.DeleteStartA);
        var endA = Math.Min(before.Lines.Count, last.DeleteStartA + last.DeleteCountA + Context);
        var body = new StringBuilder();
        int countA = 0, countB = 0, a = startA;
        foreach (var block in group)
        {
            for (; a < block.DeleteStartA; a++) { Line(body, ' ', before, a); countA++; countB++; }
            for (var k = 0; k < block.DeleteCountA; k++) { Line(body, '-', before, block.DeleteStartA + k); countA++; }
            for (var k = 0; k < block.InsertCountB; k++) { Line(body, '+', after, block.InsertStartB + k); countB++; }
            a = block.DeleteStartA + block.DeleteCountA;
        }
        for (; a < endA; a++) { Line(body, ' ', before, a); countA++; countB++; }
        sb.Append(CultureInfo.InvariantCulture, $"@@ -{Range(startA, countA)} +{Range(startB, countB)} @@\n").Append(body);
    }

    private static string Range(int start, int count) => count == 0
        ? string.Create(CultureInfo.InvariantCulture, $"{start},0")
        : count == 1 ? string.Create(CultureInfo.InvariantCulture, $"{start + 1}") : string.Create(CultureInfo.InvariantCulture, $"{start + 1},{count}");

    private static void Line(StringBuilder sb, char kind, TextLines text, int index)
    {
        sb.Append(kind).Append(text.Lines[index]).Append('\n');
        if (index == text.Lines.Count - 1 && !text.EndsWithNewline) sb.Append("\\ No newline at end of file\n");
    }

    /// <summary>
    /// The lines to compare, each prefixed so that no file is "" but an empty one (one empty line is "|").
    /// A last line without a newline gets a marker no text contains, so "x" and "x\n" differ and a
    /// change of the final newline shows as that line removed and added again.
    /// </summary>
    private static string Join(TextLines text) =>
        text.Lines.Count == 0 ? "" : string.Join('\n', text.Lines.Select(l => "|" + l)) + (text.EndsWithNewline ? "" : NoFinalNewline);

    private const string NoFinalNewline = "\u0000no-final-newline";

    private sealed class LineSplitter : IChunker
    {
        public IReadOnlyList<string> Chunk(string text) => text.Length == 0 ? [] : text.Split('\n');
    }
}
