namespace MiniMe.Memory.Import;

/// <summary>A chunk's place in its document. End is exclusive.</summary>
public readonly record struct ChunkSpan(int Start, int End, string? Heading);

/// <summary>
/// Splits text into chunks on paragraph boundaries (blank lines), packing whole paragraphs up to a
/// target size and starting each chunk with the tail of the previous one (overlap). Oversized
/// paragraphs are split on line, then word boundaries. Markdown headings are tracked so each chunk
/// knows the section it belongs to.
/// </summary>
public sealed class ParagraphChunker(int targetChars, int overlapChars)
{
    public int TargetChars { get; } = targetChars >= 50 ? targetChars : throw new ArgumentOutOfRangeException(nameof(targetChars));
    public int OverlapChars { get; } = overlapChars >= 0 && overlapChars < targetChars ? overlapChars : throw new ArgumentOutOfRangeException(nameof(overlapChars));

    public IReadOnlyList<ChunkSpan> Chunk(string text, bool markdown)
    {
        ArgumentNullException.ThrowIfNull(text);
        var pieces = SplitOversized(text, Paragraphs(text));
        var headings = markdown ? Headings(text) : [];
        var chunks = new List<ChunkSpan>();
        var i = 0;
        var overlapStart = -1;
        while (i < pieces.Count)
        {
            var start = overlapStart >= 0 ? overlapStart : pieces[i].Start;
            var firstNew = pieces[i].Start;
            var end = pieces[i].End;
            var j = i + 1;
            while (j < pieces.Count && pieces[j].End - start <= TargetChars)
            {
                end = pieces[j].End;
                j++;
            }
            chunks.Add(new ChunkSpan(start, end, HeadingAt(headings, firstNew)));
            overlapStart = j < pieces.Count ? OverlapStart(text, pieces, i, j, end) : -1;
            i = j;
        }
        return chunks;
    }

    /// <summary>Where the next chunk starts so that it repeats at most OverlapChars of this one's tail.</summary>
    private int OverlapStart(string text, List<(int Start, int End)> pieces, int first, int next, int end)
    {
        if (OverlapChars == 0) return -1;
        var limit = end - OverlapChars;
        // Prefer whole paragraphs of the tail (never the chunk's first one, so chunks advance).
        for (var p = first + 1; p < next; p++)
            if (pieces[p].Start >= limit) return pieces[p].Start;
        // Else a line start, else a word start inside the last OverlapChars.
        var lower = Math.Max(limit, pieces[first].Start + 1);
        for (var k = lower; k < end; k++)
            if (text[k - 1] == '\n' && !char.IsWhiteSpace(text[k])) return k;
        for (var k = lower; k < end; k++)
            if (char.IsWhiteSpace(text[k - 1]) && !char.IsWhiteSpace(text[k])) return k;
        return -1;
    }

    /// <summary>Paragraphs as [start, end) spans without surrounding blank lines.</summary>
    private static List<(int Start, int End)> Paragraphs(string text)
    {
        var result = new List<(int, int)>();
        var position = 0;
        var paragraphStart = -1;
        var paragraphEnd = -1;
        while (position < text.Length)
        {
            var lineEnd = text.IndexOf('\n', position);
            if (lineEnd < 0) lineEnd = text.Length;
            var line = text.AsSpan(position, lineEnd - position);
            if (line.IsWhiteSpace())
            {
                if (paragraphStart >= 0) result.Add((paragraphStart, paragraphEnd));
                paragraphStart = -1;
            }
            else
            {
                if (paragraphStart < 0) paragraphStart = position + (line.Length - line.TrimStart().Length);
                paragraphEnd = position + line.TrimEnd().Length;
            }
            position = lineEnd + 1;
        }
        if (paragraphStart >= 0) result.Add((paragraphStart, paragraphEnd));
        return result;
    }

    private List<(int Start, int End)> SplitOversized(string text, List<(int Start, int End)> paragraphs)
    {
        // Pieces leave room for the overlap carried in from the previous chunk, so no chunk exceeds the target.
        var maxPiece = TargetChars - OverlapChars;
        var result = new List<(int, int)>(paragraphs.Count);
        foreach (var (start, end) in paragraphs)
        {
            var s = start;
            while (end - s > maxPiece)
            {
                var cut = LastBreak(text, s, s + maxPiece);
                result.Add((s, cut));
                s = cut;
                while (s < end && char.IsWhiteSpace(text[s])) s++;
            }
            if (end > s) result.Add((s, end));
        }
        return result;
    }

    /// <summary>The last line break, else the last space, before <paramref name="limit"/>; else the limit itself.</summary>
    private static int LastBreak(string text, int start, int limit)
    {
        var floor = start + (limit - start) / 2;
        var newline = text.LastIndexOf('\n', limit - 1, limit - floor);
        if (newline > floor) return newline;
        for (var k = limit - 1; k > floor; k--)
            if (char.IsWhiteSpace(text[k])) return k;
        // Never split a surrogate pair.
        return char.IsLowSurrogate(text[limit]) ? limit - 1 : limit;
    }

    private static List<(int Offset, string Title)> Headings(string text)
    {
        var result = new List<(int, string)>();
        var position = 0;
        var inFence = false;
        while (position < text.Length)
        {
            var lineEnd = text.IndexOf('\n', position);
            if (lineEnd < 0) lineEnd = text.Length;
            var line = text.AsSpan(position, lineEnd - position).TrimEnd();
            if (line.StartsWith("```") || line.StartsWith("~~~")) inFence = !inFence;
            else if (!inFence && line.Length > 1 && line[0] == '#')
            {
                var level = 0;
                while (level < line.Length && line[level] == '#') level++;
                if (level <= 6 && level < line.Length && line[level] == ' ')
                    result.Add((position, line[(level + 1)..].Trim().ToString()));
            }
            position = lineEnd + 1;
        }
        return result;
    }

    private static string? HeadingAt(List<(int Offset, string Title)> headings, int offset)
    {
        string? heading = null;
        foreach (var (at, title) in headings)
        {
            if (at > offset) break;
            heading = title;
        }
        return heading;
    }
}
