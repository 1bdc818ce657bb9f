using Microsoft.Extensions.AI;
using MiniMe.Context;
using MiniMe.Embeddings;
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
/// BM25 over active facts, plus cosine similarity when an embedding generator is configured. Facts are
/// few and short, so scores are fused directly (BM25 scaled by the best hit, cosine as is) rather than by
/// rank; importance and confidence then scale the result, importance mildly so it orders near-ties
/// without beating relevance.
/// </summary>
public sealed class FactRetriever(
    IFactStore store,
    IEmbeddingGenerator<string, Embedding<float>>? embeddings = null,
    string? embeddingModel = null) : IFactRetriever
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
        if (embeddings is not null && embeddingModel is not null && FactText.Words(query).Count > 0)
        {
            var vector = await embeddings.GenerateVectorAsync(query, EmbeddingPurpose.Query(), cancellationToken).ConfigureAwait(false);
            dense = await store.SearchDenseAsync(embeddingModel, vector, pool, cancellationToken).ConfigureAwait(false);
        }

        var best = lexical.Count == 0 ? 1 : Math.Max(lexical.Max(m => m.Score), 1e-9);
        var candidates = new Dictionary<long, (Fact Fact, double? Lexical, double? Dense)>();
        foreach (var m in lexical) candidates[m.Fact.Id] = (m.Fact, m.Score, null);
        foreach (var m in dense)
            candidates[m.Fact.Id] = candidates.TryGetValue(m.Fact.Id, out var c) ? (c.Fact, c.Lexical, m.Score) : (m.Fact, null, m.Score);
        var useDense = embeddings is not null && embeddingModel is not null;
        return candidates.Values
            .Select(c =>
            {
                var lexicalPart = (c.Lexical ?? 0) / best;
                var relevance = useDense ? (0.5 * lexicalPart) + (0.5 * Math.Max(0, c.Dense ?? 0)) : lexicalPart;
                return new FactHit(c.Fact, relevance * (0.75 + (0.25 * c.Fact.Importance)) * c.Fact.Confidence, c.Lexical, c.Dense);
            })
            .Where(h => h.Score > 0)
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
