namespace MiniMe.Tools.Patching;

/// <summary>
/// Applies a file's hunks in order, exactly (no fuzz): each hunk's old lines must appear in the file,
/// at the stated line or, as GNU patch does, at the nearest offset after the previous hunk. A hunk
/// that matches nowhere fails the whole patch with the first differing line at its stated place.
/// </summary>
public static class PatchApplier
{
    public static TextLines Apply(TextLines original, FilePatch patch)
    {
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(patch);
        var source = original.Lines;
        var output = new List<string>(source.Count + 16);
        var position = 0;     // next unconsumed line of the original
        var offset = 0;       // how far hunks have been found from where their headers said
        var endsWithNewline = original.EndsWithNewline || original.Lines.Count == 0;
        for (var h = 0; h < patch.Hunks.Count; h++)
        {
            var hunk = patch.Hunks[h];
            var old = hunk.OldLines.ToList();
            // With no old lines the hunk inserts after line OldStart; otherwise OldStart is its first line.
            var stated = (hunk.OldCount == 0 ? hunk.OldStart : hunk.OldStart - 1) + offset;
            var at = Find(source, old, Math.Clamp(stated, position, Math.Max(position, source.Count)), position);
            if (at < 0) throw new PatchException(Describe(patch, h, hunk, source, old, Math.Max(stated, position)));
            offset += at - stated;
            for (var k = position; k < at; k++) output.Add(source[k]);
            output.AddRange(hunk.NewLines);
            position = at + old.Count;
            if (position == source.Count)
            {
                if (hunk.NewMissingFinalNewline) endsWithNewline = false;
                else if (hunk.OldMissingFinalNewline || hunk.NewCount > 0) endsWithNewline = true;
            }
        }
        for (var k = position; k < source.Count; k++) output.Add(source[k]);
        return new TextLines(output, original.LineEnding, endsWithNewline);
    }

    /// <summary>The index nearest to <paramref name="expected"/> (not before <paramref name="floor"/>) where <paramref name="old"/> appears, or -1.</summary>
    private static int Find(IReadOnlyList<string> source, List<string> old, int expected, int floor)
    {
        var last = source.Count - old.Count;
        if (last < floor) return -1;
        for (var distance = 0; ; distance++)
        {
            var later = expected + distance;
            var earlier = expected - distance;
            var any = false;
            if (later <= last && later >= floor) { any = true; if (Matches(source, old, later)) return later; }
            if (distance > 0 && earlier >= floor && earlier <= last) { any = true; if (Matches(source, old, earlier)) return earlier; }
            if (!any && later > last && earlier < floor) return -1;
        }
    }

    private static bool Matches(IReadOnlyList<string> source, List<string> old, int at)
    {
        for (var k = 0; k < old.Count; k++)
            if (!string.Equals(source[at + k], old[k], StringComparison.Ordinal)) return false;
        return true;
    }

    private static string Describe(FilePatch patch, int index, Hunk hunk, IReadOnlyList<string> source, List<string> old, int stated)
    {
        var where = $"Hunk {index + 1} of {patch.Path} ({hunk.Header}, patch line {hunk.PatchLine}) does not apply";
        for (var k = 0; k < old.Count; k++)
        {
            var line = stated + k;
            var hunkLine = hunk.Lines.Where(l => l.Kind != '+').ElementAt(k);
            if (line >= source.Count)
                return $"{where}: the file has {source.Count} lines, but the hunk expects line {line + 1} to be '{Clip(old[k])}' (patch line {hunkLine.PatchLine}).";
            if (!string.Equals(source[line], old[k], StringComparison.Ordinal))
                return $"{where}: line {line + 1} of the file is '{Clip(source[line])}' but the hunk expects '{Clip(old[k])}' (patch line {hunkLine.PatchLine}), and its lines appear nowhere else after the previous hunk.";
        }
        return $"{where}: it overlaps the previous hunk.";
    }

    private static string Clip(string text) => text.Length <= 80 ? text : text[..77] + "...";
}
