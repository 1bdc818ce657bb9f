using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using MiniMe.Server.Goals;
using MiniMe.Server.Storage;
using MiniMe.Server.Tests.Support;
using MiniMe.Tracing;

namespace MiniMe.Server.Tests;

/// <summary>/v1/goals on real Kestrel: CRUD, milestones, links, isolation, alerts, notifications, suggestions, and goals in a run's context.</summary>
[Trait("Category", "Integration")]
public sealed class GoalApiTests
{
    private static DateOnly Today => DateOnly.FromDateTime(DateTime.Now);

    private static string InDays(int days) => Today.AddDays(days).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    [Fact]
    public async Task Goals_are_created_read_patched_and_deleted_with_milestones_and_links()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client(server.CreateKey("k"));

        using var created = await client.PostAsJsonAsync("/v1/goals", new { title = "Ship v2", description = "The deploy tool's next release", deadline = InDays(30) });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var goal = await created.ReadAsync();
        var id = goal.GetProperty("id").GetString()!;
        Assert.StartsWith("g_", id, StringComparison.Ordinal);
        Assert.Equal($"/v1/goals/{id}", created.Headers.Location?.OriginalString);
        Assert.Equal(("active", 0, InDays(30)), (goal.GetProperty("status").GetString(), goal.GetProperty("progress").GetInt32(), goal.GetProperty("deadline").GetString()));

        var first = await client.PostJsonAsync($"/v1/goals/{id}/milestones", new { title = "Freeze features", due = InDays(10) });
        var second = await client.PostJsonAsync($"/v1/goals/{id}/milestones", new { title = "Write release notes" });
        var firstId = first.GetProperty("id").GetString()!;
        var secondId = second.GetProperty("id").GetString()!;
        Assert.Equal((1, 2), (first.GetProperty("order").GetInt32(), second.GetProperty("order").GetInt32()));

