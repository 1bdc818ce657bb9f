namespace MiniMe.Memory.Import;

/// <summary>A file whose text differs from what memory holds: added (not imported yet), modified, or deleted.</summary>
public sealed record ChangedFile(string Path, string Change);

/// <summary>What changed under a directory since it was last imported, in at most <c>limit</c> entries.</summary>
public sealed record ChangedFilesReport(IReadOnlyList<ChangedFile> Files, bool Truncated, int FilesChecked);

/// <summary>
/// The files changed since the last import, found the way import finds them: the same walk (ignore
/// files, secrets, import.ignoreDirectories) and the same content hash the stored document carries
/// (<see cref="Importer.DocumentHash"/>), so "unchanged" here means import would skip the file.
/// No git involved. Paths are relative to <c>root</c>, '/'-separated, ordered.
/// </summary>
public static class ChangedFiles
{
    public const string Added = "added";
    public const string Modified = "modified";
    public const string Deleted = "deleted";

    public static async Task<ChangedFilesReport> FindAsync(IMemoryStore store, string root, IReadOnlyCollection<string> ignoreDirectories, long maxFileBytes, int limit,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(root);
        var full = Path.GetFullPath(root);
        var prefix = Path.EndsInDirectorySeparator(full) ? full : full + Path.DirectorySeparatorChar;
        var known = await store.GetDocumentHashesAsync(cancellationToken).ConfigureAwait(false);
        var files = SourceWalker.ListFiles(full, ignoreDirectories, new WalkCounts());
        var changes = new List<ChangedFile>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            seen.Add(file);
            if (!known.TryGetValue(file, out var hash))
            {
                if (SourceFileReader.Read(file, maxFileBytes) is SourceFile.Text) changes.Add(new ChangedFile(Relative(full, file), Added));
            }
            else if (SourceFileReader.Read(file, maxFileBytes) is not SourceFile.Text text || Importer.DocumentHash(text.ContentHash) != hash)
            {
                changes.Add(new ChangedFile(Relative(full, file), Modified));
            }
        }
        foreach (var source in known.Keys)
            if (source.StartsWith(prefix, StringComparison.Ordinal) && !seen.Contains(source) && !File.Exists(source))
                changes.Add(new ChangedFile(Relative(full, source), Deleted));
        var ordered = changes.OrderBy(c => c.Path, StringComparer.Ordinal).ToList();
        return new ChangedFilesReport([.. ordered.Take(limit)], ordered.Count > limit, files.Count);
    }

    private static string Relative(string root, string path) => Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/');
}
