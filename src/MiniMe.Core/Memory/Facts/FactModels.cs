namespace MiniMe.Memory.Facts;

/// <summary>Where a fact came from (SPEC 3.2).</summary>
public enum FactSource
{
    Explicit,
    Conversation,
    Inferred,
}

/// <summary>
/// The life of a fact. Only <see cref="Active"/> facts are retrieved; every other state is history
/// that is kept until the user purges it.
/// </summary>
public enum FactStatus
{
    /// <summary>Believed true and used in retrieval.</summary>
    Active,
    /// <summary>Waiting in the review queue; not used until accepted or kept.</summary>
    Pending,
    /// <summary>Replaced by a newer fact (see <see cref="Fact.SupersededBy"/>).</summary>
    Superseded,
    /// <summary>Forgotten by the user.</summary>
    Retracted,
    /// <summary>A review candidate the user rejected.</summary>
    Rejected,
}

/// <summary>A short statement about the user, as stored.</summary>
public sealed record Fact(
    long Id,
    string Text,
    string Category,
    FactSource Source,
    double Confidence,
    double Importance,
    FactStatus Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset LastSeenAt,
    int SeenCount,
    DateTimeOffset? SupersededAt = null,
    long? SupersededBy = null,
    DateTimeOffset? RetractedAt = null,
    FactOrigin? Origin = null);

/// <summary>
/// Where a captured fact was said (docs/facts.md, "Capture"): a conversation (<paramref name="Kind"/> "conversation",
/// <paramref name="Id"/> the conversation id, <paramref name="MessageId"/> the user's message) or a run
/// ("run", the run id). <paramref name="RunId"/> is the run that captured it (a chat turn is a run too).
/// Plain fields, stored on the fact, so they can be linked to other records later.
/// </summary>
public sealed record FactOrigin(string Kind, string Id, string? MessageId, string? RunId)
{
    public const string Conversation = "conversation";
    public const string Run = "run";

    public static FactOrigin ForConversation(string conversationId, long messageId, string runId) =>
        new(Conversation, conversationId, messageId.ToString(System.Globalization.CultureInfo.InvariantCulture), runId);

    public static FactOrigin ForRun(string runId) => new(Run, runId, null, runId);

    /// <summary>"conversation c-1 message 4 (run r-2)", "run r-2".</summary>
    public override string ToString() =>
        Kind + " " + Id + (MessageId is { } m ? " message " + m : "") + (RunId is { } r && r != Id ? $" (run {r})" : "");
}

/// <summary>A fact to write. <paramref name="Key"/> is the normalized text used to find exact duplicates.</summary>
public sealed record FactDraft(string Text, string Key, string Category, FactSource Source, double Confidence, double Importance, FactOrigin? Origin = null);

/// <summary>A fact's vector under one embedding model.</summary>
public sealed record FactEmbedding(string Model, ReadOnlyMemory<float> Vector);

/// <summary>A fact found by a search, higher score is better.</summary>
public sealed record FactMatch(Fact Fact, double Score);

/// <summary>Which facts to list. Null members do not filter.</summary>
public sealed record FactQuery(
    string? Category = null,
    IReadOnlyList<FactStatus>? Statuses = null,
    string? Key = null,
    int Limit = 1000);

/// <summary>Kinds of change recorded in a fact's history.</summary>
public enum FactChange
{
    Created,
    Queued,
    Reinforced,
    Edited,
    Superseded,
    Retracted,
    Accepted,
    KeptBoth,
    Rejected,
}

/// <summary>
/// One entry of a fact's history. <paramref name="Text"/> is the text the change concerned: the
/// wording seen again for a reinforcement, the previous wording for an edit.
/// </summary>
public sealed record FactHistoryEntry(long Id, long FactId, FactChange Change, DateTimeOffset At, string? Text, long? RelatedFactId, string? Detail);

/// <summary>Why a new fact was queued for review against an existing one.</summary>
public enum FactReviewKind
{
    /// <summary>Possibly the same fact in other words.</summary>
    Duplicate,
    /// <summary>Possibly contradicts the existing fact.</summary>
    Contradiction,
    /// <summary>Captured from a conversation or run (facts.capture), waiting for the user's confirmation; may have no existing fact.</summary>
    Captured,
}

public enum FactReviewStatus
{
    Pending,
    Accepted,
    KeptBoth,
    Rejected,
}

/// <summary>The user's answer to a review item.</summary>
public enum ReviewDecision
{
    /// <summary>The candidate replaces the existing fact (which is kept as superseded history).</summary>
    Accept,
    /// <summary>Both facts stay active.</summary>
    KeepBoth,
    /// <summary>The candidate is rejected (kept as rejected history); the existing fact is unchanged.</summary>
    Reject,
}

/// <summary>
/// A candidate fact (status Pending) waiting for a decision against an existing fact.
/// <paramref name="ExistingId"/> is null when the existing fact was purged since.
/// </summary>
public sealed record FactReview(
    long Id,
    long CandidateId,
    long? ExistingId,
    FactReviewKind Kind,
    string Reason,
    double Confidence,
    FactReviewStatus Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ResolvedAt);

/// <summary>What to queue alongside a new pending fact.</summary>
public sealed record ReviewRequest(long? ExistingId, FactReviewKind Kind, string Reason, double Confidence);

/// <summary>
/// How a new fact enters the store: active on its own, active superseding others, or pending review.
/// </summary>
public sealed record FactInsert(FactDraft Draft, FactEmbedding? Embedding, IReadOnlyList<long> Supersedes, ReviewRequest? Review, string? Reason)
{
    public static FactInsert Active(FactDraft draft, FactEmbedding? embedding) => new(draft, embedding, [], null, null);
}

/// <summary>The stored fact and, when it was queued, its review item.</summary>
public sealed record FactInsertResult(Fact Fact, FactReview? Review);

/// <summary>A state change raced with another writer (the fact is no longer in the state the change needs).</summary>
public sealed class FactStateException(string message) : MiniMeException(ErrorCategory.Conflict, message);

/// <summary>
/// A write would give a second active or pending fact the key <paramref name="existingId"/> already holds:
/// another writer stored the same statement first.
/// </summary>
public sealed class DuplicateFactException(long existingId)
    : MiniMeException(ErrorCategory.Conflict, $"Fact #{existingId} already says that.")
{
    public long ExistingId { get; } = existingId;
}
