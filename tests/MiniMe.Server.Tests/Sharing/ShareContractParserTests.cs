using MiniMe.Sharing;

namespace MiniMe.Server.Tests.Sharing;

/// <summary>Sharing contracts as YAML: the terms read back, and every malformed contract refused with file:line:col.</summary>
public sealed class ShareContractParserTests
{
    private const string Valid = """
        name: study-2027
        recipient: Note-taking study, Example University
        purpose: How people spread notes across topics
        k: 5
        expires: 2027-06-30
        revocable: false
        quasi_identifiers: [category, month, status]
        what:
          facts:
            categories: [Preference, skill]
            measures: [count, share, mean_confidence]
          goals:
            status: [active, done]
            measures: [count, mean_progress]
          activity:
        """;

    private static IReadOnlyList<string> Problems(string yaml) =>
        Assert.Throws<ShareContractException>(() => ShareContractParser.Load(yaml, "c.share.yaml")).Problems;

    [Fact]
    public void A_contract_reads_its_terms_and_each_source_groups_by_the_quasi_identifiers_it_has()
    {
        var contract = ShareContractParser.Load(Valid, "c.share.yaml");
        Assert.Equal(("study-2027", "Note-taking study, Example University", 5, new DateOnly(2027, 6, 30), false),
            (contract.Name, contract.Recipient, contract.K, contract.Expires, contract.Revocable));
        Assert.Equal(["category", "month", "status"], contract.QuasiIdentifiers);
        Assert.Equal(["facts", "goals", "activity"], contract.What.Select(s => s.Source));
        var facts = contract.What[0];
        Assert.Equal(["preference", "skill"], facts.Values);
        Assert.Equal(["category", "month"], facts.GroupBy);
        Assert.Equal(["month", "status"], contract.What[1].GroupBy); // the contract's order
        Assert.Equal(["month"], contract.What[2].GroupBy);
        Assert.Equal(["count"], contract.What[2].Measures);
        Assert.Null(contract.What[2].Values);
        Assert.Equal(ShareContractParser.Hash(Valid), contract.Sha256);
        Assert.StartsWith("sha256:", contract.Sha256, StringComparison.Ordinal);
        Assert.NotEqual(contract.Sha256, ShareContractParser.Load(Valid.Replace("k: 5", "k: 6", StringComparison.Ordinal), "c.share.yaml").Sha256);
        Assert.True(contract.IsExpired(new DateOnly(2027, 7, 1)));
        Assert.False(contract.IsExpired(new DateOnly(2027, 6, 30)));
    }

    [Fact]
    public void An_unknown_key_is_refused_at_its_line_and_column_with_the_closest_name()
    {
        var problem = Assert.Single(Problems(Valid.Replace("revocable: false", "revokable: false", StringComparison.Ordinal)));
        Assert.Equal("c.share.yaml:6:1: unknown field 'revokable' in the contract; did you mean 'revocable'?", problem);

        var nested = Assert.Single(Problems(Valid.Replace("    measures: [count, mean_progress]", "    mesures: [count, mean_progress]", StringComparison.Ordinal)));
        Assert.Equal("c.share.yaml:14:5: unknown field 'mesures' in what.goals; did you mean 'measures'?", nested);

        var source = Problems(Valid.Replace("  goals:", "  goal:", StringComparison.Ordinal));
        Assert.Contains("c.share.yaml:12:3: unknown field 'goal' in what; did you mean 'goals'?", source);
    }

