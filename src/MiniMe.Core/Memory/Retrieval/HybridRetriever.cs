using MiniMe.Embeddings;
using System.Diagnostics;
using Microsoft.Extensions.AI;
using MiniMe.Configuration;
using MiniMe.Memory.Lexical;

namespace MiniMe.Memory.Retrieval;

/// <summary>
/// Retrieval: BM25 candidates always (no model needed); dense candidates too when an embedding
/// generator is configured, fused by reciprocal rank; then mask re-weighting (domain, recency, reuse).
/// </summary>
public sealed class HybridRetriever(
    IMemoryStore store,
    RetrievalOptions options,
    IEmbeddingGenerator<string, Embedding<float>>? embeddings = null,
    string? embeddingModel = null,
    TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public async Task<RetrievalResult> RetrieveAsync(RetrievalRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrWhiteSpace(request.Query))
            throw new InvalidInputException("The query is empty; give some words to search for.");
        if (request.K < 1)
            throw new InvalidInputException($"k must be at least 1 (got {request.K}).");
        var match = FtsQueryBuilder.Build(request.Query)
            ?? throw new InvalidInputException($"The query '{request.Query}' has no searchable words.");

        var clock = Stopwatch.StartNew();
        var pool = Math.Max(request.K * 4, 40);
        var weights = new Bm25Weights(options.TitleWeight, options.BodyWeight, options.SymbolWeight);
        var lexical = await store.SearchLexicalAsync(match, pool, request.Filter, weights, cancellationToken).ConfigureAwait(false);

        IReadOnlyList<Candidate> dense = [];
        if (embeddings is not null && embeddingModel is not null)
        {
            var vector = await embeddings.GenerateVectorAsync(request.Query, EmbeddingPurpose.Query(), cancellationToken).ConfigureAwait(false);
            dense = await store.SearchDenseAsync(embeddingModel, vector, pool, request.Filter, cancellationToken).ConfigureAwait(false);
        }

        var fused = dense.Count == 0 ? Normalize(lexical) : Fuse(lexical, dense, options.RrfK);
        var now = _time.GetUtcNow();
        var hits = fused
            .Select(f => ToHit(f.Chunk, Boost(f.Score, f.Chunk, request.Boosts, now), f.Lexical, f.Dense))
            .OrderByDescending(h => h.Score)
            .ThenBy(h => h.Id)
            .Take(request.K)
            .ToList();
        var mode = dense.Count == 0 ? "bm25" : "hybrid-rrf";
        return new RetrievalResult(hits, match, lexical.Count, dense.Count, mode, clock.Elapsed.TotalMilliseconds);
    }

    /// <summary>Counts one more use in an assembled context for each chunk (the reuse boost reads it back).</summary>
    public Task RecordUseAsync(IReadOnlyCollection<long> chunkIds, CancellationToken cancellationToken) =>
        store.IncrementReuseAsync(chunkIds, cancellationToken);

    private sealed record Fused(StoredChunk Chunk, double Score, double? Lexical, double? Dense);

    /// <summary>BM25 scores scaled to (0, 1] by the best one, so boosts mean the same across queries.</summary>
    private static List<Fused> Normalize(IReadOnlyList<Candidate> lexical)
    {
        var best = lexical.Count == 0 ? 1 : Math.Max(lexical.Max(c => c.RawScore), 1e-9);
        return lexical.Select(c => new Fused(c.Chunk, c.RawScore / best, c.RawScore, null)).ToList();
    }

    /// <summary>Reciprocal rank fusion, scaled so a chunk ranked first by both lists scores 1.</summary>
    private static List<Fused> Fuse(IReadOnlyList<Candidate> lexical, IReadOnlyList<Candidate> dense, int k)
    {
        var byId = new Dictionary<long, (StoredChunk Chunk, double Score, double? Lexical, double? Dense)>();
        for (var i = 0; i < lexical.Count; i++)
        {
            var c = lexical[i];
            byId[c.Chunk.Id] = (c.Chunk, 1.0 / (k + i + 1), c.RawScore, null);
        }
        for (var i = 0; i < dense.Count; i++)
        {
            var c = dense[i];
            var add = 1.0 / (k + i + 1);
            byId[c.Chunk.Id] = byId.TryGetValue(c.Chunk.Id, out var e)
                ? (e.Chunk, e.Score + add, e.Lexical, c.RawScore)
                : (c.Chunk, add, null, c.RawScore);
        }
        var max = 2.0 / (k + 1);
        return byId.Values.Select(v => new Fused(v.Chunk, v.Score / max, v.Lexical, v.Dense)).ToList();
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
