namespace MiniMe.Memory.Migration;

/// <summary>What a fact migration copied and whether the target now holds exactly the source's facts.</summary>
public sealed record FactMigrationReport(FactDigest Source, FactDigest Target, TimeSpan Elapsed)
{
    public bool Verified => Source == Target;
}

/// <summary>
/// Copies every fact with its history, reviews and vectors from one store into another, keeping ids
/// and timestamps, then re-reads the target and compares counts and checksums. Rows replace their
/// namesakes by id, so a re-run (after an interruption or later remembering in the source) converges.
/// </summary>
public static class FactMigrator
{
    public static async Task<FactMigrationReport> MigrateAsync<TSource, TTarget>(TSource source, TTarget target, CancellationToken cancellationToken)
        where TSource : IFactExport
        where TTarget : IFactExport, IFactImport
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var export = await source.ExportFactsAsync(cancellationToken).ConfigureAwait(false);
        RefuseForeignRows(export, await target.ExportFactsAsync(cancellationToken).ConfigureAwait(false));
        await target.ImportFactsAsync(export, cancellationToken).ConfigureAwait(false);
        var targetDigest = await FactDigest.ComputeAsync(target, cancellationToken).ConfigureAwait(false);
        return new FactMigrationReport(FactDigest.Of(export), targetDigest, clock.Elapsed);
    }

    /// <summary>
    /// A target with facts, history or reviews the source lacks (written there since an earlier
    /// migration, or into a store used before migrating) would never verify, and overwriting rows that
    /// merely share an id would lose them: refuse before writing anything. A row is the source's when
    /// its id and what never changes about it (when it was created, what it belongs to) agree.
    /// </summary>
    private static void RefuseForeignRows(FactExport source, FactExport target)
    {
        Refuse("facts", source.Facts.Select(f => f.Fact), target.Facts.Select(f => f.Fact), f => f.Id, f => Micro(f.CreatedAt));
        Refuse("fact history entries", source.History, target.History, h => h.Id, h => (h.FactId, h.Change, Micro(h.At)));
        Refuse("fact reviews", source.Reviews, target.Reviews, r => r.Id, r => (r.CandidateId, Micro(r.CreatedAt)));
    }

    private static void Refuse<T, TIdentity>(string what, IEnumerable<T> ours, IEnumerable<T> theirs, Func<T, long> id, Func<T, TIdentity> identity)
    {
        var known = ours.ToDictionary(id, identity);
        var foreign = theirs.Where(t => !known.TryGetValue(id(t), out var same) || !EqualityComparer<TIdentity>.Default.Equals(same, identity(t)))
            .Select(id).Order().ToList();
        if (foreign.Count > 0)
            throw new MigrationException(
                $"the target holds {what} that are not in the source ({foreign.Count}, first #{foreign[0]}); migrate into an empty database");
    }

    /// <summary>Timestamps compare at PostgreSQL's resolution, as the digest does.</summary>
    private static long Micro(DateTimeOffset value) => value.UtcTicks - (value.UtcTicks % 10);
}