        using (var done = await client.PatchAsJsonAsync($"/v1/goals/{id}/milestones/{firstId}", new { status = "done" }))
            Assert.Equal("done", (await done.ReadAsync()).GetProperty("status").GetString());
        using (var patched = await client.PatchAsJsonAsync($"/v1/goals/{id}", new { progress = 40, title = "Ship v2.0", deadline = (string?)null }))
        {
            Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
            var body = await patched.ReadAsync();
            Assert.Equal(("Ship v2.0", 40), (body.GetProperty("title").GetString(), body.GetProperty("progress").GetInt32()));
            Assert.False(body.TryGetProperty("deadline", out _), "deadline: null should remove the deadline");
        }
        using (var removed = await client.DeleteAsync($"/v1/goals/{id}/milestones/{secondId}"))
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);

        var run = (await client.PostJsonAsync("/v1/ask", new { task = "plan the v2 release" })).GetProperty("run_id").GetString()!;
        using (var link = await client.PostAsJsonAsync($"/v1/goals/{id}/links", new { kind = "run", id = run }))
            Assert.Equal(HttpStatusCode.Created, link.StatusCode);
        using (var twice = await client.PostAsJsonAsync($"/v1/goals/{id}/links", new { kind = "run", id = run }))
            Assert.Equal(HttpStatusCode.Created, twice.StatusCode);
        using (var unknownRun = await client.PostAsJsonAsync($"/v1/goals/{id}/links", new { kind = "run", id = "20200101-000000-abcdef" }))
            await unknownRun.AssertProblemAsync(404);

        var detail = await client.GetJsonAsync($"/v1/goals/{id}");
        var milestone = Assert.Single(detail.GetProperty("milestones").EnumerateArray());
        Assert.Equal((firstId, "done", InDays(10)), (milestone.GetProperty("id").GetString(), milestone.GetProperty("status").GetString(), milestone.GetProperty("due").GetString()));
        var linked = Assert.Single(detail.GetProperty("links").EnumerateArray());
        Assert.Equal(("run", run), (linked.GetProperty("kind").GetString(), linked.GetProperty("id").GetString()));

        await client.PatchAsJsonAsync($"/v1/goals/{id}", new { status = "archived" });
        Assert.Empty((await client.GetJsonAsync("/v1/goals?status=active")).EnumerateArray());
        Assert.Single((await client.GetJsonAsync("/v1/goals?status=archived")).EnumerateArray());

        using (var deleted = await client.DeleteAsync($"/v1/goals/{id}"))
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using var gone = await client.GetAsync($"/v1/goals/{id}");
        await gone.AssertProblemAsync(404);
    }

    [Fact]
    public async Task Bad_goal_input_is_a_problem_that_says_what_to_send()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client(server.CreateKey("k"));
        var id = (await client.PostJsonAsync("/v1/goals", new { title = "Run a marathon" })).GetProperty("id").GetString()!;

        using (var empty = await client.PostAsJsonAsync("/v1/goals", new { title = "  " }))
            Assert.Contains("title is empty", await empty.AssertProblemAsync(400), StringComparison.Ordinal);
        using (var date = await client.PostAsJsonAsync("/v1/goals", new { title = "x", deadline = "next friday" }))
            Assert.Contains("YYYY-MM-DD", await date.AssertProblemAsync(400), StringComparison.Ordinal);
        using (var range = await client.PatchAsJsonAsync($"/v1/goals/{id}", new { progress = 101 }))
            Assert.Contains("0 to 100", await range.AssertProblemAsync(400), StringComparison.Ordinal);
        using (var status = await client.PatchAsJsonAsync($"/v1/goals/{id}", new { status = "paused" }))
            Assert.Contains("active, done, archived", await status.AssertProblemAsync(400), StringComparison.Ordinal);
        using (var member = await client.PatchAsJsonAsync($"/v1/goals/{id}", new { colour = "red" }))
            Assert.Contains("Unknown member 'colour'", await member.AssertProblemAsync(400), StringComparison.Ordinal);
        using (var kind = await client.PostAsJsonAsync($"/v1/goals/{id}/links", new { kind = "file", id = "x" }))
            await kind.AssertProblemAsync(400);
        using (var milestone = await client.PatchAsJsonAsync($"/v1/goals/{id}/milestones/m_nope", new { status = "done" }))
            await milestone.AssertProblemAsync(404);
    }

    [Fact]
    public async Task Another_users_goal_is_not_found_and_never_listed()
    {
        await using var server = await TestServer.StartAsync();
        var owner = server.Client(server.CreateKey("owner-key"));
        var dana = server.Client(server.CreateKey("dana-key", "dana"));
        var id = (await owner.PostJsonAsync("/v1/goals", new { title = "Owner's private goal", deadline = InDays(1) })).GetProperty("id").GetString()!;
        var milestone = (await owner.PostJsonAsync($"/v1/goals/{id}/milestones", new { title = "step" })).GetProperty("id").GetString()!;

        Assert.Empty((await dana.GetJsonAsync("/v1/goals")).EnumerateArray());
        Assert.Empty((await dana.GetJsonAsync("/v1/goals/alerts")).GetProperty("alerts").EnumerateArray());
        using (var get = await dana.GetAsync($"/v1/goals/{id}")) await get.AssertProblemAsync(404);
        using (var patch = await dana.PatchAsJsonAsync($"/v1/goals/{id}", new { progress = 99 })) await patch.AssertProblemAsync(404);
        using (var add = await dana.PostAsJsonAsync($"/v1/goals/{id}/milestones", new { title = "sneaky" })) await add.AssertProblemAsync(404);
        using (var done = await dana.PatchAsJsonAsync($"/v1/goals/{id}/milestones/{milestone}", new { status = "done" })) await done.AssertProblemAsync(404);
        using (var delete = await dana.DeleteAsync($"/v1/goals/{id}")) await delete.AssertProblemAsync(404);

        var kept = await owner.GetJsonAsync($"/v1/goals/{id}");
        Assert.Equal((0, "open"), (kept.GetProperty("progress").GetInt32(), kept.GetProperty("milestones")[0].GetProperty("status").GetString()));
        Assert.Single(kept.GetProperty("milestones").EnumerateArray());
    }

    [Fact]
    public async Task Alerts_are_active_goals_due_within_alert_days_or_overdue_most_urgent_first()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client(server.CreateKey("k"));
        var soon = (await client.PostJsonAsync("/v1/goals", new { title = "Due in three days", deadline = InDays(3), progress = 20 })).GetProperty("id").GetString()!;
        var late = (await client.PostJsonAsync("/v1/goals", new { title = "Overdue", deadline = InDays(-2) })).GetProperty("id").GetString()!;
        await client.PostJsonAsync("/v1/goals", new { title = "Far away", deadline = InDays(8) });
        await client.PostJsonAsync("/v1/goals", new { title = "No deadline" });
        var finished = (await client.PostJsonAsync("/v1/goals", new { title = "Finished", deadline = InDays(1) })).GetProperty("id").GetString()!;
        await client.PatchAsJsonAsync($"/v1/goals/{finished}", new { status = "done" });

        var response = await client.GetJsonAsync("/v1/goals/alerts");

        Assert.Equal(7, response.GetProperty("alert_days").GetInt32());
        var alerts = response.GetProperty("alerts").EnumerateArray().ToList();
        Assert.Equal([late, soon], alerts.Select(a => a.GetProperty("goal_id").GetString()));
        Assert.True(alerts[0].GetProperty("overdue").GetBoolean());
        Assert.Equal(-2, alerts[0].GetProperty("days_left").GetInt32());
        Assert.Equal("\"Due in three days\" is due in 3 days (" + InDays(3) + "), 20% done.", alerts[1].GetProperty("message").GetString());
    }

    [Fact]
    public async Task Notifications_stream_a_goal_due_event_per_alert_at_connect_and_when_a_goal_becomes_due()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client(server.CreateKey("k"));
        var due = (await client.PostJsonAsync("/v1/goals", new { title = "Renew the certificate", deadline = InDays(2) })).GetProperty("id").GetString()!;
        var later = (await client.PostJsonAsync("/v1/goals", new { title = "Plan the offsite", deadline = InDays(60) })).GetProperty("id").GetString()!;
        var dana = server.Client(server.CreateKey("dana-key", "dana"));

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/notifications");
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var events = new RawSse(await response.Content.ReadAsStreamAsync(timeout.Token));

        var first = await events.NextAsync(timeout.Token);
        Assert.Equal("goal_due", first.Type);
        Assert.Equal(due, first.Data.GetProperty("goal_id").GetString());

        // Another user's due goal is not this stream's; then the owner's later goal moves within alertDays.
        await dana.PostJsonAsync("/v1/goals", new { title = "Dana's deadline", deadline = InDays(1) });
        using (var patch = await client.PatchAsJsonAsync($"/v1/goals/{later}", new { deadline = InDays(1) }))
            Assert.Equal(HttpStatusCode.OK, patch.StatusCode);

        var second = await events.NextAsync(timeout.Token);
        Assert.Equal("goal_due", second.Type);
        Assert.Equal(later, second.Data.GetProperty("goal_id").GetString());
        Assert.Equal(1, second.Data.GetProperty("days_left").GetInt32());
    }

    [Fact]
    public async Task Notifications_pick_up_a_goal_another_process_wrote_at_the_next_poll()
    {
        await using var server = await TestServer.StartAsync(services: s => s.AddSingleton(sp => new GoalNotifications(
            sp.GetRequiredService<GoalStore>(), sp.GetRequiredService<GoalAlerts>(), sp.GetRequiredService<GoalNotifier>(), TimeProvider.System)
        {
            PollInterval = TimeSpan.FromMilliseconds(100),
        }));
        var client = server.Client(server.CreateKey("k"));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await client.GetAsync("/v1/notifications", HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        using var events = new RawSse(await response.Content.ReadAsStreamAsync(timeout.Token));

        // As `minime goals add` would: its own database instance and notifier, so this server hears nothing of it.
        string id;
        await using (var elsewhere = new SqliteServerDatabase(Path.Combine(server.Workspace.Root, SqliteServerDatabase.FileName)))
            id = new GoalStore(elsewhere, new GoalNotifier(), TimeProvider.System).Create(TestServer.Owner, "Written by the CLI", deadline: Today).Id;

        var due = await events.NextAsync(timeout.Token);
        Assert.Equal(("goal_due", id, 0), (due.Type, due.Data.GetProperty("goal_id").GetString(), due.Data.GetProperty("days_left").GetInt32()));
    }

    [Fact]
    public async Task Suggestions_repair_a_malformed_answer_by_asking_again_and_are_traced_as_a_run()
    {
        var model = new ScriptedChatClient();
        await using var server = await TestServer.StartAsync(model);
        var client = server.Client(server.CreateKey("k"));
        await client.PostJsonAsync("/v1/memory/facts", new { text = "Writes release notes in the CHANGELOG file.", category = "process" });
        var id = (await client.PostJsonAsync("/v1/goals", new { title = "Publish the release", description = "Version 2 of the CLI" })).GetProperty("id").GetString()!;
        var milestone = (await client.PostJsonAsync($"/v1/goals/{id}/milestones", new { title = "Release notes written" })).GetProperty("id").GetString()!;
        // First a truncated object (not repairable), then a fenced answer (repaired) naming the goal's milestone.
        model.Enqueue("{\"suggestions\": [{\"action\": \"Book the venue\"")
            .Enqueue("```json\n{\"suggestions\": [{\"action\": \"Write the release notes draft\", \"why\": \"It is the open milestone\", \"milestone_id\": \"" + milestone + "\"}, " +
                     "{\"action\": \"Tag the release candidate\", \"why\": \"Testers need a build\", \"milestone_id\": null}]}\n```");

        var result = await client.PostJsonAsync($"/v1/goals/{id}/suggestions", new { });

        var suggestions = result.GetProperty("suggestions").EnumerateArray().ToList();
        Assert.Equal(2, suggestions.Count);
        Assert.Equal(("Write the release notes draft", milestone), (suggestions[0].GetProperty("action").GetString(), suggestions[0].GetProperty("milestone_id").GetString()));
        Assert.False(suggestions[1].TryGetProperty("milestone_id", out _));

        var requests = model.Requests.ToList();
        Assert.Equal(2, requests.Count);
        var prompt = requests[0][1].Text;
        Assert.Contains("Publish the release", prompt, StringComparison.Ordinal);
        Assert.Contains(milestone + ", open, Release notes written", prompt, StringComparison.Ordinal);
        Assert.Contains("Writes release notes in the CHANGELOG file.", prompt, StringComparison.Ordinal);
        Assert.Contains("could not be used", requests[1][^1].Text, StringComparison.Ordinal);

        var runId = result.GetProperty("run_id").GetString()!;
        var trace = new TraceStore(server.Workspace.TracesDirectory).Read(runId);
        Assert.Equal(TraceEventTypes.TaskStart, trace[0].EventType);
        Assert.Equal(TraceEventTypes.RunEnd, trace[^1].EventType);
        Assert.Equal("completed", trace[^1].Data["status"]!.GetValue<string>());
        Assert.Equal(2, trace.Count(e => e.EventType == TraceEventTypes.AgentCall));
        Assert.Equal([false, true], trace.Where(e => e.EventType == TraceEventTypes.AgentOutput).Select(e => e.Data["valid"]!.GetValue<bool>()));
        var runs = await client.GetJsonAsync("/v1/runs");
        Assert.Contains(runs.EnumerateArray(), r => r.GetProperty("run_id").GetString() == runId);
    }

    [Fact]
    public async Task Suggestions_that_stay_invalid_fail_with_a_502_and_an_error_run()
    {
        var model = new ScriptedChatClient().Enqueue("not json at all").Enqueue("{\"suggestions\": []}");
        await using var server = await TestServer.StartAsync(model);
        var client = server.Client(server.CreateKey("k"));
        var id = (await client.PostJsonAsync("/v1/goals", new { title = "Learn Rust" })).GetProperty("id").GetString()!;

        using var response = await client.PostAsJsonAsync($"/v1/goals/{id}/suggestions", new { });

        Assert.Contains("goal_suggester", await response.AssertProblemAsync(502), StringComparison.Ordinal);
        var run = new TraceStore(server.Workspace.TracesDirectory).List().Single(r => r.Task.Contains(id, StringComparison.Ordinal));
        Assert.Equal("error", run.Status);
    }

    [Fact]
    public async Task Suggestions_without_a_model_are_a_503_that_says_how_to_configure_one()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client(server.CreateKey("k"));
        var id = (await client.PostJsonAsync("/v1/goals", new { title = "Learn Rust" })).GetProperty("id").GetString()!;

        using var response = await client.PostAsJsonAsync($"/v1/goals/{id}/suggestions", new { });

        var detail = await response.AssertProblemAsync(503);
        Assert.Contains("No suggestions", detail, StringComparison.Ordinal);
        Assert.Contains("llm.provider", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_chat_turn_gets_the_relevant_active_goal_in_its_context_and_prompt()
    {
        var model = new ScriptedChatClient().Enqueue("Start with the schema.");
        await using var server = await TestServer.StartAsync(model);
        var client = server.Client(server.CreateKey("k"));
        var (relevant, others) = await GoalsForContextAsync(client);

        var reply = await client.PostJsonAsync("/v1/chat", new { message = "How should I approach the billing migration?" });

        AssertGoalBlock(server, reply.GetProperty("run_id").GetString()!, relevant, others);
        var system = Assert.Single(model.Requests)[0].Text;
        Assert.Contains($"The user's goal: Migrate billing to PostgreSQL (deadline {InDays(20)}, 30% done)", system, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_ask_run_gets_the_relevant_active_goal_in_its_context()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client(server.CreateKey("k"));
        var (relevant, others) = await GoalsForContextAsync(client);

        var ask = await client.PostJsonAsync("/v1/ask", new { task = "write a plan for the billing database move" });

        AssertGoalBlock(server, ask.GetProperty("run_id").GetString()!, relevant, others);
    }

    /// <summary>One goal about billing, one about something else, one about billing but archived.</summary>
    private static async Task<(string Relevant, string[] Others)> GoalsForContextAsync(HttpClient client)
    {
        var relevant = (await client.PostJsonAsync("/v1/goals", new { title = "Migrate billing to PostgreSQL", deadline = InDays(20), progress = 30 })).GetProperty("id").GetString()!;
        var unrelated = (await client.PostJsonAsync("/v1/goals", new { title = "Run a marathon" })).GetProperty("id").GetString()!;
        var archived = (await client.PostJsonAsync("/v1/goals", new { title = "Billing migration, first attempt" })).GetProperty("id").GetString()!;
        await client.PatchAsJsonAsync($"/v1/goals/{archived}", new { status = "archived" });
        return (relevant, [unrelated, archived]);
    }

    private static void AssertGoalBlock(TestServer server, string runId, string relevant, string[] others)
    {
        var blocks = new TraceStore(server.Workspace.TracesDirectory).Read(runId)
            .Single(e => e.EventType == TraceEventTypes.ContextAssembly).Data["blocks"]!.AsArray();
        var goal = Assert.Single(blocks, b => b!["kind"]!.GetValue<string>() == "Goals");
        Assert.Equal("goal:" + relevant, goal!["id"]!.GetValue<string>());
        Assert.True(goal["kept"]!.GetValue<bool>());
        Assert.DoesNotContain(blocks, b => others.Select(o => "goal:" + o).Contains(b!["id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task The_openapi_document_describes_the_goal_and_notification_endpoints()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client(server.CreateKey("k"));

        var paths = (await client.GetJsonAsync("/openapi/v1.json")).GetProperty("paths");

        foreach (var path in new[] { "/v1/goals", "/v1/goals/{id}", "/v1/goals/alerts", "/v1/goals/{id}/milestones", "/v1/goals/{id}/milestones/{mid}",
                     "/v1/goals/{id}/links", "/v1/goals/{id}/suggestions", "/v1/notifications" })
            Assert.True(paths.TryGetProperty(path, out _), $"{path} is not in the OpenAPI document");
        Assert.True(paths.GetProperty("/v1/goals/{id}").TryGetProperty("patch", out var patch));
        Assert.Contains("deadline", patch.GetRawText(), StringComparison.Ordinal);
    }

    /// <summary>Server-sent events with their event type ("event:") and JSON data.</summary>
    private sealed class RawSse(Stream stream) : IDisposable
    {
        private readonly StreamReader _reader = new(stream);

        public async Task<(string? Type, JsonElement Data)> NextAsync(CancellationToken cancellationToken)
        {
            string? type = null;
            var data = new List<string>();
            while (await _reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (line.Length == 0)
                {
                    if (data.Count > 0) return (type, JsonDocument.Parse(string.Join('\n', data)).RootElement.Clone());
                    continue;
                }
                if (line.StartsWith("event:", StringComparison.Ordinal)) type = line[6..].Trim();
                else if (line.StartsWith("data:", StringComparison.Ordinal)) data.Add(line[5..].TrimStart(' '));
            }
            throw new InvalidOperationException("the event stream ended");
        }

        public void Dispose() => _reader.Dispose();
    }
}
