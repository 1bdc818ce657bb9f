using MiniMe.Tools.Approval;
using MiniMe.Tools.Tests.Support;
using MiniMe.Tracing;

namespace MiniMe.Tools.Tests.Safety;

public sealed class AdversarialCorpusTests
{
    [Fact]
    public void The_corpus_has_at_least_sixty_distinct_cases()
    {
        Assert.True(AdversarialCorpus.All.Count >= 60, $"only {AdversarialCorpus.All.Count} cases");
        Assert.Equal(AdversarialCorpus.All.Count, AdversarialCorpus.All.Select(c => c.Name).Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(AdversarialCorpus.Names), MemberType = typeof(AdversarialCorpus))]
    public async Task Hostile_proposal_is_refused_with_no_side_effect_even_with_yes(string name)
    {
        var hostile = AdversarialCorpus.All.Single(c => c.Name == name);
        using var workspace = new ToolWorkspace();
        var before = workspace.Snapshot();

        var outcome = await workspace.RunAsync(hostile.Tool, hostile.Arguments(workspace), ApprovalMode.Yes);

        Assert.True(outcome.Status == OutcomeStatus.Refused, $"{name}: expected refused, got {outcome.Status}: {outcome.Message}");
        Assert.StartsWith("refused: ", outcome.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', outcome.Message);
        Assert.Null(outcome.Execution);
        Assert.Equal(0, workspace.Host.Context.Runner.StartedCount);
        Assert.Equal(before, workspace.Snapshot());
        Assert.Empty(Directory.GetFiles(workspace.Base, "pwned*", SearchOption.AllDirectories));
        Assert.Empty(workspace.Events(TraceEventTypes.Approval));
        var execution = Assert.Single(workspace.Events(TraceEventTypes.Execution));
        Assert.Equal("refused", execution.Data["status"]!.GetValue<string>());
    }
}
