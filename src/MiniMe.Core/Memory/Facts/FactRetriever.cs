using Microsoft.Extensions.AI;
using MiniMe.Context;
using MiniMe.Memory.Lexical;

namespace MiniMe.Memory.Facts;

/// <summary>An active fact relevant to a query, with its score (higher is better) and where it came from.</summary>
public sealed record FactHit(Fact Fact, double Score, double? LexicalScore, double? DenseScore);

/// <summary>Finds the active facts relevant to a task, for the context of a run.</summary>
public interface IFactRetriever
{
    Task<IReadOnlyList<FactHit>> RetrieveAsync(string query, int limit, CancellationToken cancellationToken);
}

/// <summary>
/// BM25 over active facts, fused by reciprocal rank with dense candidates when an embedding generator
/// is configured, then weighted by each fact's importance and confidence.
/// </summary>
public sealed class FactRetriever(
    IFactStore store,
    IEmbeddingGenerator<string, Embedding<float>>? embeddings = null,
    string? embeddingModel = null,
    int rrfK = 60) : IFactRetriever
{
    public async Task<IReadOnlyList<FactHit>> RetrieveAsync(string query, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (limit < 1) return [];
        var pool = Math.Max(limit * 4, 20);
        IReadOnlyList<FactMatch> lexical = FtsQueryBuilder.Build(query) is { } match
            ? await store.SearchLexicalAsync(match, pool, cancellationToken).ConfigureAwait(false)
            : [];
        IReadOnlyList<FactMatch> dense = [];
        if (embeddings is not null && embeddingModel is not null && !string.IsNullOrWhiteSpace(query))
        {
            var vector = await embeddings.GenerateVectorAsync(query, cancellationToken: cancellationToken).ConfigureAwait(false);
            dense = await store.SearchDenseAsync(embeddingModel, vector, pool, cancellationToken).ConfigureAwait(false);
        }

        var scored = new Dictionary<long, (Fact Fact, double Score, double? Lexical, double? Dense)>();
        if (dense.Count == 0)
        {
            var best = lexical.Count == 0 ? 1 : Math.Max(lexical.Max(m => m.Score), 1e-9);
            foreach (var m in lexical) scored[m.Fact.Id] = (m.Fact, m.Score / best, m.Score, null);
        }
        else
        {
            for (var rank = 0; rank < lexical.Count; rank++)
                scored[lexical[rank].Fact.Id] = (lexical[rank].Fact, 1.0 / (rrfK + rank + 1), lexical[rank].Score, null);
            for (var rank = 0; rank < dense.Count; rank++)
            {
                var m = dense[rank];
                var rrf = 1.0 / (rrfK + rank + 1);
                scored[m.Fact.Id] = scored.TryGetValue(m.Fact.Id, out var s)
                    ? (s.Fact, s.Score + rrf, s.Lexical, m.Score)
                    : (m.Fact, rrf, null, m.Score);
            }
        }
        return scored.Values
            .Select(s => new FactHit(s.Fact, s.Score * (0.5 + (0.5 * s.Fact.Importance)) * s.Fact.Confidence, s.Lexical, s.Dense))
            .OrderByDescending(h => h.Score)
            .ThenBy(h => h.Fact.Id)
            .Take(limit)
            .ToList();
    }
}

/// <summary>Facts as context blocks ("fact:{id}"), weighted relative to the best hit.</summary>
public static class FactContextBlocks
{
    public static IReadOnlyList<ContextBlock> From(IReadOnlyList<FactHit> hits)
    {
        ArgumentNullException.ThrowIfNull(hits);
        if (hits.Count == 0) return [];
        var best = Math.Max(hits.Max(h => h.Score), 1e-9);
        return [.. hits.Select(h => new ContextBlock(
            $"fact:{h.Fact.Id}",
            ContextBlockKind.Memory,
            $"Known about the user ({h.Fact.Category}): {h.Fact.Text}",
            Math.Round(h.Score / best, 4)))];
    }
}
