namespace MiniMe.Sharing;

/// <summary>A published group: its quasi-identifier values (in the contract's order), its record count and its measures.</summary>
public sealed record ShareGroup(IReadOnlyList<KeyValuePair<string, string>> Keys, long Count, IReadOnlyList<KeyValuePair<string, double>> Measures);

/// <summary>Why records were held back, per source: groups below k, or a total that would reveal them.</summary>
public static class SuppressionReasons
{
    /// <summary>A group with fewer than k records: left out, never merged into another group.</summary>
    public const string GroupBelowK = "group_below_k";
    /// <summary>The section's total: with it, total minus the published groups would give the suppressed records (fewer than k).</summary>
    public const string TotalWouldReveal = "total_would_reveal_suppressed";
}

/// <summary>
/// One line of the suppression report. <paramref name="Records"/> is the exact number of records held back
/// when that number is itself 0 or at least k, and null otherwise (then it is only known to be fewer than k:
/// an exact small number would say how big the hidden groups are).
/// </summary>
public sealed record Suppression(string Source, string Reason, int Groups, long? Records, string Note);

/// <summary>A section of an export: the groups published, the section total when it may be published, and what was held back.</summary>
public sealed record ShareSectionResult(
    string Source,
    IReadOnlyList<string> GroupBy,
    IReadOnlyList<string> Measures,
    IReadOnlyList<ShareGroup> Groups,
    ShareGroup? Total,
    IReadOnlyList<Suppression> Suppressed)
{
    /// <summary>Records in scope (before suppression): printed locally, never written to the export.</summary>
    public long RecordsInScope { get; init; }
}

/// <summary>
/// k-anonymous aggregation of one source's records over the quasi-identifiers the contract names.
/// Records are grouped by the full combination of their quasi-identifier values; a group of fewer than k
/// records is suppressed (never merged into a neighbour, so no visible group is ever smaller than k). The
/// section total is published only when the records it adds to the published groups are 0 or at least k,
/// so subtracting the groups from it cannot reveal a suppressed group (differencing). Shares are over the
/// published groups only, for the same reason. Output is ordered (groups by their key values, ordinal) and
/// rounded (means 3 places, shares 4), so the same records give the same export.
/// </summary>
public static class KAnonymizer
{
    public static ShareSectionResult Aggregate(ShareSection section, IEnumerable<ShareRecord> records, int k)
    {
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(records);
        if (k < 2) throw new ArgumentOutOfRangeException(nameof(k), k, "k is at least 2");
        var scoped = records.Where(r => section.Values is null || (r.FilterValue is { } v && section.Values.Contains(v))).ToList();
        var groups = scoped
            .GroupBy(r => string.Join('\u001f', section.GroupBy.Select(q => r.Keys[q])), StringComparer.Ordinal)
            .Select(g => g.ToList())
            .ToList();
        var visible = groups.Where(g => g.Count >= k).ToList();
        var hidden = groups.Where(g => g.Count < k).ToList();
        var visibleRecords = visible.Sum(g => (long)g.Count);
        var hiddenRecords = hidden.Sum(g => (long)g.Count);

        var published = visible
            .Select(g => Group(section, g, visibleRecords))
            .OrderBy(g => g.Keys.Select(kv => kv.Value).ToArray(), KeyOrder.Instance)
            .ToList();

        var suppressed = new List<Suppression>();
        if (hidden.Count > 0)
        {
            var exact = hiddenRecords >= k;
            suppressed.Add(new Suppression(section.Source, SuppressionReasons.GroupBelowK, hidden.Count, exact ? hiddenRecords : null,
                exact ? $"{hidden.Count} group(s) of fewer than {k} records left out" : $"{hidden.Count} group(s) of fewer than {k} records left out, fewer than {k} records in all"));
        }
        ShareGroup? total = null;
        // Without quasi-identifiers the one group is the total; otherwise it is published when it reveals nothing.
        if (section.GroupBy.Count > 0 && scoped.Count > 0)
        {
            if (hiddenRecords == 0 || hiddenRecords >= k) total = Group(section, scoped, visibleRecords, isTotal: true);
            else suppressed.Add(new Suppression(section.Source, SuppressionReasons.TotalWouldReveal, 1, null,
                $"the {section.Source} total is withheld: minus the published groups it would give the suppressed records"));
        }
        return new ShareSectionResult(section.Source, section.GroupBy, section.Measures, published, total, suppressed) { RecordsInScope = scoped.Count };
    }

    private static ShareGroup Group(ShareSection section, List<ShareRecord> records, long visibleRecords, bool isTotal = false)
    {
        var keys = isTotal ? [] : section.GroupBy.Select(q => KeyValuePair.Create(q, records[0].Keys[q])).ToList();
        var measures = new List<KeyValuePair<string, double>>();
        foreach (var m in section.Measures)
        {
            switch (m)
            {
                case ShareSourceKind.Count:
                    break;
                case ShareSourceKind.Share:
                    // The total's share would be total / published: it reveals the suppressed count, so a total has none.
                    if (!isTotal && visibleRecords > 0)
                        measures.Add(KeyValuePair.Create(m, Math.Round((double)records.Count / visibleRecords, 4, MidpointRounding.AwayFromZero)));
                    break;
                default:
                    var value = m[ShareSourceKind.MeanPrefix.Length..];
                    // Summed as decimals: the same records give the same mean whatever order the store lists them in.
                    var mean = records.Sum(r => (decimal)r.Values[value]) / records.Count;
                    measures.Add(KeyValuePair.Create(m, (double)Math.Round(mean, 3, MidpointRounding.AwayFromZero)));
                    break;
            }
        }
        return new ShareGroup(keys, records.Count, measures);
    }

    private sealed class KeyOrder : IComparer<string[]>
    {
        public static readonly KeyOrder Instance = new();

        public int Compare(string[]? x, string[]? y)
        {
            ArgumentNullException.ThrowIfNull(x);
            ArgumentNullException.ThrowIfNull(y);
            for (var i = 0; i < Math.Min(x.Length, y.Length); i++)
            {
                var c = string.CompareOrdinal(x[i], y[i]);
                if (c != 0) return c;
            }
            return x.Length.CompareTo(y.Length);
        }
    }
}
