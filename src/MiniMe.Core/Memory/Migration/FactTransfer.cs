using MiniMe.Memory.Facts;

namespace MiniMe.Memory.Migration;

/// <summary>A fact as stored, with the key that finds its exact duplicates.</summary>
public sealed record ExportedFact(Fact Fact, string Key);

/// <summary>One stored vector of a fact under one embedding model.</summary>
public sealed record ExportedFactVector(long FactId, string Model, ReadOnlyMemory<float> Vector);

/// <summary>Everything a fact store holds, for a copy with full fidelity (ids and timestamps kept).</summary>
public sealed record FactExport(
    IReadOnlyList<ExportedFact> Facts,
    IReadOnlyList<FactHistoryEntry> History,
    IReadOnlyList<FactReview> Reviews,
    IReadOnlyList<ExportedFactVector> Vectors);

/// <summary>
/// Reads a whole fact store in a stable order: facts, history and reviews by id, vectors by fact id
/// and model (ordinal). Facts are few (a person's statements, not their documents), so it is one read.
/// </summary>
public interface IFactExport
{
    Task<FactExport> ExportFactsAsync(CancellationToken cancellationToken);
}

/// <summary>Writes an export keeping every id and timestamp; one transaction, and a re-run converges.</summary>
public interface IFactImport
{
    /// <summary>
    /// Inserts or overwrites each fact, history entry and review by id; each imported fact's vectors
    /// become exactly the exported ones. New ids the store assigns afterwards follow the imported ones.
    /// </summary>
    Task ImportFactsAsync(FactExport export, CancellationToken cancellationToken);
}
