using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using MiniMe.Configuration;
using MiniMe.Masks;
using MiniMe.Memory.Lexical;
using MiniMe.Security;
using MiniMe.Tracing;

namespace MiniMe.Memory.Import;

/// <summary>
/// Imports files and folders into memory: walk (never a secret file or folder, nothing .gitignore
/// or .minimeignore excludes), read (skipping binaries, huge and unreadable files), mask secrets inside the text, chunk
/// on paragraphs, write in atomic batches. Text only: vectors are filled in afterwards
/// (<see cref="Vectors.VectorBackfill"/>), so lexical search never waits for a model. Unchanged files (same content hash under the same redaction rules) are skipped, so
/// re-import is idempotent and an interrupted import is finished by the next one. Documents an
/// earlier import stored that are now secret or ignored are removed, and so are those under an
/// imported folder whose files are gone.
/// </summary>
public sealed class Importer(
    IMemoryStore store,
    ImportOptions options,
    ITaskClassifier classifier)
{
    private const int BatchDocuments = 64;
    private const int BatchChunks = 4000;
    private const int DomainSampleChars = 8000;

    private static readonly HashSet<string> MarkdownExtensions = new(StringComparer.OrdinalIgnoreCase) { ".md", ".markdown", ".mdx" };

    public async Task<ImportReport> ImportAsync(ImportRequest request, IProgress<ImportProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var clock = Stopwatch.StartNew();
        var report = new ImportReport();
        progress?.Report(new ImportProgress(ImportPhase.Scanning, 0, 0, request.Path));
        var files = SourceWalker.ListFiles(request.Path, options.IgnoreDirectories, report.Walk);
        foreach (var (path, reason) in report.Walk.UnreadableDirectories) report.Problems.Add((path, reason));

        var tags = NormalizeTags(request.Tags);
        var known = await store.GetDocumentHashesAsync(cancellationToken).ConfigureAwait(false);
        await RemoveExcludedAsync(request.Path, known, report, cancellationToken).ConfigureAwait(false);
        await PruneGoneAsync(request.Path, known, files, report, cancellationToken).ConfigureAwait(false);
        var chunker = new ParagraphChunker(options.ChunkChars, options.OverlapChars);
        var batch = new List<DocumentWrite>();
        var batchChunks = 0;
        var writer = new BatchWriter(store, report);
        try
        {
            foreach (var path in files)
            {
                cancellationToken.ThrowIfCancellationRequested();
                report.FilesSeen++;
                progress?.Report(new ImportProgress(ImportPhase.Reading, report.FilesSeen, files.Count, path));
                switch (SourceFileReader.Read(path, options.MaxFileBytes))
                {
                    case SourceFile.Skipped skipped:
                        Count(report, skipped);
                        break;
                    case SourceFile.Text text when known.TryGetValue(text.Path, out var hash) && hash == DocumentHash(text.ContentHash):
                        report.FilesUnchanged++;
                        break;
                    case SourceFile.Text text:
                        if (text.DecodedAsLatin1) report.DecodedAsLatin1++;
                        var write = BuildWrite(text, chunker, request.Domain, tags, report);
                        batch.Add(write);
                        batchChunks += write.Chunks.Count;
                        if (batch.Count >= BatchDocuments || batchChunks >= BatchChunks)
                        {
                            await writer.SubmitAsync(batch, cancellationToken).ConfigureAwait(false);
                            batchChunks = 0;
                        }
                        break;
                }
            }
            await writer.SubmitAsync(batch, cancellationToken).ConfigureAwait(false);
            await writer.DrainAsync().ConfigureAwait(false);
        }
        catch
        {
            // Never leave a write running behind the caller (who may dispose the store): it commits or rolls back first.
            await writer.AbandonAsync().ConfigureAwait(false);
            throw;
        }

        report.Elapsed = clock.Elapsed;
        progress?.Report(new ImportProgress(ImportPhase.Done, files.Count, files.Count, null));
        return report;
    }

    /// <summary>
    /// Removes stored documents the walk now excludes: a secret path under the import root (by the same
    /// patterns, so also inside a secret folder that is gone), or a file or folder skipped as secret or
    /// ignored by .gitignore or .minimeignore. An older import may have stored them; retrieval must never return them.
    /// </summary>
    private async Task RemoveExcludedAsync(string path, IReadOnlyDictionary<string, string> known, ImportReport report, CancellationToken cancellationToken)
    {
        var root = Path.GetFullPath(path);
        var walk = report.Walk;
        var files = walk.SecretFiles.Concat(walk.GitIgnoredFiles).Select(s => s.Path).ToHashSet(StringComparer.Ordinal);
        var folders = walk.SecretDirectories.Concat(walk.GitIgnoredDirectories).Select(s => s.Path.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar).ToList();
        var rootPrefix = root.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        var excluded = known.Keys.Where(source =>
                files.Contains(source) ||
                folders.Any(f => source.StartsWith(f, StringComparison.Ordinal)) ||
                (source.StartsWith(rootPrefix, StringComparison.Ordinal) && SecretPaths.IsSecret(Path.GetRelativePath(root, source).Replace('\\', '/'))))
            .Order(StringComparer.Ordinal)
            .ToList();
        if (excluded.Count == 0) return;
        report.ChunksRemoved += await store.DeleteDocumentsAsync(excluded, cancellationToken).ConfigureAwait(false);
        report.DocumentsRemoved.AddRange(excluded);
    }

    /// <summary>
    /// Removes stored documents under an imported folder whose files are gone (deleted or moved away).
    /// Only a file the file system says does not exist counts: nothing under a folder the walk could
    /// not read, nothing it can no longer stat for lack of permission, nothing behind a symlinked
    /// folder the walk skipped (the file is still there). A single-file import prunes nothing.
    /// </summary>
    private async Task PruneGoneAsync(string path, IReadOnlyDictionary<string, string> known, IReadOnlyCollection<string> walked, ImportReport report, CancellationToken cancellationToken)
    {
        var root = Path.GetFullPath(path);
        if (!Directory.Exists(root)) return;
        var removed = report.DocumentsRemoved.ToHashSet(StringComparer.Ordinal);
        var gone = GoneDocuments(root, known.Keys.Where(s => !removed.Contains(s)), walked, report.Walk, IsGone);
        if (gone.Count == 0) return;
        report.ChunksRemoved += await store.DeleteDocumentsAsync(gone, cancellationToken).ConfigureAwait(false);
        report.DocumentsPruned.AddRange(gone);
    }

    /// <summary>The stored sources under <paramref name="root"/> to prune: not walked, not under an unreadable folder, and gone by <paramref name="isGone"/>.</summary>
    internal static List<string> GoneDocuments(string root, IEnumerable<string> stored, IReadOnlyCollection<string> walked, WalkCounts walk, Func<string, bool> isGone)
    {
        var rootPrefix = FolderPrefix(root);
        var seen = walked.ToHashSet(StringComparer.Ordinal);
        var unreadable = walk.UnreadableDirectories.Select(u => FolderPrefix(u.Path)).ToList();
        return stored
            .Where(source => source.StartsWith(rootPrefix, StringComparison.Ordinal)
                && !seen.Contains(source)
                && !unreadable.Any(u => source.StartsWith(u, StringComparison.Ordinal))
                && isGone(source))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>True only when the path does not exist (or is now a folder); any other failure to look keeps the document.</summary>
    internal static bool IsGone(string path)
    {
        try
        {
            return (File.GetAttributes(path) & FileAttributes.Directory) != 0;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static string FolderPrefix(string folder) => folder.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;

    /// <summary>
    /// Brings memory in step with files changed outside an import (an approved tool action wrote,
    /// patched or deleted them). A path under <paramref name="root"/> is re-imported when it is a
    /// stored document, or when a stored document lies directly in its folder or in a folder above it
    /// below <paramref name="root"/> (memory keeps no list of imported folders, so that stands for
    /// "under a folder that was imported"). A new file keeps the rules of a walk from
    /// <paramref name="root"/> (secrets, ignored folders, .gitignore, .minimeignore) and gets a guessed
    /// domain and no tags; a stored one keeps its domain and tags. A path that is gone, now excluded,
    /// binary or too large is removed from memory; an unreadable one is kept as it was.
    /// </summary>
    public async Task<ImportReport> RefreshFilesAsync(IReadOnlyCollection<string> paths, string root, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        var report = new ImportReport();
        var scope = Path.GetFullPath(root);
        var scopePrefix = FolderPrefix(scope);
        var known = await store.GetDocumentHashesAsync(cancellationToken).ConfigureAwait(false);
        var folders = known.Keys.Select(Path.GetDirectoryName).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var chunker = new ParagraphChunker(options.ChunkChars, options.OverlapChars);
        var gone = new List<string>();
        var excluded = new List<string>();
        var batch = new List<DocumentWrite>();
        foreach (var path in paths.Select(Path.GetFullPath).Distinct(StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!path.StartsWith(scopePrefix, StringComparison.Ordinal)) continue;
            var stored = known.ContainsKey(path);
            if (!File.Exists(path))
            {
                if (stored && IsGone(path)) gone.Add(path);
                continue;
            }
            if (SourceWalker.Exclusion(path, scope, options.IgnoreDirectories) is not null)
            {
                if (stored) excluded.Add(path);
                continue;
            }
            if (!stored && !UnderImportedFolder(path, scope, folders)) continue;
            report.FilesSeen++;
            switch (SourceFileReader.Read(path, options.MaxFileBytes))
            {
                case SourceFile.Skipped { Reason: SkipReason.Unreadable } skipped:
                    Count(report, skipped);
                    break;
                case SourceFile.Skipped skipped:
                    Count(report, skipped);
                    if (stored) excluded.Add(path);
                    break;
                case SourceFile.Text text when known.TryGetValue(text.Path, out var hash) && hash == DocumentHash(text.ContentHash):
                    report.FilesUnchanged++;
                    break;
                case SourceFile.Text text:
                    if (text.DecodedAsLatin1) report.DecodedAsLatin1++;
                    var previous = stored ? (await store.ListDocumentsAsync(path, cancellationToken).ConfigureAwait(false)).FirstOrDefault(d => d.Source == path) : null;
                    batch.Add(BuildWrite(text, chunker, previous?.Domain, previous?.Tags ?? [], report));
                    break;
            }
        }
        if (gone.Count > 0)
        {
            report.ChunksRemoved += await store.DeleteDocumentsAsync(gone, cancellationToken).ConfigureAwait(false);
            report.DocumentsPruned.AddRange(gone);
        }
        if (excluded.Count > 0)
        {
            report.ChunksRemoved += await store.DeleteDocumentsAsync(excluded, cancellationToken).ConfigureAwait(false);
            report.DocumentsRemoved.AddRange(excluded);
        }
        await FlushAsync(batch, report, cancellationToken).ConfigureAwait(false);
        return report;
    }

    /// <summary>A stored document lies in the file's folder, or in a folder above it that is still below the scope root.</summary>
    private static bool UnderImportedFolder(string path, string scope, HashSet<string> documentFolders)
    {
        var folder = Path.GetDirectoryName(path);
        if (folder is null) return false;
        if (documentFolders.Contains(folder)) return true;
        var scopePrefix = FolderPrefix(scope);
        for (var above = Path.GetDirectoryName(folder); above is not null && above.StartsWith(scopePrefix, StringComparison.Ordinal); above = Path.GetDirectoryName(above))
            if (documentFolders.Contains(above)) return true;
        return false;
    }

    /// <summary>
    /// The hash stored for a document: its bytes and the redaction rule set, so a document stored before
    /// the rules changed (or before redaction existed) is read and redacted again on the next import.
    /// </summary>
    internal static string DocumentHash(string fileHash) => HashText(fileHash + "\n" + SecretRedactor.RuleSetVersion);

    private DocumentWrite BuildWrite(SourceFile.Text text, ParagraphChunker chunker, string? domain, IReadOnlyList<string> tags, ImportReport report)
    {
        // Redact the whole text before chunking: a key split across two chunks would escape a per-chunk pass.
        var content = SecretRedactor.RedactText(text.Content);
        if (!ReferenceEquals(content, text.Content)) report.FilesRedacted++;
        var spans = chunker.Chunk(content, MarkdownExtensions.Contains(Path.GetExtension(text.Path)));
        var chunks = new List<ChunkRecord>(spans.Count);
        for (var i = 0; i < spans.Count; i++)
        {
            var span = spans[i];
            var chunkText = content[span.Start..span.End];
            chunks.Add(new ChunkRecord(
                Ordinal: i,
                StartOffset: span.Start,
                EndOffset: span.End,
                Text: chunkText,
                ContentHash: HashText(chunkText),
                Heading: span.Heading,
                Title: SymbolExtractor.ChunkTitle(text.Path, span.Heading),
                Symbols: SymbolExtractor.Extract(chunkText)));
        }
        var documentDomain = domain ?? classifier.Classify(content.Length > DomainSampleChars ? content[..DomainSampleChars] : content).Domain;
        var document = new DocumentRecord(text.Path, DocumentHash(text.ContentHash), text.SizeBytes, text.ModifiedAt, documentDomain, tags);
        return new DocumentWrite(document, chunks);
    }

    private async Task FlushAsync(List<DocumentWrite> batch, ImportReport report, CancellationToken cancellationToken)
    {
        if (batch.Count == 0) return;
        Record(report, await store.WriteDocumentsAsync(batch, cancellationToken).ConfigureAwait(false));
        batch.Clear();
    }

    private static void Record(ImportReport report, IReadOnlyList<WriteResult> results)
    {
        foreach (var result in results)
        {
            report.FilesImported++;
            report.ChunksAdded += result.ChunksAdded;
            report.ChunksRemoved += result.ChunksRemoved;
        }
    }

    /// <summary>
    /// Writes an import's batches one at a time, in order, while the next batch is being read and chunked
    /// (the store's write is synchronous work, so it runs on the thread pool): with two cores an import
    /// costs about the larger of reading and writing rather than their sum. Results are recorded on the
    /// importing flow when the write is awaited, never from the writing thread.
    /// </summary>
    private sealed class BatchWriter(IMemoryStore store, ImportReport report)
    {
        private Task<IReadOnlyList<WriteResult>>? _pending;

        /// <summary>Waits for the write in flight, then starts writing <paramref name="batch"/> (copied; the list is cleared).</summary>
        public async Task SubmitAsync(List<DocumentWrite> batch, CancellationToken cancellationToken)
        {
            await DrainAsync().ConfigureAwait(false);
            if (batch.Count == 0) return;
            DocumentWrite[] documents = [.. batch];
            batch.Clear();
            cancellationToken.ThrowIfCancellationRequested();
            // A batch handed over is written whole even if the import is cancelled meanwhile (as when writes were
            // inline): what was read before Ctrl+C is kept, and the next import skips it.
            _pending = Task.Run(() => store.WriteDocumentsAsync(documents, CancellationToken.None), CancellationToken.None);
        }

        /// <summary>Waits for the write in flight and records it; its failure surfaces here.</summary>
        public async Task DrainAsync()
        {
            if (_pending is not { } pending) return;
            _pending = null;
            Record(report, await pending.ConfigureAwait(false));
        }

        /// <summary>On the way out of a failed import: waits for the write in flight, keeping the first failure.</summary>
        public async Task AbandonAsync()
        {
            try
            {
                await DrainAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException or MiniMeException or System.Data.Common.DbException)
            {
                // The import is already failing with the exception that brought it here.
            }
        }
    }

    private static void Count(ImportReport report, SourceFile.Skipped skipped)
    {
        switch (skipped.Reason)
        {
            case SkipReason.Binary:
                report.SkippedBinary++;
                break;
            case SkipReason.TooLarge:
                report.SkippedTooLarge++;
                report.Problems.Add((skipped.Path, skipped.Detail));
                break;
            case SkipReason.Unreadable:
                report.SkippedUnreadable++;
                report.Problems.Add((skipped.Path, skipped.Detail));
                break;
        }
    }

    internal static string HashText(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>Trims, lower-cases and de-duplicates tags; commas are separators, never part of a tag.</summary>
    public static IReadOnlyList<string> NormalizeTags(IReadOnlyList<string>? tags) =>
        tags is null ? [] :
        tags.SelectMany(t => t.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(t => t.ToLowerInvariant())
            .Distinct(StringComparer.Ordinal)
            .ToList();
}
