namespace MiniMe.Memory;

/// <summary>Stored documents addressed by a path: a file's own, or every one under a folder.</summary>
public static class DocumentPaths
{
    /// <summary>
    /// The document stored for <paramref name="path"/> (a source as stored), or every one under it as a
    /// folder ("/a/b" never matches "/a/bc.md"); null lists all. A trailing separator is ignored.
    /// </summary>
    public static async Task<IReadOnlyList<DocumentSummary>> ListDocumentsAtAsync(this IMemoryStore store, string? path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (path is null) return await store.ListDocumentsAsync(null, cancellationToken).ConfigureAwait(false);
        var trimmed = path.TrimEnd('/', Path.DirectorySeparatorChar);
        if (trimmed.Length == 0) return await store.ListDocumentsAsync(null, cancellationToken).ConfigureAwait(false);   // "/": everything
        var folder = trimmed + Path.DirectorySeparatorChar;
        var candidates = await store.ListDocumentsAsync(trimmed, cancellationToken).ConfigureAwait(false);
        return candidates.Where(d => d.Source == trimmed || d.Source.StartsWith(folder, StringComparison.Ordinal)).ToList();
    }
}
