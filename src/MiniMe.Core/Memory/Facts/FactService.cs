using System.Numerics.Tensors;
using Microsoft.Extensions.AI;
using MiniMe.Configuration;
using MiniMe.Memory.Lexical;

namespace MiniMe.Memory.Facts;

/// <summary>
/// A statement to remember. <paramref name="Origin"/> says where it was said (captured facts). With
/// <paramref name="HoldReason"/> a new statement is not stored as active: it waits in the review queue with that
/// reason (a contradiction waits too, instead of superseding); a repetition of a known fact still reinforces it.
/// </summary>
public sealed record RememberRequest(
    string Text,
    string? Category = null,
    FactSource Source = FactSource.Explicit,
    double Confidence = 1.0,
    double Importance = 0.5,
    FactOrigin? Origin = null,
    string? HoldReason = null)
{
    /// <summary>
    /// Where the statement came from in the evidence graph when <see cref="Origin"/> does not say (a run, a message of
    /// another source); null: the origin's node (the message, else the run), else the user.
    /// </summary>
    public MiniMe.Evidence.EvidenceNode? Evidence { get; init; }
}

public enum RememberOutcome
{
    /// <summary>New and unrelated to anything known: stored as active.</summary>
    Added,
    /// <summary>Already known: the known fact's count and last-seen time went up, no new row.</summary>
    Reinforced,
    /// <summary>Contradicts known facts with high confidence: stored as active, the known ones superseded.</summary>
    Superseded,
    /// <summary>Related to a known fact, but not surely: stored as pending, waiting in the review queue.</summary>
    Queued,
}

/// <summary>What remembering did. <paramref name="Related"/> are the known facts it was matched with.</summary>
public sealed record RememberResult(RememberOutcome Outcome, Fact Fact, IReadOnlyList<Fact> Related, FactReview? Review, string? Reason);

/// <summary>A review item with both statements.</summary>
public sealed record ReviewItem(FactReview Review, Fact Candidate, Fact? Existing);

