using MiniMe.Memory;

namespace MiniMe.Replay;

/// <summary>
/// The user's memory as a replay sees it: read through to the store, with the recorded run's own use
/// taken back out of the reuse counts (each memory chunk the run's context kept was counted once when
/// it ran, after its retrieval), and nothing written: a replay counts no use and imports nothing.
/// A chunk other runs used since shows its newer count, so the replayed retrieval differs and says so.
/// </summary>
public sealed class ReplayMemoryStore(IMemoryStore inner, IReadOnlySet<long> usedByRun) : IMemoryStore
{
    public Task InitializeAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<IReadOnlyDictionary<string, string>> GetDocumentHashesAsync(CancellationToken cancellationToken) => inner.GetDocumentHashesAsync(cancellationToken);

    public Task<IReadOnlyList<WriteResult>> WriteDocumentsAsync(IReadOnlyList<DocumentWrite> documents, CancellationToken cancellationToken) => throw ReadOnly();

    public Task<int> DeleteDocumentsAsync(IReadOnlyCollection<string> sources, CancellationToken cancellationToken) => throw ReadOnly();

    public Task<IReadOnlyList<DocumentSummary>> ListDocumentsAsync(string? sourcePrefix, CancellationToken cancellationToken) => inner.ListDocumentsAsync(sourcePrefix, cancellationToken);

    public async Task<IReadOnlyList<Candidate>> SearchLexicalAsync(string matchExpression, int limit, SearchFilter filter, Bm25Weights weights, CancellationToken cancellationToken) =>
        AsBefore(await inner.SearchLexicalAsync(matchExpression, limit, filter, weights, cancellationToken).ConfigureAwait(false));

    public async Task<IReadOnlyList<Candidate>> SearchDenseAsync(string model, ReadOnlyMemory<float> query, int limit, SearchFilter filter, CancellationToken cancellationToken) =>
        AsBefore(await inner.SearchDenseAsync(model, query, limit, filter, cancellationToken).ConfigureAwait(false));

    public Task<IReadOnlyList<PendingEmbedding>> GetPendingEmbeddingsAsync(string model, string? afterContentHash, int limit, CancellationToken cancellationToken) =>
        inner.GetPendingEmbeddingsAsync(model, afterContentHash, limit, cancellationToken);

    public Task<long> CountPendingEmbeddingsAsync(string model, CancellationToken cancellationToken) => inner.CountPendingEmbeddingsAsync(model, cancellationToken);

    public Task PutEmbeddingsAsync(string model, IReadOnlyList<(string ContentHash, ReadOnlyMemory<float> Vector)> vectors, CancellationToken cancellationToken) => throw ReadOnly();

    /// <summary>A replay's context counts no use (the original run did).</summary>
    public Task IncrementReuseAsync(IReadOnlyCollection<long> chunkIds, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<MemoryStats> GetStatsAsync(CancellationToken cancellationToken) => inner.GetStatsAsync(cancellationToken);

    /// <summary>The user's store stays open: it belongs to the user's space, not to the replay.</summary>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private List<Candidate> AsBefore(IReadOnlyList<Candidate> candidates) =>
        [.. candidates.Select(c => usedByRun.Contains(c.Chunk.Id) && c.Chunk.ReuseCount > 0
            ? c with { Chunk = c.Chunk with { ReuseCount = c.Chunk.ReuseCount - 1 } }
            : c)];

    private static InvalidOperationException ReadOnly() => new("a replay writes nothing to memory");
}

/// <summary>A clock stopped at the recorded run's moment: what the replay's retrieval (recency) and context cache see as now.</summary>
public sealed class ReplayClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
