using System.Globalization;
using System.Text.RegularExpressions;

namespace MiniMe.Tools.Patching;

/// <summary>
/// Parses unified diffs as written by `diff -u` and `git diff`: ---/+++ headers (a/ and b/ prefixes
/// dropped, /dev/null for created or deleted files), @@ hunks whose line counts must add up, and
/// "\ No newline at end of file" markers. A patch of bare hunks applies to a path given separately.
/// </summary>
public static partial class UnifiedDiffParser
{
    public const string DevNull = "/dev/null";

    public static IReadOnlyList<FilePatch> Parse(string patch, string? defaultPath = null)
    {
        ArgumentNullException.ThrowIfNull(patch);
        var lines = patch.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        if (lines.Length > 0 && lines[^1].Length == 0) lines = lines[..^1];
        var files = new List<FilePatch>();
        string? oldPath = null, newPath = null;
        var headerSeen = false;
        var hunks = new List<Hunk>();
        var i = 0;

        void Flush()
        {
            if (!headerSeen && hunks.Count == 0) return;
            if (hunks.Count == 0)
                throw new PatchException($"The patch for {newPath ?? oldPath} has headers but no @@ hunks.");
            if (!headerSeen)
            {
                if (string.IsNullOrWhiteSpace(defaultPath))
                    throw new PatchException("The patch has hunks but no ---/+++ file headers; add them or pass the file's path.");
                oldPath = newPath = defaultPath;
            }
            if (oldPath is null && newPath is null)
                throw new PatchException("A patch cannot have /dev/null as both the old and the new file.");
            if (oldPath is not null && newPath is not null && oldPath != newPath)
                throw new PatchException($"The patch renames {oldPath} to {newPath}; renames are not supported, patch one path.");
            files.Add(new FilePatch(oldPath, newPath, [.. hunks]));
            hunks.Clear();
            headerSeen = false;
            oldPath = newPath = null;
        }

        while (i < lines.Length)
        {
            var line = lines[i];
            if (line.StartsWith("--- ", StringComparison.Ordinal) && i + 1 < lines.Length && lines[i + 1].StartsWith("+++ ", StringComparison.Ordinal))
            {
                Flush();
                oldPath = HeaderPath(line[4..], 'a');
                newPath = HeaderPath(lines[i + 1][4..], 'b');
                headerSeen = true;
                i += 2;
                continue;
            }
            if (line.StartsWith("@@", StringComparison.Ordinal))
            {
                hunks.Add(ParseHunk(lines, ref i, newPath ?? oldPath ?? defaultPath ?? "the file", hunks.Count + 1));
                continue;
            }
            if (line.StartsWith("GIT binary patch", StringComparison.Ordinal) || line.StartsWith("Binary files ", StringComparison.Ordinal))
                throw new PatchException($"Line {i + 1}: binary patches are not supported.");
            if (line.StartsWith("rename from ", StringComparison.Ordinal) || line.StartsWith("copy from ", StringComparison.Ordinal))
                throw new PatchException($"Line {i + 1}: renames and copies are not supported; patch one path.");
            // Anything else between files (diff --git, index, mode lines, commentary) carries no change.
            i++;
        }
        Flush();
        if (files.Count == 0)
            throw new PatchException("The patch has no hunks (lines starting with @@ -l,n +l,n @@).");
        var duplicate = files.GroupBy(f => f.Path).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new PatchException($"The patch changes {duplicate.Key} in more than one place; merge its hunks under one header.");
        return files;
    }

    private static Hunk ParseHunk(string[] lines, ref int i, string path, int number)
    {
        var header = lines[i];
        var headerLine = i + 1;
        var match = HunkHeader().Match(header);
        if (!match.Success)
            throw new PatchException($"Line {headerLine}: '{Clip(header)}' is not a hunk header like '@@ -12,5 +12,6 @@'.");
        var oldStart = Number(match.Groups[1].Value);
        var oldCount = match.Groups[2].Success ? Number(match.Groups[2].Value) : 1;
        var newStart = Number(match.Groups[3].Value);
        var newCount = match.Groups[4].Success ? Number(match.Groups[4].Value) : 1;
        i++;
        var body = new List<HunkLine>();
        int oldSeen = 0, newSeen = 0;
        bool oldNoNewline = false, newNoNewline = false;
        while (i < lines.Length && (oldSeen < oldCount || newSeen < newCount))
        {
            var line = lines[i];
            var kind = line.Length == 0 ? ' ' : line[0];   // some tools drop the space of an empty context line
            var text = line.Length == 0 ? "" : line[1..];
            switch (kind)
            {
                case ' ': oldSeen++; newSeen++; break;
                case '-': oldSeen++; break;
                case '+': newSeen++; break;
                case '\\': i++; MarkNoNewline(body, ref oldNoNewline, ref newNoNewline); continue;
                default:
                    throw new PatchException($"Hunk {number} of {path} ({header}): line {i + 1} of the patch starts with '{kind}', expected ' ', '-' or '+'; the hunk header promises {oldCount} old and {newCount} new lines but only {oldSeen} and {newSeen} came.");
            }
            body.Add(new HunkLine(kind, text, i + 1));
            i++;
        }
        if (oldSeen != oldCount || newSeen != newCount)
            throw new PatchException($"Hunk {number} of {path} ({header}) is cut short: it promises {oldCount} old and {newCount} new lines but the patch ends after {oldSeen} and {newSeen}.");
        if (i < lines.Length && lines[i].StartsWith('\\'))
        {
            MarkNoNewline(body, ref oldNoNewline, ref newNoNewline);
            i++;
        }
        return new Hunk(oldStart, oldCount, newStart, newCount, header.Trim(), headerLine, body, oldNoNewline, newNoNewline);
    }

    /// <summary>"\ No newline at end of file" applies to the line before it: the old side, the new side, or both.</summary>
    private static void MarkNoNewline(List<HunkLine> body, ref bool oldSide, ref bool newSide)
    {
        if (body.Count == 0) return;
        switch (body[^1].Kind)
        {
            case '-': oldSide = true; break;
            case '+': newSide = true; break;
            default: oldSide = newSide = true; break;
        }
    }

    private static string? HeaderPath(string text, char gitPrefix)
    {
        var path = text;
        var tab = path.IndexOf('\t', StringComparison.Ordinal);   // "--- file\t2024-01-01 10:00:00"
        if (tab >= 0) path = path[..tab];
        path = path.Trim();
        if (path.Length >= 2 && path[0] == '"' && path[^1] == '"') path = path[1..^1];
        if (path == DevNull) return null;
        if (path.Length > 2 && path[0] == gitPrefix && path[1] == '/') path = path[2..];
        if (path.Length == 0) throw new PatchException("A file header names no path.");
        return path;
    }

    private static int Number(string digits) =>
        int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n
        : throw new PatchException($"'{digits}' is not a line number.");

    private static string Clip(string text) => text.Length <= 60 ? text : text[..57] + "...";

    [GeneratedRegex(@"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")]
    private static partial Regex HunkHeader();
}
