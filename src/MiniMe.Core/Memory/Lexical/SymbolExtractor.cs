using System.Text;

namespace MiniMe.Memory.Lexical;

/// <summary>
/// Builds the "symbols" field of a chunk: each compound identifier split into its words, so
/// a search for "memory store" finds SqliteMemoryStore. Distinct identifiers only, capped.
/// </summary>
public static class SymbolExtractor
{
    public const int MaxIdentifiers = 400;

    public static string Extract(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var builder = new StringBuilder();
        foreach (var (start, length) in Tokens.Find(text))
        {
            var token = text.AsSpan(start, length);
            if (!IdentifierSplitter.IsCompound(token)) continue;
            if (!seen.Add(token.ToString())) continue;
            if (builder.Length > 0) builder.Append(" | ");
            builder.AppendJoin(' ', IdentifierSplitter.Split(token));
            if (seen.Count >= MaxIdentifiers) break;
        }
        return builder.ToString();
    }

    /// <summary>The words of a source path's file name and folder, e.g. "docs/ContextBroker.md" -> "context broker docs".</summary>
    public static string TitleFromPath(string source)
    {
        var name = Path.GetFileNameWithoutExtension(source);
        var folder = Path.GetFileName(Path.GetDirectoryName(source) ?? "");
        var words = IdentifierSplitter.Split(name);
        if (!string.IsNullOrEmpty(folder)) words.AddRange(IdentifierSplitter.Split(folder));
        return string.Join(' ', words);
    }

    /// <summary>The "title" field of a chunk: its path's words, then its section heading if any.</summary>
    public static string ChunkTitle(string source, string? heading)
    {
        var title = TitleFromPath(source);
        return heading is null ? title : $"{title} {heading}";
    }
}
