namespace MiniMe.Memory.Vectors;

/// <summary>
/// Parameters of an HNSW graph. <see cref="M"/> and <see cref="EfConstruction"/> shape the graph
/// (changing them means a rebuild); <see cref="EfSearch"/> is a query-time recall/latency trade-off.
/// </summary>
public sealed record HnswOptions
{
    /// <summary>Links per node on the upper layers; layer 0 keeps twice as many.</summary>
    public int M { get; init; } = 16;

    /// <summary>Candidate list size while inserting: higher builds slower and gives better recall.</summary>
    public int EfConstruction { get; init; } = 120;

    /// <summary>Candidate list size while querying (at least k is used).</summary>
    public int EfSearch { get; init; } = 128;

    /// <summary>Seed of the level generator, so builds are reproducible.</summary>
    public ulong Seed { get; init; } = 0x9E3779B97F4A7C15;

    public void Validate()
    {
        if (M is < 4 or > 128) throw new ArgumentOutOfRangeException(nameof(M), M, "M must be between 4 and 128.");
        if (EfConstruction is < 8 or > 4096) throw new ArgumentOutOfRangeException(nameof(EfConstruction), EfConstruction, "efConstruction must be between 8 and 4096.");
        if (EfSearch is < 1 or > 4096) throw new ArgumentOutOfRangeException(nameof(EfSearch), EfSearch, "efSearch must be between 1 and 4096.");
    }
}

/// <summary>A search result: the key given to Add and the cosine similarity to the query.</summary>
public readonly record struct VectorMatch(string Key, float Score);

/// <summary>An index file is corrupt, truncated, from another format version or for another model.</summary>
public sealed class VectorIndexFormatException(string message, Exception? inner = null) : MiniMeException(ErrorCategory.Damaged, message, inner);
