namespace MiniMe.Memory.Migration;

public enum MigrationPhase { Documents, Embeddings, Verifying }

public sealed record MigrationProgress(MigrationPhase Phase, long Done, long Total);

/// <summary>What a migration copied and whether the target now holds exactly the source's memory.</summary>
public sealed record MigrationReport(MemoryDigest Source, MemoryDigest Target, TimeSpan Elapsed)
{
    public bool Verified => Source == Target;
}

/// <summary>A migration that cannot start or whose result does not match its source.</summary>
public sealed class MigrationException(string message, Exception? inner = null) : MiniMeException(ErrorCategory.Conflict, message, inner);

/// <summary>
/// Copies every document, chunk and vector of one store into another with full fidelity, then
/// re-reads the target and compares counts and checksums. Documents replace their namesakes, so a
/// re-run (after an interruption or a later import into the source) converges on the same result.
/// </summary>
public static class MemoryMigrator
{
    private const int BatchDocuments = 64;
    private const int BatchChunks = 4000;
    private const int BatchEmbeddings = 1000;

    public static async Task<MigrationReport> MigrateAsync<TSource, TTarget>(
        TSource source, TTarget target, IProgress<MigrationProgress>? progress, CancellationToken cancellationToken)
        where TSource : IMemoryStore, IMemoryExport
        where TTarget : IMemoryStore, IMemoryExport, IMemoryImport
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await RefuseForeignDocumentsAsync(source, target, cancellationToken).ConfigureAwait(false);
        var totals = await source.GetStatsAsync(cancellationToken).ConfigureAwait(false);

        using var digest = new MemoryDigest.Builder();
        var batch = new List<ExportedDocument>();
        var batchChunks = 0;
        long documents = 0;
        await foreach (var document in source.ExportDocumentsAsync(cancellationToken).ConfigureAwait(false))
        {
            digest.Add(document);
            batch.Add(document);
            batchChunks += document.Chunks.Count;
            if (batch.Count < BatchDocuments && batchChunks < BatchChunks) continue;
            documents += await FlushAsync(target, batch, cancellationToken).ConfigureAwait(false);
            batchChunks = 0;
            progress?.Report(new MigrationProgress(MigrationPhase.Documents, documents, totals.Documents));
        }
        documents += await FlushAsync(target, batch, cancellationToken).ConfigureAwait(false);
        progress?.Report(new MigrationProgress(MigrationPhase.Documents, documents, totals.Documents));

        var vectors = new List<ExportedEmbedding>(BatchEmbeddings);
        long embeddings = 0;
        await foreach (var embedding in source.ExportEmbeddingsAsync(cancellationToken).ConfigureAwait(false))
        {
            digest.Add(embedding);
            vectors.Add(embedding);
            if (vectors.Count < BatchEmbeddings) continue;
            embeddings += await FlushAsync(target, vectors, cancellationToken).ConfigureAwait(false);
            progress?.Report(new MigrationProgress(MigrationPhase.Embeddings, embeddings, totals.Embeddings));
        }
        embeddings += await FlushAsync(target, vectors, cancellationToken).ConfigureAwait(false);
        progress?.Report(new MigrationProgress(MigrationPhase.Embeddings, embeddings, totals.Embeddings));

        progress?.Report(new MigrationProgress(MigrationPhase.Verifying, 0, 1));
        var targetDigest = await MemoryDigest.ComputeAsync(target, cancellationToken).ConfigureAwait(false);
        progress?.Report(new MigrationProgress(MigrationPhase.Verifying, 1, 1));
        return new MigrationReport(digest.Build(), targetDigest, clock.Elapsed);
    }

    /// <summary>A target with documents the source lacks would never verify; refuse before writing anything.</summary>
    private static async Task RefuseForeignDocumentsAsync(IMemoryStore source, IMemoryStore target, CancellationToken cancellationToken)
    {
        var ours = await source.GetDocumentHashesAsync(cancellationToken).ConfigureAwait(false);
        var theirs = await target.GetDocumentHashesAsync(cancellationToken).ConfigureAwait(false);
        var foreign = theirs.Keys.Where(k => !ours.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        if (foreign.Count > 0)
            throw new MigrationException(
                $"the target already holds {foreign.Count} document(s) that are not in the source (first: {foreign[0]}); migrate into an empty database");
    }

    private static async Task<int> FlushAsync(IMemoryImport target, List<ExportedDocument> batch, CancellationToken cancellationToken)
    {
        if (batch.Count == 0) return 0;
        await target.ImportDocumentsAsync(batch.ToList(), cancellationToken).ConfigureAwait(false);
        var count = batch.Count;
        batch.Clear();
        return count;
    }

    private static async Task<int> FlushAsync(IMemoryImport target, List<ExportedEmbedding> batch, CancellationToken cancellationToken)
    {
        if (batch.Count == 0) return 0;
        await target.ImportEmbeddingsAsync(batch.ToList(), cancellationToken).ConfigureAwait(false);
        var count = batch.Count;
        batch.Clear();
        return count;
    }
}
