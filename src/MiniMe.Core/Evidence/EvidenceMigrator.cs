using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace MiniMe.Evidence;

/// <summary>The evidence graph's edges as any store holds them: how many, and a SHA-256 over them in <see cref="EvidenceKeys.Order"/>.</summary>
public sealed record EvidenceDigest(long Edges, string Sha256)
{
    /// <summary>
    /// Each edge as it reads in any store (doc and chunk ends by key, since each store numbers them itself), its time at
    /// PostgreSQL's microsecond resolution, and its detail.
    /// </summary>
    public static EvidenceDigest Of(IReadOnlyList<PortableEdge> edges)
    {
        ArgumentNullException.ThrowIfNull(edges);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var e in edges.Order(EvidenceKeys.Order))
        {
            var ticks = e.Edge.At.UtcTicks - (e.Edge.At.UtcTicks % 10);
            hash.AppendData(Encoding.UTF8.GetBytes(string.Join('\u001f',
                EvidenceKeys.Portable(e.Edge.From, e.FromKey), e.Edge.Relation, EvidenceKeys.Portable(e.Edge.To, e.ToKey),
                ticks.ToString(CultureInfo.InvariantCulture), e.Edge.Detail ?? "\u0000") + "\n"));
        }
        return new EvidenceDigest(edges.Count, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }
}

/// <summary>What an evidence migration copied, how many edges found no document in the target, and whether the target now holds the source's graph.</summary>
public sealed record EvidenceMigrationReport(EvidenceDigest Source, EvidenceDigest Target, int Unplaced, TimeSpan Elapsed)
{
    public bool Verified => Source == Target && Unplaced == 0;
}

/// <summary>
/// Copies the evidence graph from one store to another after the documents and facts were copied (`minime migrate`):
/// doc and chunk ends are found again by source and ordinal, every other end keeps its id (facts keep theirs when
/// migrated). Edges already in the target are kept, so a re-run converges; then the target is read back and compared.
/// </summary>
public static class EvidenceMigrator
{
    public static async Task<EvidenceMigrationReport> MigrateAsync(IEvidenceStore source, IEvidenceStore target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var edges = await source.ExportEdgesAsync(cancellationToken).ConfigureAwait(false);
        var unplaced = await target.ImportEdgesAsync(edges, cancellationToken).ConfigureAwait(false);
        var copied = await target.ExportEdgesAsync(cancellationToken).ConfigureAwait(false);
        return new EvidenceMigrationReport(EvidenceDigest.Of(edges), EvidenceDigest.Of(copied), unplaced, clock.Elapsed);
    }
}
