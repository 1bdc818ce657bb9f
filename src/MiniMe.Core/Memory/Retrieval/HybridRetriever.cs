using System.Diagnostics;
using Microsoft.Extensions.AI;
using MiniMe.Configuration;
using MiniMe.Embeddings;
using MiniMe.Memory.Lexical;

namespace MiniMe.Memory.Retrieval;

/// <summary>
/// Retrieval: BM25 candidates always (no model needed); dense candidates too when an embedding
/// generator is configured, fused as retrieval.fusion says (<see cref="RankFusion"/>); then mask
/// re-weighting (domain, recency, reuse).
/// </summary>
public sealed class HybridRetriever(
    IMemoryStore store,
    RetrievalOptions options,
    IEmbeddingGenerator<string, Embedding<float>>? embeddings = null,
    string? embeddingModel = null,
    TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>True when dense candidates can be searched (an embedding generator and model are configured).</summary>
    public bool HasEmbeddings => embeddings is not null && embeddingModel is not null;

    /// <summary>The embedding generator dense search uses, or null.</summary>
    public IEmbeddingGenerator<string, Embedding<float>>? Embeddings => HasEmbeddings ? embeddings : null;

    /// <summary>Both candidate lists for a query, before fusion (the evaluator fuses them many ways).</summary>
    public sealed record Candidates(string MatchExpression, QueryKind Kind, IReadOnlyList<Candidate> Lexical, IReadOnlyList<Candidate> Dense);

    public async Task<Candidates> CandidatesAsync(RetrievalRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrWhiteSpace(request.Query))
            throw new InvalidInputException("The query is empty; give some words to search for.");
        if (request.K < 1)
            throw new InvalidInputException($"k must be at least 1 (got {request.K}).");
        var match = FtsQueryBuilder.Build(request.Query)
            ?? throw new InvalidInputException($"The query '{request.Query}' has no searchable words.");
        if (request.Mode == RetrievalMode.Dense && !HasEmbeddings)
            throw new InvalidInputException("Dense retrieval needs an embedding model (embeddings.model is none).");

        var pool = Math.Max(request.K * 4, 40);
        IReadOnlyList<Candidate> lexical = [];
        if (request.Mode != RetrievalMode.Dense)
        {
            var weights = new Bm25Weights(options.TitleWeight, options.BodyWeight, options.SymbolWeight);
            lexical = await store.SearchLexicalAsync(match, pool, request.Filter, weights, cancellationToken).ConfigureAwait(false);
        }

        IReadOnlyList<Candidate> dense = [];
        if (request.Mode != RetrievalMode.Lexical && HasEmbeddings)
        {
            var vector = await embeddings!.GenerateVectorAsync(request.Query, EmbeddingPurpose.Query(), cancellationToken).ConfigureAwait(false);
            dense = await store.SearchDenseAsync(embeddingModel!, vector, pool, request.Filter, cancellationToken).ConfigureAwait(false);
        }
        return new Candidates(match, QueryShape.Classify(request.Query), lexical, dense);
    }

    public async Task<RetrievalResult> RetrieveAsync(RetrievalRequest request, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var candidates = await CandidatesAsync(request, cancellationToken).ConfigureAwait(false);
        var (fused, mode) = Fuse(candidates, request.Mode, options);
        var now = _time.GetUtcNow();
        var hits = fused
            .Select(f => ToHit(f.Chunk, Boost(f.Score, f.Chunk, request.Boosts, now), f.Lexical, f.Dense))
            .OrderByDescending(h => h.Score)
            .ThenBy(h => h.Id)
            .Take(request.K)
            .ToList();
        return new RetrievalResult(hits, candidates.MatchExpression, candidates.Lexical.Count, candidates.Dense.Count, mode, clock.Elapsed.TotalMilliseconds);
    }

    /// <summary>Counts one more use in an assembled context for each chunk (the reuse boost reads it back).</summary>
    public Task RecordUseAsync(IReadOnlyCollection<long> chunkIds, CancellationToken cancellationToken) =>
        store.IncrementReuseAsync(chunkIds, cancellationToken);

    /// <summary>The fused ranking (unboosted, unsorted) and the mode's name, as <paramref name="settings"/> says.</summary>
    public static (List<FusedCandidate> Fused, string Mode) Fuse(Candidates candidates, RetrievalMode mode, RetrievalOptions settings)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(settings);
        if (mode == RetrievalMode.Dense) return (RankFusion.DenseOnly(candidates.Dense), "dense");
        var dense = RankFusion.UsableDense(candidates.Dense, settings, candidates.Lexical);
        if (mode == RetrievalMode.Lexical || dense.Count == 0)
            return (RankFusion.LexicalOnly(candidates.Lexical), candidates.Dense.Count > 0 && mode != RetrievalMode.Lexical ? "bm25 (dense too weak)" : "bm25");
        return (RankFusion.Fuse(candidates.Lexical, dense, settings, candidates.Kind), RankFusion.Describe(settings, candidates.Kind));
    }

    private double Boost(double score, StoredChunk chunk, RetrievalBoosts boosts, DateTimeOffset now)
    {
        if (boosts.DomainWeight > 0 && boosts.Domain is not null && string.Equals(chunk.Domain, boosts.Domain, StringComparison.OrdinalIgnoreCase))
            score *= 1 + boosts.DomainWeight;
        if (boosts.RecencyWeight > 0)
        {
            var ageDays = Math.Max(0, (now - chunk.ImportedAt).TotalDays);
            score *= 1 + boosts.RecencyWeight * Math.Pow(2, -ageDays / Math.Max(options.RecencyHalfLifeDays, 0.01));
        }
        if (boosts.ReuseWeight > 0 && chunk.ReuseCount > 0)
            score *= 1 + boosts.ReuseWeight * Math.Log2(1 + chunk.ReuseCount);
        return score;
    }

    private static SearchHit ToHit(StoredChunk c, double score, double? lexical, double? dense) => new()
    {
        Id = c.Id,
        Source = c.Source,
        StartOffset = c.StartOffset,
        EndOffset = c.EndOffset,
        Domain = c.Domain,
        Tags = c.Tags,
        Text = c.Text,
        Heading = c.Heading,
        Score = score,
        LexicalScore = lexical,
        DenseScore = dense,
        ImportedAt = c.ImportedAt,
        ReuseCount = c.ReuseCount,
    };
}
