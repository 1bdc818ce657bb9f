using System.Globalization;
using System.Text.Json;
using MiniMe.Server.Tests.Support;

namespace MiniMe.Server.Tests;

/// <summary>`minime goals` in-process over a real workspace: the owner's goals in server.db, the same ones the API serves.</summary>
public sealed class GoalCliTests : IDisposable
{
    private readonly string _home = Path.Combine(Path.GetTempPath(), "minime-server-tests", Guid.NewGuid().ToString("N"));
    private readonly string _trust = Directory.CreateTempSubdirectory("minime-goals-trust-").FullName;

    private Task<(int Code, string Out, string Error)> RunAsync(params string[] args) => CliRun.RunAsync(_home, Path.Combine(_trust, "trust.json"), args);

    private static string InDays(int days) => DateOnly.FromDateTime(DateTime.Now).AddDays(days).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private async Task<string> AddAsync(params string[] args)
    {
        var added = await RunAsync(["goals", "add", .. args, "--json"]);
        Assert.True(added.Code == 0, added.Error);
        return JsonDocument.Parse(added.Out).RootElement.GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task Goals_add_list_show_progress_milestones_done_and_archive()
    {
        Assert.Equal(0, (await RunAsync("init", "--name", "nima")).Code);
        var ship = await AddAsync("Ship", "v2", "--deadline", InDays(3), "--description", "The deploy tool's next release");
        var rust = await AddAsync("Learn Rust");

        var list = JsonDocument.Parse((await RunAsync("goals", "list", "--json")).Out).RootElement;
        Assert.Equal([ship, rust], list.EnumerateArray().Select(g => g.GetProperty("id").GetString()));
        Assert.Equal(("Ship v2", InDays(3)), (list[0].GetProperty("title").GetString(), list[0].GetProperty("deadline").GetString()));

        var milestone = await RunAsync("goals", "milestone", ship, "add", "Write", "release", "notes", "--due", InDays(2));
        Assert.True(milestone.Code == 0, milestone.Error);
        var second = await RunAsync("goals", "milestone", ship, "add", "Tag the build");
        Assert.Equal(0, second.Code);
        Assert.Equal(0, (await RunAsync("goals", "progress", ship, "40")).Code);
        var shown = JsonDocument.Parse((await RunAsync("goals", "show", ship, "--json")).Out).RootElement;
        var milestones = shown.GetProperty("milestones").EnumerateArray().ToList();
        Assert.Equal(["Write release notes", "Tag the build"], milestones.Select(m => m.GetProperty("title").GetString()));
        Assert.Equal(40, shown.GetProperty("progress").GetInt32());
        var first = milestones[0].GetProperty("id").GetString()!;
        var tag = milestones[1].GetProperty("id").GetString()!;

        Assert.Equal(0, (await RunAsync("goals", "milestone", ship, "done", first)).Code);
        Assert.Equal(0, (await RunAsync("goals", "milestone", ship, "remove", tag)).Code);
        var text = await RunAsync("goals", "show", ship);
        Assert.Contains("████░░░░░░ 40%", text.Out, StringComparison.Ordinal);
        Assert.Contains("Write release notes", text.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("Tag the build", text.Out, StringComparison.Ordinal);
        Assert.Contains("done", text.Out, StringComparison.Ordinal);

        var overview = await RunAsync("goals");
        Assert.Equal(0, overview.Code);
        Assert.Contains("Learn Rust", overview.Out, StringComparison.Ordinal);
        Assert.Contains($"Due soon: \"Ship v2\" is due in 3 days ({InDays(3)}), 40% done.", overview.Out, StringComparison.Ordinal);

        Assert.Equal(0, (await RunAsync("goals", "done", ship)).Code);
        Assert.Equal(0, (await RunAsync("goals", "archive", rust)).Code);
        Assert.Empty(JsonDocument.Parse((await RunAsync("goals", "list", "--json")).Out).RootElement.EnumerateArray());
        var all = JsonDocument.Parse((await RunAsync("goals", "list", "--all", "--json")).Out).RootElement.EnumerateArray()
            .ToDictionary(g => g.GetProperty("id").GetString()!, g => (g.GetProperty("status").GetString(), g.GetProperty("progress").GetInt32()));
        Assert.Equal(("done", 100), all[ship]);
        Assert.Equal(("archived", 0), all[rust]);
        Assert.DoesNotContain("Due soon", (await RunAsync("goals")).Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Goals_alone_and_a_goals_milestone_list_print_json()
    {
        Assert.Equal(0, (await RunAsync("init", "--name", "nima")).Code);
        var ship = await AddAsync("Ship v2", "--deadline", InDays(2));
        var rust = await AddAsync("Learn Rust");
        Assert.Equal(0, (await RunAsync("goals", "archive", rust)).Code);
        Assert.Equal(0, (await RunAsync("goals", "milestone", ship, "add", "Write", "notes")).Code);
        Assert.Equal(0, (await RunAsync("goals", "milestone", ship, "add", "Tag", "--due", InDays(1))).Code);

        var overview = await RunAsync("goals", "--json");
        Assert.True(overview.Code == 0, overview.Error);
        var json = JsonDocument.Parse(overview.Out).RootElement;
        Assert.Equal([ship], json.GetProperty("goals").EnumerateArray().Select(g => g.GetProperty("id").GetString()));
        var alert = Assert.Single(json.GetProperty("alerts").EnumerateArray());
        Assert.Equal((ship, 2, false), (alert.GetProperty("goal_id").GetString(), alert.GetProperty("days_left").GetInt32(), alert.GetProperty("overdue").GetBoolean()));

        var listed = await RunAsync("goals", "milestone", ship, "list", "--json");
        Assert.True(listed.Code == 0, listed.Error);
        var milestones = JsonDocument.Parse(listed.Out).RootElement.EnumerateArray().ToList();
        Assert.Equal(["Write notes", "Tag"], milestones.Select(m => m.GetProperty("title").GetString()));
        Assert.Equal([1, 2], milestones.Select(m => m.GetProperty("order").GetInt32()));
        Assert.Equal(InDays(1), milestones[1].GetProperty("due").GetString());
        var table = await RunAsync("goals", "milestone", ship, "list");
        Assert.Contains("Write notes", table.Out, StringComparison.Ordinal);
        Assert.Contains("No milestones", (await RunAsync("goals", "milestone", rust, "list")).Out, StringComparison.Ordinal);
        Assert.Equal(1, (await RunAsync("goals", "milestone", "g_000000000000", "list", "--json")).Code);
    }

    [Fact]
    public async Task Bad_input_exits_2_and_an_unknown_goal_exits_1_with_one_line()
    {
        Assert.Equal(0, (await RunAsync("init", "--name", "nima")).Code);
        var id = await AddAsync("Learn Rust");

        var date = await RunAsync("goals", "add", "Ship", "--deadline", "2026-13-01");
        Assert.Equal(2, date.Code);
        Assert.Equal("error: The deadline '2026-13-01' is not a date; use YYYY-MM-DD (e.g. 2026-12-31).", date.Error.Trim());
        Assert.Equal(2, (await RunAsync("goals", "progress", id, "101")).Code);
        Assert.Equal(2, (await RunAsync("goals", "milestone", id, "add", "Step", "--due", "soon")).Code);
        Assert.Equal(2, (await RunAsync("goals", "update", id, "--deadline", InDays(1), "--no-deadline")).Code);
        Assert.Equal(2, (await RunAsync("goals", "link", id)).Code);
        var unknown = await RunAsync("goals", "show", "g_000000000000");
        Assert.Equal(1, unknown.Code);
        Assert.Contains("No goal 'g_000000000000'", unknown.Error, StringComparison.Ordinal);
        Assert.Equal(1, (await RunAsync("goals", "milestone", id, "done", "m_nope")).Code);
        Assert.Equal(1, (await RunAsync("goals", "link", id, "--fact", "42")).Code);
    }

    [Fact]
    public async Task Update_changes_and_removes_the_deadline_and_link_points_at_a_run()
    {
        Assert.Equal(0, (await RunAsync("init", "--name", "nima")).Code);
        var id = await AddAsync("Ship v2", "--deadline", InDays(40));
        Assert.Equal(0, (await RunAsync("goals", "update", id, "--title", "Ship v2.1", "--deadline", InDays(5))).Code);
        var updated = JsonDocument.Parse((await RunAsync("goals", "show", id, "--json")).Out).RootElement;
        Assert.Equal(("Ship v2.1", InDays(5)), (updated.GetProperty("title").GetString(), updated.GetProperty("deadline").GetString()));
        Assert.Equal(0, (await RunAsync("goals", "update", id, "--no-deadline")).Code);
        Assert.False(JsonDocument.Parse((await RunAsync("goals", "show", id, "--json")).Out).RootElement.TryGetProperty("deadline", out _));

        var ask = await RunAsync("ask", "--dry-run", "plan shipping v2.1");
        Assert.True(ask.Code == 0, ask.Error);
        var run = JsonDocument.Parse((await RunAsync("runs", "--json")).Out).RootElement[0].GetProperty("run_id").GetString()!;
        Assert.Equal(0, (await RunAsync("goals", "link", id, "--run", run)).Code);
        var link = Assert.Single(JsonDocument.Parse((await RunAsync("goals", "show", id, "--json")).Out).RootElement.GetProperty("links").EnumerateArray());
        Assert.Equal(("run", run), (link.GetProperty("kind").GetString(), link.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task Alert_days_is_read_from_config_yaml_and_a_negative_value_is_refused()
    {
        Assert.Equal(0, (await RunAsync("init", "--name", "nima")).Code);
        await AddAsync("In ten days", "--deadline", InDays(10));
        Assert.DoesNotContain("Due soon", (await RunAsync("goals")).Out, StringComparison.Ordinal);

        var config = Path.Combine(_home, "config.yaml");
        File.AppendAllText(config, "\ngoals:\n  alertDays: 10\n");
        Assert.Contains("Due soon: \"In ten days\" is due in 10 days", (await RunAsync("goals")).Out, StringComparison.Ordinal);

        File.WriteAllText(config, File.ReadAllText(config).Replace("alertDays: 10", "alertDays: -1", StringComparison.Ordinal));
        var refused = await RunAsync("goals");
        Assert.Equal(2, refused.Code);
        Assert.Contains("goals.alertDays must not be negative", refused.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Suggest_without_a_model_exits_1_and_says_how_to_configure_one()
    {
        Assert.Equal(0, (await RunAsync("init", "--name", "nima")).Code);
        var id = await AddAsync("Learn Rust");

        var suggest = await RunAsync("goals", "suggest", id);

        Assert.Equal(1, suggest.Code);
        Assert.Contains("No suggestions: no model is configured", suggest.Error, StringComparison.Ordinal);
        Assert.Contains("llm.provider", suggest.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_goal_added_by_the_cli_is_served_by_the_api_to_the_workspace_owner()
    {
        await using var server = await TestServer.StartAsync();
        var run = (string[] args) => CliRun.RunAsync(server.Workspace.Root, Path.Combine(_trust, "trust.json"), args);
        var added = await run(["goals", "add", "Written", "from", "the", "CLI", "--deadline", InDays(2), "--json"]);
        Assert.True(added.Code == 0, added.Error);
        var id = JsonDocument.Parse(added.Out).RootElement.GetProperty("id").GetString()!;
        Assert.Equal(0, (await run(["goals", "milestone", id, "add", "First", "step"])).Code);

        var owner = server.Client(server.CreateKey("owner-key"));
        var goal = await owner.GetJsonAsync($"/v1/goals/{id}");
        Assert.Equal("Written from the CLI", goal.GetProperty("title").GetString());
        Assert.Equal("First step", goal.GetProperty("milestones")[0].GetProperty("title").GetString());
        Assert.Equal(id, (await owner.GetJsonAsync("/v1/goals/alerts")).GetProperty("alerts")[0].GetProperty("goal_id").GetString());

        var other = server.Client(server.CreateKey("dana-key", "dana"));
        using var hidden = await other.GetAsync($"/v1/goals/{id}");
        await hidden.AssertProblemAsync(404);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_home, recursive: true); } catch (IOException) { }
        try { Directory.Delete(_trust, recursive: true); } catch (IOException) { }
    }
}
