namespace MiniMe.Memory.Vectors;

/// <summary>State of the dense-vector index of one embedding model.</summary>
/// <param name="Vectors">Vectors the store holds for the model.</param>
/// <param name="UsesIndex">True when searches go through the ANN index (at or above the threshold).</param>
/// <param name="IndexedVectors">Live vectors in the loaded or rebuilt index, if one is in memory.</param>
/// <param name="Problem">Why the index file was last discarded or could not be written, if it was.</param>
public sealed record VectorIndexStatus(
    string Model,
    long Vectors,
    string IndexPath,
    bool IndexFileExists,
    bool UsesIndex,
    int? IndexedVectors,
    int? Tombstones,
    string? Problem);

public enum VectorIndexPhase
{
    Reading,
    Building,
    Saving,
}

public sealed record VectorIndexProgress(string Model, VectorIndexPhase Phase, long Done, long Total);

/// <summary>Maintenance of a store's own ANN index (stores whose database indexes vectors itself need not offer it).</summary>
public interface IVectorIndexMaintenance
{
    /// <summary>Every embedding model the store holds vectors for, with its index state.</summary>
    Task<IReadOnlyList<VectorIndexStatus>> GetVectorIndexStatusAsync(CancellationToken cancellationToken);

    /// <summary>Builds the model's index from scratch from the stored vectors and saves it.</summary>
    Task<VectorIndexStatus> RebuildVectorIndexAsync(string model, IProgress<VectorIndexProgress>? progress, CancellationToken cancellationToken);
}
