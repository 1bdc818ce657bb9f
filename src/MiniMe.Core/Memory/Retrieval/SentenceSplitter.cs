namespace MiniMe.Memory.Retrieval;

/// <summary>A sentence as a [Start, End) span of the text it was split from.</summary>
public readonly record struct SentenceSpan(int Start, int End)
{
    public int Length => End - Start;
    public string Of(string text) => text[Start..End];
}

/// <summary>
/// Splits chunk text into sentences for sentence-level search and for trimming context blocks.
/// Prose breaks after '.', '!' or '?' followed by a space and a capital, digit, quote or bracket,
/// but not after common abbreviations ("e.g.", "Dr.", "vs."), initials ("K.") or inside numbers
/// ("3.5"). Lines that are not prose are sentences of their own: Markdown headings, list items,
/// table rows, code (inside ``` fences, indented, or lines that end like code) and blank-line
/// separated paragraphs never run into each other.
/// </summary>
public static class SentenceSplitter
{
    private static readonly HashSet<string> Abbreviations = new(StringComparer.OrdinalIgnoreCase)
    {
        "e.g", "i.e", "etc", "vs", "cf", "al", "approx", "dr", "mr", "mrs", "ms", "prof", "sr", "jr", "st",
        "no", "nos", "fig", "figs", "eq", "ch", "sec", "vol", "p", "pp", "ca", "inc", "ltd", "co", "corp",
        "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "min", "max", "z.b", "u.a", "bzw", "usw",
    };

    public static IReadOnlyList<SentenceSpan> Split(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new List<SentenceSpan>();
        var inFence = false;
        var proseStart = -1;
        var proseEnd = -1;
        var lineStart = 0;
        while (lineStart <= text.Length)
        {
            var newline = text.IndexOf('\n', lineStart);
            var lineEnd = newline < 0 ? text.Length : newline;
            var line = text.AsSpan(lineStart, lineEnd - lineStart);
            var trimmed = line.Trim();
            var fence = trimmed.StartsWith("```") || trimmed.StartsWith("~~~");
            if (fence || inFence || trimmed.IsEmpty || IsStructural(line, trimmed))
            {
                FlushProse(text, ref proseStart, ref proseEnd, result);
                if (fence) inFence = !inFence;
                if (!trimmed.IsEmpty && !fence) AddTrimmed(text, lineStart, lineEnd, result);
            }
            else
            {
                if (proseStart < 0) proseStart = lineStart;
                proseEnd = lineEnd;
            }
            if (newline < 0) break;
            lineStart = newline + 1;
        }
        FlushProse(text, ref proseStart, ref proseEnd, result);
        return result;
    }

    /// <summary>The sentences' texts, for tests and callers that need no offsets.</summary>
    public static IReadOnlyList<string> SplitText(string text) => Split(text).Select(s => s.Of(text)).ToList();

    private static bool IsStructural(ReadOnlySpan<char> line, ReadOnlySpan<char> trimmed)
    {
        if (trimmed[0] == '#' || trimmed[0] == '|' || trimmed[0] == '>') return true;
        if (trimmed.Length >= 2 && (trimmed[0] is '-' or '*' or '+' or '•') && trimmed[1] == ' ') return true;
        var digits = 0;
        while (digits < trimmed.Length && char.IsAsciiDigit(trimmed[digits])) digits++;
        if (digits > 0 && digits + 1 < trimmed.Length && trimmed[digits] is '.' or ')' && trimmed[digits + 1] == ' ') return true;
        // Code: indented by a tab or four spaces, or ending the way statements and blocks end.
        if (line.StartsWith("\t") || line.StartsWith("    ")) return true;
        var last = trimmed[^1];
        if (last is ';' or '{' or '}' or ')' && !trimmed.EndsWith(".)")) return true;
        if (trimmed.StartsWith("//") || trimmed.StartsWith("/*") || trimmed.StartsWith("*/") || trimmed.StartsWith("[")) return true;
        return false;
    }

    private static void FlushProse(string text, ref int start, ref int end, List<SentenceSpan> result)
    {
        if (start < 0) return;
        var i = start;
        var sentenceStart = start;
        while (i < end)
        {
            var c = text[i];
            if (c is '.' or '!' or '?' or '…')
            {
                var stop = i + 1;
                while (stop < end && text[stop] is '.' or '!' or '?' or '"' or '\'' or ')' or '”' or '’') stop++;
                var next = stop;
                while (next < end && char.IsWhiteSpace(text[next])) next++;
                if (next > stop && next < end && StartsSentence(text[next]) && !(c == '.' && IsAbbreviation(text, sentenceStart, i)))
                {
                    AddTrimmed(text, sentenceStart, stop, result);
                    sentenceStart = next;
                    i = next;
                    continue;
                }
                i = stop;
                continue;
            }
            i++;
        }
        AddTrimmed(text, sentenceStart, end, result);
        start = end = -1;
    }

    private static bool StartsSentence(char c) => char.IsUpper(c) || char.IsDigit(c) || c is '"' or '\'' or '(' or '[' or '“' or '‘' or '`' or '*' or '_';

    /// <summary>True when the '.' at <paramref name="dot"/> ends an abbreviation or an initial rather than a sentence.</summary>
    private static bool IsAbbreviation(string text, int sentenceStart, int dot)
    {
        var wordStart = dot;
        while (wordStart > sentenceStart && (char.IsLetter(text[wordStart - 1]) || text[wordStart - 1] == '.')) wordStart--;
        var word = text[wordStart..dot];
        if (word.Length == 0) return false;
        if (word.Length == 1 && char.IsUpper(word[0])) return true; // an initial: "Ursula K. Le Guin"
        return Abbreviations.Contains(word);
    }

    private static void AddTrimmed(string text, int start, int end, List<SentenceSpan> result)
    {
        while (start < end && char.IsWhiteSpace(text[start])) start++;
        while (end > start && char.IsWhiteSpace(text[end - 1])) end--;
        if (end > start) result.Add(new SentenceSpan(start, end));
    }
}