/// <summary>
/// Facts about the user: remember (with duplicate and contradiction handling), edit, forget, purge,
/// history and the review queue. Nothing is lost silently: a duplicate reinforces the known fact and
/// records the wording in its history, a contradiction supersedes (the old fact stays as history),
/// and anything uncertain waits for the user in the review queue.
/// </summary>
public sealed class FactService(
    IFactStore store,
    FactOptions options,
    IEmbeddingGenerator<string, Embedding<float>>? embeddings = null,
    string? embeddingModel = null,
    TimeProvider? time = null,
    MiniMe.Evidence.IEvidenceGraph? evidence = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    private bool UsesVectors => embeddings is not null && embeddingModel is not null;

    public async Task<RememberResult> RememberAsync(RememberRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var text = ValidText(request.Text);
        var category = request.Category is null ? null : FactText.NormalizeCategory(request.Category);
        if (request.Confidence is < 0 or > 1 || double.IsNaN(request.Confidence))
            throw new InvalidInputException($"confidence must be between 0 and 1 (got {request.Confidence}).");
        if (request.Importance is < 0 or > 1 || double.IsNaN(request.Importance))
            throw new InvalidInputException($"importance must be between 0 and 1 (got {request.Importance}).");
        var features = FactFeatures.Analyze(text);
        try
        {
            return await RememberOnceAsync(request, text, category, features, cancellationToken).ConfigureAwait(false);
        }
        catch (DuplicateFactException)
        {
            // Another writer stored the same statement between the look-up and the write: now it is a sighting of theirs.
            return await RememberOnceAsync(request, text, category, features, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<RememberResult> RememberOnceAsync(RememberRequest request, string text, string? category, FactFeatures features, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();

        // The same statement again, even one still waiting for review, is a sighting, not a new fact.
        var same = await store.ListAsync(new FactQuery(Key: features.Key, Statuses: [FactStatus.Active, FactStatus.Pending], Limit: 1), cancellationToken).ConfigureAwait(false);
        var seenIn = request.Origin is { } origin ? "seen again in " + origin : null;
        if (same.Count > 0)
        {
            var reinforced = await store.ReinforceAsync(same[0].Id, text, request.Confidence, request.Importance, seenIn, now, cancellationToken).ConfigureAwait(false);
            return await RecordedAsync(new RememberResult(RememberOutcome.Reinforced, reinforced, [reinforced], null, "same statement"), request, cancellationToken).ConfigureAwait(false);
        }

        var vector = UsesVectors
            ? await embeddings!.GenerateVectorAsync(text, cancellationToken: cancellationToken).ConfigureAwait(false)
            : (ReadOnlyMemory<float>?)null;
        var judged = await JudgeAgainstKnownAsync(text, features, vector, cancellationToken).ConfigureAwait(false);

        var duplicate = judged
            .Where(j => j.Relation.Kind == FactRelationKind.Duplicate && j.Relation.Confidence >= options.ReinforceConfidence)
            .OrderByDescending(j => j.Relation.Confidence).FirstOrDefault();
        if (duplicate is not null)
        {
            var reinforced = await store.ReinforceAsync(duplicate.Known.Id, text, request.Confidence, request.Importance, seenIn, now, cancellationToken).ConfigureAwait(false);
            return await RecordedAsync(new RememberResult(RememberOutcome.Reinforced, reinforced, [reinforced], null, duplicate.Relation.Reason), request, cancellationToken).ConfigureAwait(false);
        }

        // Without an explicit category, a fact that replaces or may repeat a known one takes its category.
        FactDraft Draft(Fact? related) =>
            new(text, features.Key, category ?? related?.Category ?? FactText.DefaultCategory, request.Source, request.Confidence, request.Importance, request.Origin);
        var embedding = vector is { } v ? new FactEmbedding(embeddingModel!, v) : null;
        var contradicted = judged
            .Where(j => j.Relation.Kind == FactRelationKind.Contradiction && j.Relation.Confidence >= options.SupersedeConfidence)
            .ToList();
        if (contradicted.Count > 0 && request.HoldReason is { } held)
        {
            var first = contradicted[0];
            var reason = $"{held}; #{first.Known.Id}: {first.Relation.Reason}";
            var review = new ReviewRequest(first.Known.Id, FactReviewKind.Contradiction, reason, first.Relation.Confidence);
            var queued = await store.AddAsync(new FactInsert(Draft(first.Known), embedding, [], review, reason), now, cancellationToken).ConfigureAwait(false);
            return new RememberResult(RememberOutcome.Queued, queued.Fact, [first.Known], queued.Review, reason);
        }
        if (contradicted.Count > 0)
        {
            var reason = string.Join("; ", contradicted.Select(c => $"#{c.Known.Id}: {c.Relation.Reason}"));
            var added = await store.AddAsync(new FactInsert(Draft(contradicted[0].Known), embedding, [.. contradicted.Select(c => c.Known.Id)], null, reason), now, cancellationToken).ConfigureAwait(false);
            return await RecordedAsync(new RememberResult(RememberOutcome.Superseded, added.Fact, [.. contradicted.Select(c => c.Known)], null, reason), request, cancellationToken).ConfigureAwait(false);
        }

        var uncertain = judged
            .Where(j => j.Relation.Kind != FactRelationKind.Unrelated && j.Relation.Confidence >= options.ReviewConfidence)
            .OrderByDescending(j => j.Relation.Kind == FactRelationKind.Contradiction)
            .ThenByDescending(j => j.Relation.Confidence)
            .FirstOrDefault();
        if (uncertain is not null)
        {
            var kind = uncertain.Relation.Kind == FactRelationKind.Contradiction ? FactReviewKind.Contradiction : FactReviewKind.Duplicate;
            var review = new ReviewRequest(uncertain.Known.Id, kind, uncertain.Relation.Reason, uncertain.Relation.Confidence);
            var queued = await store.AddAsync(new FactInsert(Draft(uncertain.Known), embedding, [], review, uncertain.Relation.Reason), now, cancellationToken).ConfigureAwait(false);
            return await RecordedAsync(new RememberResult(RememberOutcome.Queued, queued.Fact, [uncertain.Known], queued.Review, uncertain.Relation.Reason), request, cancellationToken).ConfigureAwait(false);
        }

        if (request.HoldReason is { } hold)
        {
            var review = new ReviewRequest(null, FactReviewKind.Captured, hold, request.Confidence);
            var queued = await store.AddAsync(new FactInsert(Draft(null), embedding, [], review, hold), now, cancellationToken).ConfigureAwait(false);
            return new RememberResult(RememberOutcome.Queued, queued.Fact, [], queued.Review, hold);
        }

        var fresh = await store.AddAsync(FactInsert.Active(Draft(null), embedding), now, cancellationToken).ConfigureAwait(false);
        return await RecordedAsync(new RememberResult(RememberOutcome.Added, fresh.Fact, [], null, null), request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// How close <paramref name="text"/> is to what is already known, 0-1: 1 for the same statement (active or
    /// pending), else the highest confidence with which the duplicate rules (<see cref="FactJudge"/>: word overlap,
    /// and cosine with embeddings) take an active fact for the same statement; 0 when none is related. A
    /// contradiction is not similarity: it is new information. Capture's novelty is 1 minus this.
    /// </summary>
    public async Task<double> KnownSimilarityAsync(string text, CancellationToken cancellationToken)
    {
        var normalized = ValidText(text);
        var features = FactFeatures.Analyze(normalized);
        var same = await store.ListAsync(new FactQuery(Key: features.Key, Statuses: [FactStatus.Active, FactStatus.Pending], Limit: 1), cancellationToken).ConfigureAwait(false);
        if (same.Count > 0) return 1.0;
        var vector = UsesVectors
            ? await embeddings!.GenerateVectorAsync(normalized, cancellationToken: cancellationToken).ConfigureAwait(false)
            : (ReadOnlyMemory<float>?)null;
        var judged = await JudgeAgainstKnownAsync(normalized, features, vector, cancellationToken).ConfigureAwait(false);
        return judged.Where(j => j.Relation.Kind == FactRelationKind.Duplicate).Select(j => j.Relation.Confidence).DefaultIfEmpty(0).Max();
    }

    /// <summary>
    /// The evidence of what remembering did (docs/evidence.md): the fact derived_from its origin (the request's, else the
    /// user), and a fact that supersedes known ones supersedes and contradicts each; one queued as a possible contradiction
    /// contradicts the known fact. Best effort: the fact is stored whatever happens here.
    /// </summary>
    private async Task<RememberResult> RecordedAsync(RememberResult result, RememberRequest request, CancellationToken cancellationToken)
    {
        if (evidence is null) return result;
        var fact = MiniMe.Evidence.EvidenceNode.Fact(result.Fact.Id);
        var at = _time.GetUtcNow();
        var edges = new List<MiniMe.Evidence.EvidenceEdge>
        {
            new(fact, MiniMe.Evidence.EvidenceRelations.DerivedFrom, request.Evidence ?? OriginNode(request.Origin) ?? evidence.Owner, at, FactCodes.Code(request.Source)),
        };
        if (result.Outcome == RememberOutcome.Superseded)
            foreach (var old in result.Related)
            {
                edges.Add(new(fact, MiniMe.Evidence.EvidenceRelations.Supersedes, MiniMe.Evidence.EvidenceNode.Fact(old.Id), at, null));
                edges.Add(new(fact, MiniMe.Evidence.EvidenceRelations.Contradicts, MiniMe.Evidence.EvidenceNode.Fact(old.Id), at, Reason(result.Reason)));
            }
        if (result is { Outcome: RememberOutcome.Queued, Review: { Kind: FactReviewKind.Contradiction } review })
            edges.Add(new(fact, MiniMe.Evidence.EvidenceRelations.Contradicts, MiniMe.Evidence.EvidenceNode.Fact(review.ExistingId ?? result.Related[0].Id), at, Reason(result.Reason)));
        await evidence.RecordAsync(edges, cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>A captured fact's node: the message it was said in, else the run it was captured from.</summary>
    private static MiniMe.Evidence.EvidenceNode? OriginNode(FactOrigin? origin) => origin switch
    {
        { MessageId: { } message } => MiniMe.Evidence.EvidenceNode.Message(message),
        { RunId: { } run } => MiniMe.Evidence.EvidenceNode.Run(run),
        { Kind: FactOrigin.Run } => MiniMe.Evidence.EvidenceNode.Run(origin.Id),
        _ => null,
    };

    private static string? Reason(string? reason) => reason is { Length: > 200 } ? reason[..200] : reason;

    private sealed record Judged(Fact Known, FactRelation Relation);

    /// <summary>Lexical (BM25) and, with vectors, dense candidates among active facts, each judged against the new statement.</summary>
    private async Task<List<Judged>> JudgeAgainstKnownAsync(string text, FactFeatures features, ReadOnlyMemory<float>? vector, CancellationToken cancellationToken)
    {
        var candidates = new Dictionary<long, Fact>();
        var cosines = new Dictionary<long, double>();
        if (FtsQueryBuilder.Build(text) is { } match)
            foreach (var hit in await store.SearchLexicalAsync(match, options.Candidates, cancellationToken).ConfigureAwait(false))
                candidates[hit.Fact.Id] = hit.Fact;
        if (vector is { } query)
        {
            foreach (var hit in await store.SearchDenseAsync(embeddingModel!, query, options.Candidates, cancellationToken).ConfigureAwait(false))
            {
                candidates[hit.Fact.Id] = hit.Fact;
                cosines[hit.Fact.Id] = hit.Score;
            }
            // Lexical candidates stored before embeddings were configured have no vector yet: embed them now.
            var missing = candidates.Values.Where(f => !cosines.ContainsKey(f.Id)).ToList();
            if (missing.Count > 0)
            {
                var vectors = await embeddings!.GenerateAsync(missing.Select(f => f.Text), cancellationToken: cancellationToken).ConfigureAwait(false);
                for (var i = 0; i < missing.Count; i++)
                    cosines[missing[i].Id] = TensorPrimitives.CosineSimilarity(query.Span, vectors[i].Vector.Span);
            }
        }
        var judged = new List<Judged>(candidates.Count);
        foreach (var known in candidates.Values)
        {
            var relation = FactJudge.Compare(features, FactFeatures.Analyze(known.Text), cosines.TryGetValue(known.Id, out var c) ? c : null, options);
            if (relation.Kind != FactRelationKind.Unrelated) judged.Add(new Judged(known, relation));
        }
        return judged;
    }

    public Task<IReadOnlyList<Fact>> ListAsync(FactQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        return store.ListAsync(query with { Category = query.Category is null ? null : FactText.NormalizeCategory(query.Category) }, cancellationToken);
    }

    public async Task<Fact> GetAsync(long id, CancellationToken cancellationToken) =>
        await store.GetAsync(id, cancellationToken).ConfigureAwait(false)
        ?? throw new NotFoundException($"No fact #{id}; `minime facts list --all` lists them.");

    /// <summary>Rewrites an active or pending fact; the previous wording stays in its history.</summary>
    public async Task<Fact> EditAsync(long id, string text, CancellationToken cancellationToken)
    {
        var normalized = ValidText(text);
        var fact = await GetAsync(id, cancellationToken).ConfigureAwait(false);
        RequireLive(fact, "edit");
        var key = FactText.Key(normalized);
        if (key == FactText.Key(fact.Text) && normalized == fact.Text)
            throw new InvalidInputException($"Fact #{id} already says that; nothing to change.");
        var twins = await store.ListAsync(new FactQuery(Key: key, Statuses: [FactStatus.Active, FactStatus.Pending], Limit: 2), cancellationToken).ConfigureAwait(false);
        if (twins.FirstOrDefault(t => t.Id != id) is { } twin)
            throw new InvalidInputException($"Fact #{twin.Id} already says that; forget #{id} instead (`minime facts forget {id}`).");
        var embedding = UsesVectors
            ? new FactEmbedding(embeddingModel!, await embeddings!.GenerateVectorAsync(normalized, cancellationToken: cancellationToken).ConfigureAwait(false))
            : null;
        return await store.EditAsync(id, normalized, key, embedding, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Retracts an active or pending fact: it stops being used but stays in history.</summary>
    public async Task<Fact> ForgetAsync(long id, CancellationToken cancellationToken)
    {
        var fact = await GetAsync(id, cancellationToken).ConfigureAwait(false);
        RequireLive(fact, "forget");
        return await store.RetractAsync(id, "forgotten by the user", _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes a fact with its history and reviews, for good.</summary>
    public async Task PurgeAsync(long id, CancellationToken cancellationToken)
    {
        if (!await store.PurgeAsync(id, cancellationToken).ConfigureAwait(false))
            throw new NotFoundException($"No fact #{id}; `minime facts list --all` lists them.");
    }

    public async Task<IReadOnlyList<FactHistoryEntry>> HistoryAsync(long? id, int limit, CancellationToken cancellationToken)
    {
        if (limit < 1) throw new InvalidInputException("--limit must be at least 1.");
        if (id is { } factId) await GetAsync(factId, cancellationToken).ConfigureAwait(false);
        return await store.GetHistoryAsync(id, limit, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<ReviewItem>> ReviewsAsync(bool pendingOnly, CancellationToken cancellationToken)
    {
        var reviews = await store.ListReviewsAsync(pendingOnly, cancellationToken).ConfigureAwait(false);
        var items = new List<ReviewItem>(reviews.Count);
        foreach (var review in reviews)
            items.Add(await ItemAsync(review, cancellationToken).ConfigureAwait(false));
        return items;
    }

    public async Task<ReviewItem> ResolveAsync(long reviewId, ReviewDecision decision, CancellationToken cancellationToken)
    {
        var reviews = await store.ListReviewsAsync(pendingOnly: false, cancellationToken).ConfigureAwait(false);
        var review = reviews.FirstOrDefault(r => r.Id == reviewId)
            ?? throw new NotFoundException($"No review #{reviewId}; `minime facts review` lists the pending ones.");
        if (review.Status != FactReviewStatus.Pending)
            throw new InvalidInputException($"Review #{reviewId} was already resolved ({Describe(review.Status)}).");
        var resolved = await store.ResolveReviewAsync(reviewId, decision, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        // Accepting replaces the existing fact: the candidate supersedes it (best effort, like every evidence edge).
        if (evidence is not null && decision == ReviewDecision.Accept && resolved.ExistingId is { } replaced)
            await evidence.RecordAsync(MiniMe.Evidence.EvidenceNode.Fact(resolved.CandidateId), MiniMe.Evidence.EvidenceRelations.Supersedes,
                MiniMe.Evidence.EvidenceNode.Fact(replaced), cancellationToken, "accepted in review").ConfigureAwait(false);
        return await ItemAsync(resolved, cancellationToken).ConfigureAwait(false);
    }

    private async Task<ReviewItem> ItemAsync(FactReview review, CancellationToken cancellationToken)
    {
        var candidate = await store.GetAsync(review.CandidateId, cancellationToken).ConfigureAwait(false)
            ?? throw new FactStateException($"Review #{review.Id} refers to a missing fact #{review.CandidateId}.");
        var existing = review.ExistingId is { } existingId ? await store.GetAsync(existingId, cancellationToken).ConfigureAwait(false) : null;
        return new ReviewItem(review, candidate, existing);
    }

    public static string Describe(FactReviewStatus status) => status switch
    {
        FactReviewStatus.Pending => "pending",
        FactReviewStatus.Accepted => "accepted",
        FactReviewStatus.KeptBoth => "kept both",
        FactReviewStatus.Rejected => "rejected",
        _ => status.ToString(),
    };

    private string ValidText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var normalized = FactText.Normalize(text);
        if (normalized.Length == 0 || FactText.Words(normalized).Count == 0)
            throw new InvalidInputException("The fact is empty; write a short statement, e.g. \"prefers dark mode\".");
        if (normalized.Length > options.MaxChars)
            throw new InvalidInputException($"The fact is {normalized.Length} characters; keep it under {options.MaxChars} (facts are short statements; import longer notes).");
        return normalized;
    }

    private static void RequireLive(Fact fact, string verb)
    {
        switch (fact.Status)
        {
            case FactStatus.Active or FactStatus.Pending:
                return;
            case FactStatus.Superseded when fact.SupersededBy is not null:
                throw new InvalidInputException($"Fact #{fact.Id} is superseded by #{fact.SupersededBy} and kept only as history; {verb} #{fact.SupersededBy} instead, or use `minime facts forget {fact.Id} --purge` to delete it.");
            default:
                throw new InvalidInputException($"Fact #{fact.Id} is {fact.Status.ToString().ToLowerInvariant()} and kept only as history; use `minime facts forget {fact.Id} --purge` to delete it.");
        }
    }
}
