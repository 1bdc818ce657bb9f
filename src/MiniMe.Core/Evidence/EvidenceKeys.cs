using System.Globalization;

namespace MiniMe.Evidence;

/// <summary>What identifies a document or chunk in any store (<see cref="PortableEdge"/>): the source, and the chunk's ordinal in it.</summary>
public static class EvidenceKeys
{
    public static string Document(string source) => source;

    public static string DocumentSource(string key) => key;

    public static string Chunk(string source, int ordinal) => source + "#" + ordinal.ToString(CultureInfo.InvariantCulture);

    /// <summary>The source and ordinal of a chunk key (the last '#' separates them; a source may hold '#').</summary>
    public static (string Source, int Ordinal) ChunkParts(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var hash = key.LastIndexOf('#');
        if (hash < 0 || !int.TryParse(key.AsSpan(hash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var ordinal))
            throw new FormatException($"'{key}' is not a chunk key");
        return (key[..hash], ordinal);
    }

    /// <summary>
    /// The order exported edges are compared in: by each end as it reads in any store (the key for a doc or chunk,
    /// the id for everything else), then the relation. Two stores holding the same graph export the same list.
    /// </summary>
    public static IComparer<PortableEdge> Order { get; } = Comparer<PortableEdge>.Create((a, b) =>
    {
        var c = string.CompareOrdinal(Portable(a.Edge.From, a.FromKey), Portable(b.Edge.From, b.FromKey));
        if (c == 0) c = string.CompareOrdinal(a.Edge.Relation, b.Edge.Relation);
        if (c == 0) c = string.CompareOrdinal(Portable(a.Edge.To, a.ToKey), Portable(b.Edge.To, b.ToKey));
        return c;
    });

    /// <summary>An end as it reads in any store: doc and chunk ends by key, the others by id.</summary>
    public static string Portable(EvidenceNode node, string? key)
    {
        ArgumentNullException.ThrowIfNull(node);
        return node.Kind is EvidenceKinds.Document or EvidenceKinds.Chunk ? $"{node.Kind}@{key}" : node.ToString();
    }
}

/// <summary>One-line labels of nodes in a tree.</summary>
public static class EvidenceLabels
{
    private const int Width = 72;

    public static string Chunk(string source, int ordinal, string? heading, string text)
    {
        var name = Path.GetFileName(source);
        var what = heading is { Length: > 0 } ? heading : Short(text);
        return $"{(name.Length > 0 ? name : source)} #{ordinal.ToString(CultureInfo.InvariantCulture)}: {what}";
    }

    public static string Fact(string text, string status) =>
        status == "active" ? Short(text) : $"{Short(text)} ({status})";

    public static string Short(string text)
    {
        var flat = string.Join(' ', (text ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return flat.Length <= Width ? flat : flat[..(Width - 3)] + "...";
    }
}
