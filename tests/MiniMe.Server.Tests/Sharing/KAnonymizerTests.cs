using MiniMe.Sharing;

namespace MiniMe.Server.Tests.Sharing;

/// <summary>
/// k-anonymity over generated records: for many seeds and several k, every published group holds at least k
/// records and exactly the records of its key combination (nothing merged), every smaller group is suppressed
/// and reported, and the total is withheld whenever it would reveal the suppressed records.
/// </summary>
public sealed class KAnonymizerTests
{
    private static readonly string[] Categories = ["preference", "skill", "project", "health", "travel"];

    private static List<ShareRecord> Generate(int seed)
    {
        var random = new Random(seed);
        var records = new List<ShareRecord>();
        var n = random.Next(0, 120);
        for (var i = 0; i < n; i++)
        {
            // Skewed choices: a few large groups and a long tail of small ones.
            var category = Categories[Math.Min(random.Next(0, 7), random.Next(0, 5)) % Categories.Length];
            var month = $"2026-{1 + (int)Math.Floor(Math.Pow(random.NextDouble(), 2) * 6):00}";
            records.Add(new ShareRecord(
                new Dictionary<string, string> { ["category"] = category, ["month"] = month },
                new Dictionary<string, double> { ["confidence"] = Math.Round(random.NextDouble(), 2) })
            { FilterValue = category });
        }
        return records;
    }

    public static TheoryData<int> Ks => [2, 3, 5, 10];

    [Theory]
    [MemberData(nameof(Ks))]
    public void No_published_group_is_below_k_and_every_smaller_group_is_suppressed_and_reported(int k)
    {
        var checkedGroups = 0;
        var withheldTotals = 0;
        for (var seed = 0; seed < 150; seed++)
        {
            var records = Generate(seed);
            var listed = seed % 3 == 0 ? null : (IReadOnlyList<string>)["preference", "skill", "project"];
            var groupBy = seed % 2 == 0 ? (IReadOnlyList<string>)["category", "month"] : ["month"];
            var section = new ShareSection("facts", listed, ["count", "share", "mean_confidence"], groupBy);
            var result = KAnonymizer.Aggregate(section, records, k);

            var inScope = records.Where(r => listed is null || listed.Contains(r.FilterValue!)).ToList();
            var truth = inScope.GroupBy(r => string.Join("|", groupBy.Select(q => r.Keys[q]))).ToDictionary(g => g.Key, g => g.ToList());
            var published = result.Groups.ToDictionary(g => string.Join("|", g.Keys.Select(kv => kv.Value)));

            foreach (var (key, group) in published)
            {
                Assert.True(group.Count >= k, $"seed {seed}: group {key} has {group.Count} < k={k}");
                Assert.Equal(truth[key].Count, group.Count);
                Assert.Equal(truth[key].Average(r => r.Values["confidence"]), group.Measures.Single(m => m.Key == "mean_confidence").Value, 0.0005 + 1e-9);
                Assert.Equal(groupBy, group.Keys.Select(kv => kv.Key));
                checkedGroups++;
            }
            Assert.Equal(truth.Where(t => t.Value.Count >= k).Select(t => t.Key).Order(StringComparer.Ordinal), published.Keys.Order(StringComparer.Ordinal));
            Assert.Equal(published.Keys, published.Keys.Order(StringComparer.Ordinal));

            var hidden = truth.Values.Where(g => g.Count < k).ToList();
            var hiddenRecords = hidden.Sum(g => g.Count);
            var below = result.Suppressed.SingleOrDefault(s => s.Reason == SuppressionReasons.GroupBelowK);
            if (hidden.Count == 0) Assert.Null(below);
            else
            {
                Assert.NotNull(below);
                Assert.Equal(hidden.Count, below.Groups);
                Assert.Equal(hiddenRecords >= k ? hiddenRecords : null, below.Records);
            }

            var revealing = hiddenRecords is > 0 && hiddenRecords < k;
            var withheld = result.Suppressed.Any(s => s.Reason == SuppressionReasons.TotalWouldReveal);
            Assert.Equal(revealing, withheld);
            Assert.Equal(!revealing && inScope.Count > 0, result.Total is not null);
            if (result.Total is { } total)
            {
                Assert.Equal(inScope.Count, total.Count);
                Assert.Empty(total.Keys);
                Assert.DoesNotContain(total.Measures, m => m.Key == "share");
            }
            else if (revealing)
            {
                withheldTotals++;
                // What the recipient can add up from the export is only the published groups, never the suppressed ones.
                Assert.Equal(inScope.Count - hiddenRecords, result.Groups.Sum(g => g.Count));
            }
            if (result.Groups.Count > 0)
                Assert.InRange(result.Groups.Sum(g => g.Measures.Single(m => m.Key == "share").Value), 0.999, 1.001);
        }
        Assert.True(checkedGroups > 50, $"only {checkedGroups} groups were published across the seeds");
        Assert.True(withheldTotals > 0, "no seed withheld a total");
    }

    [Fact]
    public void Small_groups_are_not_merged_into_a_visible_group()
    {
        ShareRecord R(string category, string month) =>
            new(new Dictionary<string, string> { ["category"] = category, ["month"] = month }, new Dictionary<string, double> { ["confidence"] = 1 }) { FilterValue = category };
        var records = Enumerable.Repeat(R("skill", "2026-01"), 4).Concat([R("skill", "2026-02"), R("health", "2026-01"), R("health", "2026-01")]).ToList();
        var result = KAnonymizer.Aggregate(new ShareSection("facts", null, ["count"], ["category", "month"]), records, 3);

        var group = Assert.Single(result.Groups);
        Assert.Equal([KeyValuePair.Create("category", "skill"), KeyValuePair.Create("month", "2026-01")], group.Keys);
        Assert.Equal(4, group.Count);
        var below = result.Suppressed.Single(s => s.Reason == SuppressionReasons.GroupBelowK);
        Assert.Equal((2, (long?)3), (below.Groups, below.Records));
        Assert.NotNull(result.Total);
        Assert.Equal(7, result.Total.Count);

        // Two records short of k in all: the total would give them away.
        var two = KAnonymizer.Aggregate(new ShareSection("facts", null, ["count"], ["category", "month"]), records.Take(5).ToList(), 3);
        Assert.Null(two.Total);
        Assert.Equal([SuppressionReasons.GroupBelowK, SuppressionReasons.TotalWouldReveal], two.Suppressed.Select(s => s.Reason));
        Assert.Null(two.Suppressed[0].Records);
    }

    [Fact]
    public void Without_quasi_identifiers_the_one_group_is_published_only_with_k_records()
    {
        var records = Enumerable.Range(0, 4).Select(_ => new ShareRecord(new Dictionary<string, string>(), new Dictionary<string, double>())).ToList();
        var section = new ShareSection("activity", null, ["count"], []);
        Assert.Equal(4, Assert.Single(KAnonymizer.Aggregate(section, records, 4).Groups).Count);
        var hidden = KAnonymizer.Aggregate(section, records, 5);
        Assert.Empty(hidden.Groups);
        Assert.Null(hidden.Total);
        Assert.Equal((1, (long?)null), (hidden.Suppressed.Single().Groups, hidden.Suppressed.Single().Records));
    }
}
