using Microsoft.Data.Sqlite;
using MiniMe.Context;
using MiniMe.Masks;
using MiniMe.Server.Goals;
using MiniMe.Server.Storage;

namespace MiniMe.Server.Tests;

/// <summary>The rule that picks the goals joining a run's context: shared content words, most first, at most three, active and the user's own.</summary>
public sealed class GoalContextSourceTests : IAsyncDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "minime-server-tests", "goal-context-" + Guid.NewGuid().ToString("N"));
    private readonly SqliteServerDatabase _database;
    private readonly GoalStore _goals;

    public GoalContextSourceTests()
    {
        Directory.CreateDirectory(_folder);
        _database = new SqliteServerDatabase(Path.Combine(_folder, SqliteServerDatabase.FileName));
        _goals = new GoalStore(_database, new GoalNotifier(), TimeProvider.System);
    }

    private async Task<IReadOnlyList<ContextBlock>> BlocksAsync(string task, string user = "ann") =>
        await new GoalContextSource(_goals).BlocksAsync(new ContextSourceRequest(user, "20260101-000000-abcdef", task, TaskProfileFor(task)), CancellationToken.None);

    private static TaskProfile TaskProfileFor(string task) => new KeywordTaskClassifier().Classify(task);

    [Fact]
    public async Task Goals_sharing_the_most_words_go_first_and_at_most_three_join()
    {
        var both = _goals.Create("ann", "Migrate the billing database", "Move invoices to PostgreSQL").Id;
        _goals.Create("ann", "Billing reports for finance");
        var milestone = _goals.Create("ann", "Quarter planning").Id;
        _goals.AddMilestone("ann", milestone, "Estimate the database work");
        var soon = _goals.Create("ann", "Invoices cleanup", deadline: new DateOnly(2027, 1, 1)).Id;
        var later = _goals.Create("ann", "Invoices archive", deadline: new DateOnly(2028, 1, 1)).Id;
        _goals.Create("ann", "Run a marathon");

        var blocks = await BlocksAsync("How do I move the billing invoices to the new database?");

        Assert.Equal(GoalContextSource.MaxGoals, blocks.Count);
        Assert.All(blocks, b => Assert.Equal(ContextBlockKind.Goals, b.Kind));
        Assert.Equal("goal:" + both, blocks[0].Id);
        // Four goals share one word each: those with the nearest deadlines win the two places left.
        Assert.Equal(["goal:" + soon, "goal:" + later], blocks.Skip(1).Select(b => b.Id));
        Assert.Contains("The user's goal: Migrate the billing database (no deadline, 0% done). Move invoices to PostgreSQL.", blocks[0].Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stop_words_match_nothing_a_final_s_is_ignored_and_only_the_users_active_goals_count()
    {
        var deploy = _goals.Create("ann", "Deploy the new cluster").Id;
        _goals.AddMilestone("ann", deploy, "Write the runbook", new DateOnly(2027, 2, 1));
        var done = _goals.Create("ann", "Deploy the old cluster").Id;
        _goals.Update("ann", done, new GoalChanges(Status: GoalStatuses.Done));
        _goals.Create("bob", "Deploy bob's cluster");

        Assert.Empty(await BlocksAsync("what is the plan for this and that?"));
        var block = Assert.Single(await BlocksAsync("review the deploys"));
        Assert.Equal("goal:" + deploy, block.Id);
        Assert.Contains("Open milestones: Write the runbook (due 2027-02-01).", block.Text, StringComparison.Ordinal);
        Assert.Empty(await BlocksAsync("review the deploys", user: "carol"));
    }

    public async ValueTask DisposeAsync()
    {
        await _database.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }
}
