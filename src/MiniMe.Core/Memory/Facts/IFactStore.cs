namespace MiniMe.Memory.Facts;

/// <summary>
/// Persistence of facts, their history and the review queue. Every method is one atomic state
/// change, and every change appends history: nothing is deleted except by <see cref="PurgeAsync"/>.
/// The decisions (what is a duplicate, what supersedes what) live in <see cref="FactService"/>.
/// At most one active or pending fact holds a key: a write that would make a second one is refused
/// with <see cref="DuplicateFactException"/>, so two writers racing on the same statement cannot both add it.
/// </summary>
public interface IFactStore : IAsyncDisposable
{
    Task InitializeAsync(CancellationToken cancellationToken);

    Task<Fact?> GetAsync(long id, CancellationToken cancellationToken);

    /// <summary>Facts matching the query, newest first.</summary>
    Task<IReadOnlyList<Fact>> ListAsync(FactQuery query, CancellationToken cancellationToken);

    /// <summary>Active facts matching an FTS match expression, best BM25 first (score: higher is better).</summary>
    Task<IReadOnlyList<FactMatch>> SearchLexicalAsync(string matchExpression, int limit, CancellationToken cancellationToken);

    /// <summary>Active facts with a vector for <paramref name="model"/>, by cosine similarity, best first.</summary>
    Task<IReadOnlyList<FactMatch>> SearchDenseAsync(string model, ReadOnlyMemory<float> query, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Adds a fact: active, or active superseding <see cref="FactInsert.Supersedes"/> (those must be
    /// active; they become superseded), or pending with a review item when <see cref="FactInsert.Review"/> is set.
    /// Refused with <see cref="DuplicateFactException"/> when an active or pending fact other than those superseded has the draft's key.
    /// </summary>
    Task<FactInsertResult> AddAsync(FactInsert insert, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Counts one more sighting of an active or pending fact; <paramref name="observedText"/> goes to history.</summary>
    Task<Fact> ReinforceAsync(long id, string observedText, DateTimeOffset at, CancellationToken cancellationToken) =>
        ReinforceAsync(id, observedText, 0, 0, at, cancellationToken);

    /// <summary>Seen again: the count goes up, and confidence and importance rise to the new statement's when it gives higher ones.</summary>
    Task<Fact> ReinforceAsync(long id, string observedText, double confidence, double importance, DateTimeOffset at, CancellationToken cancellationToken) =>
        ReinforceAsync(id, observedText, confidence, importance, null, at, cancellationToken);

    /// <summary>As above; <paramref name="detail"/> goes to the history entry (where it was seen again: a captured fact's origin).</summary>
    Task<Fact> ReinforceAsync(long id, string observedText, double confidence, double importance, string? detail, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Rewrites an active or pending fact; the previous text goes to history. Refused with <see cref="DuplicateFactException"/> when another active or pending fact has <paramref name="key"/>.</summary>
    Task<Fact> EditAsync(long id, string text, string key, FactEmbedding? embedding, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Marks an active or pending fact retracted (its pending reviews close as rejected).</summary>
    Task<Fact> RetractAsync(long id, string? reason, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Deletes a fact, its history and its reviews for good. False when there was no such fact.</summary>
    Task<bool> PurgeAsync(long id, CancellationToken cancellationToken);

    /// <summary>History of one fact (oldest first), or the latest entries of all facts when <paramref name="factId"/> is null (newest first).</summary>
    Task<IReadOnlyList<FactHistoryEntry>> GetHistoryAsync(long? factId, int limit, CancellationToken cancellationToken);

    Task<IReadOnlyList<FactReview>> ListReviewsAsync(bool pendingOnly, CancellationToken cancellationToken);

    /// <summary>Applies a decision to a pending review atomically.</summary>
    Task<FactReview> ResolveReviewAsync(long reviewId, ReviewDecision decision, DateTimeOffset at, CancellationToken cancellationToken);
}
