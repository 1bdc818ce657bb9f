using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.AI;
using MiniMe.Configuration;
using MiniMe.Masks;
using MiniMe.Memory.Lexical;
using MiniMe.Security;
using MiniMe.Tracing;

namespace MiniMe.Memory.Import;

/// <summary>
/// Imports files and folders into memory: walk (never a secret file or folder, nothing .gitignore
/// excludes), read (skipping binaries, huge and unreadable files), mask secrets inside the text, chunk
/// on paragraphs, write in atomic batches, then embed new chunk texts when an embedding model is
/// configured. Unchanged files (same content hash under the same redaction rules) are skipped, so
/// re-import is idempotent and an interrupted import is finished by the next one. Documents an
/// earlier import stored that are now secret or ignored are removed.
/// </summary>
public sealed class Importer(
    IMemoryStore store,
    ImportOptions options,
    ITaskClassifier classifier,
    IEmbeddingGenerator<string, Embedding<float>>? embeddings = null,
    string? embeddingModel = null)
{
    private const int BatchDocuments = 64;
    private const int BatchChunks = 4000;
    private const int EmbeddingBatch = 32;
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
        var chunker = new ParagraphChunker(options.ChunkChars, options.OverlapChars);
        var batch = new List<DocumentWrite>();
        var batchChunks = 0;

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
                        await FlushAsync(batch, report, cancellationToken).ConfigureAwait(false);
                        batchChunks = 0;
                    }
                    break;
            }
        }
        await FlushAsync(batch, report, cancellationToken).ConfigureAwait(false);

        if (embeddings is not null && embeddingModel is not null)
            report.EmbeddingsComputed = await EmbedPendingAsync(progress, cancellationToken).ConfigureAwait(false);

        report.Elapsed = clock.Elapsed;
        progress?.Report(new ImportProgress(ImportPhase.Done, files.Count, files.Count, null));
        return report;
    }

    /// <summary>Computes vectors for every stored chunk text that has none for the configured model.</summary>
    public async Task<int> EmbedPendingAsync(IProgress<ImportProgress>? progress, CancellationToken cancellationToken)
    {
        if (embeddings is null || embeddingModel is null) return 0;
        var done = 0;
        string? after = null;
        while (true)
        {
            var pending = await store.GetPendingEmbeddingsAsync(embeddingModel, after, EmbeddingBatch, cancellationToken).ConfigureAwait(false);
            if (pending.Count == 0) return done;
            after = pending[^1].ContentHash;
            var vectors = await embeddings.GenerateAsync(pending.Select(p => p.Text), cancellationToken: cancellationToken).ConfigureAwait(false);
            var rows = new List<(string, ReadOnlyMemory<float>)>(pending.Count);
            for (var i = 0; i < pending.Count; i++) rows.Add((pending[i].ContentHash, vectors[i].Vector));
            await store.PutEmbeddingsAsync(embeddingModel, rows, cancellationToken).ConfigureAwait(false);
            done += pending.Count;
            progress?.Report(new ImportProgress(ImportPhase.Embedding, done, 0, null));
        }
    }

    /// <summary>
    /// Removes stored documents the walk now excludes: a secret path under the import root (by the same
    /// patterns, so also inside a secret folder that is gone), or a file or folder skipped as secret or
    /// ignored by .gitignore. An older import may have stored them; retrieval must never return them.
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
        var results = await store.WriteDocumentsAsync(batch, cancellationToken).ConfigureAwait(false);
        foreach (var result in results)
        {
            report.FilesImported++;
            report.ChunksAdded += result.ChunksAdded;
            report.ChunksRemoved += result.ChunksRemoved;
        }
        batch.Clear();
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