    [Fact]
    public void Bad_values_are_each_reported_where_they_are()
    {
        var yaml = """
            name: "has spaces"
            recipient: Someone
            purpose: Research
            k: 1
            expires: 30/06/2027
            quasi_identifiers: [category, monht, category]
            what:
              facts:
                categories: [preference]
                measures: [count, median_confidence]
            """;
        var problems = Problems(yaml);
        Assert.Contains(problems, p => p.StartsWith("c.share.yaml:1:7: the name 'has spaces' must be", StringComparison.Ordinal));
        Assert.Contains("c.share.yaml:4:4: 'k' must be a whole number from 2 to 100000 (groups of fewer records are suppressed)", problems);
        Assert.Contains("c.share.yaml:5:10: 'expires' must be a date, YYYY-MM-DD (e.g. 2027-06-30), not '30/06/2027'", problems);
        Assert.Contains("c.share.yaml:6:31: quasi-identifier 'monht' is not one of category, domain, month, status (did you mean month?)", problems);
        Assert.Contains("c.share.yaml:6:38: quasi-identifier 'category' is named twice", problems);
        Assert.Contains(problems, p => p.StartsWith("c.share.yaml:10:23: what.facts.measures: 'median_confidence' is not one of count, share, mean_confidence, mean_importance", StringComparison.Ordinal));
        Assert.Equal(6, problems.Count);
    }

    [Fact]
    public void Missing_terms_and_free_text_groups_without_their_list_are_refused()
    {
        var missing = Problems("name: x\nwhat:\n  facts:\n");
        Assert.Contains("c.share.yaml:1:1: the contract needs 'recipient'", missing);
        Assert.Contains("c.share.yaml:1:1: the contract needs 'k' (the smallest group that may be shared, at least 2)", missing);
        Assert.Contains("c.share.yaml:1:1: the contract needs 'expires' (a date, YYYY-MM-DD)", missing);

        var free = Problems(Valid.Replace("    categories: [Preference, skill]\n", "", StringComparison.Ordinal));
        Assert.Equal("c.share.yaml:10:5: what.facts: grouping by 'category' needs 'categories', the list of categories that may leave (category names are free text)", Assert.Single(free));

        var unused = Problems(Valid.Replace("[category, month, status]", "[domain, month]", StringComparison.Ordinal).Replace("  activity:", "", StringComparison.Ordinal));
        Assert.Equal("c.share.yaml:7:21: quasi-identifier 'domain' applies to none of the sources in 'what' (documents, activity have it)", Assert.Single(unused));

        var status = Problems(Valid.Replace("[active, done]", "[active, finished]", StringComparison.Ordinal));
        Assert.Equal("c.share.yaml:13:22: what.goals.status: 'finished' is not one of active, done, archived", Assert.Single(status));
    }

    [Fact]
    public void Yaml_that_does_not_parse_gives_its_line_and_column()
    {
        var problem = Assert.Single(Problems("name: x\nrecipient: a study: of notes\nk: 5\n"));
        Assert.Matches(@"^c\.share\.yaml:2:\d+: ", problem);
        Assert.Single(Problems("name: x\nk: [5\nexpires: 2027-01-01\n"));
        Assert.Equal("c.share.yaml:1:1: a sharing contract is a YAML mapping with name, recipient, purpose, k, expires, quasi_identifiers and what", Assert.Single(Problems("- just\n- a list\n")));
    }

    [Fact]
    public void A_missing_contract_file_is_not_found()
    {
        var e = Assert.Throws<NotFoundException>(() => ShareContractParser.LoadFile(Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "none.yaml")));
        Assert.Contains("No contract file", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_documented_example_contract_reads()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "MiniMe.slnx"))) root = root.Parent;
        Assert.NotNull(root);
        var contract = ShareContractParser.LoadFile(Path.Combine(root.FullName, "examples", "share", "study.share.yaml"));
        Assert.Equal(("study-2027", 5), (contract.Name, contract.K));
        Assert.Equal(["facts", "documents", "goals", "activity"], contract.What.Select(s => s.Source));
        Assert.Equal(["domain", "month"], contract.What[1].GroupBy);
        Assert.Contains("examples/share/study.share.yaml", File.ReadAllText(Path.Combine(root.FullName, "docs", "sharing.md")), StringComparison.Ordinal);
    }
}
