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
    /// migration) would never verify, and overwriting the facts they belong to would lose them: refuse
    /// before writing anything.
    /// </summary>
    private static void RefuseForeignRows(FactExport source, FactExport target)
    {
        Refuse("facts", source.Facts.Select(f => f.Fact.Id), target.Facts.Select(f => f.Fact.Id));
        Refuse("fact history entries", source.History.Select(h => h.Id), target.History.Select(h => h.Id));
        Refuse("fact reviews", source.Reviews.Select(r => r.Id), target.Reviews.Select(r => r.Id));
    }

    private static void Refuse(string what, IEnumerable<long> ours, IEnumerable<long> theirs)
    {
        var known = ours.ToHashSet();
        var foreign = theirs.Where(id => !known.Contains(id)).Order().ToList();
        if (foreign.Count > 0)
            throw new MigrationException(
                $"the target holds {what} that are not in the source ({foreign.Count}, first #{foreign[0]}); migrate into an empty database");
    }
}
