namespace MiniMe.Memory.Retrieval;

/// <summary>A document as search results show it at --level document: its best chunk and how many of its chunks were hits.</summary>
public sealed record DocumentHit(SearchHit Best, double Score, int Chunks);

/// <summary>
/// Chunk hits rolled up into documents (by source): a document scores as its best chunk, so one long
/// document with many mediocre chunks does not outrank a short one that answers the question.
/// </summary>
public static class DocumentLevel
{
    public static List<DocumentHit> Aggregate(IReadOnlyList<SearchHit> hits, int k)
    {
        ArgumentNullException.ThrowIfNull(hits);
        return hits
            .GroupBy(h => h.Source, StringComparer.Ordinal)
            .Select(g =>
            {
                var best = g.OrderByDescending(h => h.Score).ThenBy(h => h.Id).First();
                return new DocumentHit(best, best.Score, g.Count());
            })
            .OrderByDescending(d => d.Score)
            .ThenBy(d => d.Best.Id)
            .Take(k)
            .ToList();
    }
}
