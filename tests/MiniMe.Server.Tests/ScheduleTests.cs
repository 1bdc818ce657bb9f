using System.Net;
using System.Net.Http.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MiniMe.Configuration;
using MiniMe.Hosting;
using MiniMe.Hosting.Users;
using MiniMe.Providers;
using MiniMe.Server.Ask;
using MiniMe.Server.Conversations;
using MiniMe.Server.Schedules;
using MiniMe.Server.Tests.Support;
using MiniMe.Testing;
using MiniMe.Tools.Trust;
using MiniMe.Tracing;
using ScriptedChatClient = MiniMe.Server.Tests.Support.ScriptedChatClient;

namespace MiniMe.Server.Tests;

/// <summary>
/// Recurring schedules: cron expressions and their next run on a fake clock, the scheduler of `minime
/// serve` running what is due as ordinary traced runs, the missed-run policy after downtime, ask
/// schedules whose proposals wait for approval, runs without a model, and /v1/schedules on real Kestrel.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ScheduleTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>Thursday 3 December 2026, 10:30 UTC; the fake clock's local zone is UTC.</summary>
    private static readonly DateTimeOffset Start = new(2026, 12, 3, 10, 30, 0, TimeSpan.Zero);

    private readonly string _root = Path.Combine(Path.GetTempPath(), "minime-server-tests", "schedules-" + Guid.NewGuid().ToString("N"));

    /// <summary>The real OpenAI provider over the loopback server, which answers as the agent team.</summary>
    private static ProviderConnection TeamModel(LoopbackOpenAiServer model) => ChatClientFactory.Create(
        new LlmOptions { Provider = LlmProvider.OpenAI, Endpoint = model.BaseUrl.ToString(), Model = "loopback-model", ApiKeyVariable = "MINIME_TEST_UNSET_KEY", RetryBaseDelayMs = 1 });

    private Workspace NewWorkspace(string? config = null, string folder = "project")
    {
        var workspace = new Workspace(Path.Combine(_root, folder, ".minime"));
        WorkspaceInitializer.Initialize(workspace, TestServer.Owner, force: false);
        if (config is not null) File.AppendAllText(Path.Combine(workspace.Root, "config.yaml"), "\n" + config);
        return workspace;
    }

    /// <summary>One process's composition root over the workspace (what `minime serve` or the CLI builds), on the fake clock.</summary>
    private sealed class Process : IAsyncDisposable
    {
        private readonly ServiceProvider _services;

        public Process(Workspace workspace, TimeProvider time, IChatClient? chat, string trustFile)
        {
            var services = new ServiceCollection();
            var engine = services.AddMiniMe(workspace, ConfigurationLoader.Load(workspace, keys: ServerOptions.SettingKeys)).AddPersonalLayer().UseTrust(new TrustStore(trustFile));
            if (chat is not null) engine.UseChatClient(chat);
            services.AddSingleton(time);
            _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
        }

        public T Get<T>() where T : notnull => _services.GetRequiredService<T>();

        public string Owner => Get<UserSpaces>().Owner.UserId;

        public ScheduleService Schedules => Get<ScheduleService>();

        /// <summary>The scheduler `minime serve` hosts, over this process's services.</summary>
        public SchedulerService NewScheduler() => new(Schedules, Get<ScheduleStore>(), Get<TimeProvider>());

        public ValueTask DisposeAsync() => _services.DisposeAsync();
    }

    private string TrustFile => _root + ".trust.json";

    [Theory]
    [InlineData("61 * * * *", "(")]
    [InlineData("0 9 * * mon-fry", "(")]
    [InlineData("0 9 * *", "(it has 4 fields)")]
    [InlineData("every day at nine", "(it has 4 fields)")]
    [InlineData("0 9 * * 1-5 2026", "(it has 6 fields)")]
    public void A_bad_cron_expression_is_refused_in_one_line_naming_it_and_the_five_fields(string cron, string why)
    {
        var refused = Assert.Throws<InvalidInputException>(() => ScheduleCron.Parse(cron));
        Assert.StartsWith($"'{cron}' is not a cron expression {why}", refused.Message, StringComparison.Ordinal);
        Assert.Contains("give five fields: minute hour day-of-month month day-of-week", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', refused.Message);
    }

    [Fact]
    public void An_empty_expression_and_one_that_never_occurs_are_refused()
    {
        Assert.StartsWith("The cron expression is empty", Assert.Throws<InvalidInputException>(() => ScheduleCron.Parse("  ")).Message, StringComparison.Ordinal);
        var never = ScheduleCron.Parse("0 0 30 2 *");
        Assert.Equal("'0 0 30 2 *' never occurs (no date matches it); check the day-of-month and month fields.",
            Assert.Throws<InvalidInputException>(() => never.RequireNext(Start, TimeZoneInfo.Utc)).Message);
    }

    [Fact]
    public async Task The_next_run_is_the_first_occurrence_after_now_in_schedules_timeZone()
    {
        var time = new FakeTimeProvider(Start);
        await using (var utc = new Process(NewWorkspace(), time, null, TrustFile))
        {
            var weekdays = utc.Schedules.Add(utc.Owner, "0 9 * * 1-5", "Plan my day");
            // 09:00 has passed on Thursday: Friday 09:00 UTC.
            Assert.Equal(new DateTimeOffset(2026, 12, 4, 9, 0, 0, TimeSpan.Zero), weekdays.NextRunAt);
            Assert.Equal(("Plan my day", ScheduleKinds.Chat), (weekdays.Name, weekdays.Kind));
            Assert.Equal(new DateTimeOffset(2026, 12, 3, 10, 45, 0, TimeSpan.Zero), utc.Schedules.Add(utc.Owner, "*/15 * * * *", "Check in").NextRunAt);
        }

        // In Berlin (UTC+1 in December) it is 11:30: 12:00 there is 11:00 UTC.
        await using var berlin = new Process(NewWorkspace("schedules:\n  timeZone: Europe/Berlin\n", "berlin"), time, null, TrustFile);
        Assert.Equal(new DateTimeOffset(2026, 12, 3, 11, 0, 0, TimeSpan.Zero), berlin.Schedules.Add(berlin.Owner, "0 12 * * *", "Lunch").NextRunAt);
        time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(new DateTimeOffset(2026, 12, 4, 11, 0, 0, TimeSpan.Zero), berlin.Schedules.Add(berlin.Owner, "0 12 * * *", "Lunch again").NextRunAt);
    }

    [Fact]
    public async Task An_unknown_time_zone_is_refused_naming_the_setting()
    {
        var workspace = NewWorkspace("schedules:\n  timeZone: Mars/Olympus\n");
        await using var process = new Process(workspace, new FakeTimeProvider(Start), null, TrustFile);
        var refused = Assert.ThrowsAny<MiniMeException>(() => process.Schedules);
        Assert.Contains("schedules.timeZone 'Mars/Olympus' is not a time zone", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_hosted_scheduler_of_serve_runs_a_due_chat_schedule_as_a_traced_run_in_the_schedules_conversation()
    {
        var time = new FakeTimeProvider(Start);
        var chat = new ScriptedChatClient().Enqueue("Today: ", "write the release notes.").Enqueue("Tomorrow: tag the build.");
        await using var server = await TestServer.StartAsync(chat, services: s => s.AddSingleton<TimeProvider>(time));
        var client = server.Client(server.CreateKey("k"));
        var service = server.Services.GetRequiredService<ScheduleService>();
        var executions = new System.Collections.Concurrent.ConcurrentQueue<ScheduleExecution>();
        var first = new TaskCompletionSource<ScheduleExecution>(TaskCreationOptions.RunContinuationsAsynchronously);
        service.Executed += e =>
        {
            executions.Enqueue(e);
            first.TrySetResult(e);
        };

        var created = await client.PostJsonAsync("/v1/schedules", new { cron = "0 11 * * *", prompt = "What should I do today?", name = "Morning plan" });
        var id = created.GetProperty("id").GetString()!;
        Assert.Equal("2026-12-03T11:00:00+00:00", created.GetProperty("next_run_at").GetString());

        time.Advance(TimeSpan.FromMinutes(30));
        var execution = await AdvanceUntilAsync(time, first.Task);

        Assert.Equal((id, ScheduleTriggers.Due, ScheduleStatuses.Completed, 0), (execution.ScheduleId, execution.Trigger, execution.Status, execution.Coalesced));
        var trace = new TraceStore(server.Workspace.TracesDirectory).Read(execution.RunId!);
        var start = trace.Single(e => e.EventType == TraceEventTypes.TaskStart).Data;
        Assert.Equal((id, "due", "chat", "2026-12-03T11:00:00.0000000Z"),
            (start["schedule_id"]!.GetValue<string>(), start["schedule_trigger"]!.GetValue<string>(), start["mode"]!.GetValue<string>(), start["scheduled_for"]!.GetValue<string>()));
        Assert.Equal(execution.ConversationId, start["conversation_id"]!.GetValue<string>());
        Assert.Equal("completed", trace.Single(e => e.EventType == TraceEventTypes.RunEnd).Data["status"]!.GetValue<string>());

        var conversation = await client.GetJsonAsync($"/v1/conversations/{execution.ConversationId}");
        Assert.Equal("Morning plan", conversation.GetProperty("conversation").GetProperty("title").GetString());
        var listed = Assert.Single((await client.GetJsonAsync("/v1/schedules")).EnumerateArray());
        Assert.Equal((execution.RunId, "completed", "Today: write the release notes.", "2026-12-04T11:00:00+00:00", execution.ConversationId),
            (listed.GetProperty("last_run_id").GetString(), listed.GetProperty("last_status").GetString(), listed.GetProperty("last_detail").GetString(),
             listed.GetProperty("next_run_at").GetString(), listed.GetProperty("conversation_id").GetString()));
        Assert.Single(executions);

        // run-now continues the same conversation and leaves the next run where it was.
        var now = await client.PostJsonAsync($"/v1/schedules/{id}/run", new { });
        Assert.Equal(("run_now", "completed", execution.ConversationId), (now.GetProperty("trigger").GetString(), now.GetProperty("status").GetString(), now.GetProperty("conversation_id").GetString()));
        var messages = server.Services.GetRequiredService<ConversationStore>().Messages(TestServer.Owner, execution.ConversationId!);
        Assert.Equal(["What should I do today?", "Today: write the release notes.", "What should I do today?", "Tomorrow: tag the build."], messages.Select(m => m.Content));
        Assert.Equal("2026-12-04T11:00:00+00:00", (await client.GetJsonAsync($"/v1/schedules/{id}")).GetProperty("next_run_at").GetString());
    }

    /// <summary>Moves the fake clock a minute at a time until the scheduler, which sleeps on it, has run (it may be between two sleeps when the clock first moves).</summary>
    private static async Task<T> AdvanceUntilAsync<T>(FakeTimeProvider time, Task<T> done)
    {
        using var patience = new CancellationTokenSource(Patience);
        while (!done.IsCompleted)
        {
            if (await Task.WhenAny(done, Task.Delay(TimeSpan.FromMilliseconds(200), patience.Token)) == done) break;
            time.Advance(TimeSpan.FromMinutes(1));
        }
        return await done;
    }

    [Fact]
    public async Task Occurrences_missed_while_the_server_was_down_run_once_when_it_starts_again()
    {
        var time = new FakeTimeProvider(Start);
        var workspace = NewWorkspace();
        string id;
        // Added while no server runs (as `minime schedule add` does): hourly, next at 11:00.
        await using (var cli = new Process(workspace, time, null, TrustFile))
            id = cli.Schedules.Add(cli.Owner, "0 * * * *", "Anything new?", "Hourly").Id;

        // Down from 10:30 to 13:30: the runs of 11:00, 12:00 and 13:00 are missed.
        time.Advance(TimeSpan.FromHours(3));

        var chat = new ScriptedChatClient().Enqueue("Nothing new.");
        await using var server = new Process(workspace, time, chat, TrustFile);
        var ran = new TaskCompletionSource<ScheduleExecution>(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Schedules.Executed += e => ran.TrySetResult(e);
        using var scheduler = server.NewScheduler();
        await scheduler.StartAsync(CancellationToken.None);
        var execution = await ran.Task.WaitAsync(Patience);
        await scheduler.StopAsync(CancellationToken.None);

        Assert.Equal((id, ScheduleTriggers.CatchUp, 2, ScheduleStatuses.Completed), (execution.ScheduleId, execution.Trigger, execution.Coalesced, execution.Status));
        Assert.Single(chat.Requests);
        Assert.Empty(await server.Schedules.RunDueAsync(CancellationToken.None));
        var schedule = server.Schedules.Require(server.Owner, id);
        Assert.Equal((new DateTimeOffset(2026, 12, 3, 14, 0, 0, TimeSpan.Zero), Start.AddHours(3), execution.RunId),
            (schedule.NextRunAt, schedule.LastRunAt!.Value, schedule.LastRunId));
        Assert.Equal(2, server.Get<ConversationStore>().Messages(server.Owner, execution.ConversationId!).Count);
        var start = new TraceStore(workspace.TracesDirectory).Read(execution.RunId!).Single(e => e.EventType == TraceEventTypes.TaskStart).Data;
        Assert.Equal(("catch_up", 2, "2026-12-03T11:00:00.0000000Z"),
            (start["schedule_trigger"]!.GetValue<string>(), start["coalesced_occurrences"]!.GetValue<int>(), start["scheduled_for"]!.GetValue<string>()));
    }

    [Fact]
    public async Task An_ask_schedule_leaves_its_proposed_write_pending_and_writes_nothing()
    {
        await using var model = await LoopbackOpenAiServer.StartAsync();
        model.Responder = r => AgentReplies.For(AgentReplies.AgentOf(r.MessagesText));
        using var connection = TeamModel(model);
        var time = new FakeTimeProvider(Start);
        var workspace = NewWorkspace();
        WorkspaceTrust.Record(new TrustStore(TrustFile), workspace, ConfigurationLoader.Load(workspace), TrustSource.Init, DateTimeOffset.UtcNow);
        await using var server = new Process(workspace, time, connection.Chat, TrustFile);
        var schedule = server.Schedules.Add(server.Owner, "0 11 * * *", AgentReplies.TeamTask, "Nightly greeter", ScheduleKinds.Ask);

        time.Advance(TimeSpan.FromMinutes(30));
        var execution = Assert.Single(await server.Schedules.RunDueAsync(CancellationToken.None));

        Assert.Equal(("completed", ScheduleTriggers.Due), (execution.Status, execution.Trigger));
        Assert.Equal("2 proposed actions wait for approval (GET /v1/proposals, or the web UI's Proposals page).", execution.Detail);
        var pending = server.Get<ProposalStore>().List(server.Owner, ProposalStatuses.Pending, 10);
        Assert.Equal(execution.ProposalIds.Order(), pending.Select(p => p.Id).Order());
        var write = pending.Single(p => p.Proposal.Tool == "write_file");
        Assert.Equal(execution.RunId, write.RunId);
        Assert.False(File.Exists(Path.Combine(_root, "project", "src", "Greeter.cs")));
        var trace = new TraceStore(workspace.TracesDirectory).Read(execution.RunId!);
        Assert.Equal(schedule.Id, trace.Single(e => e.EventType == TraceEventTypes.TaskStart).Data["schedule_id"]!.GetValue<string>());
        Assert.DoesNotContain(trace, e => e.EventType is TraceEventTypes.Approval or TraceEventTypes.Execution);
    }

    [Fact]
    public async Task A_workflow_schedule_runs_the_workflow_and_every_action_it_proposes_waits_for_approval()
    {
        await using var model = await LoopbackOpenAiServer.StartAsync();
        model.Responder = r => AgentReplies.For(AgentReplies.AgentOf(r.MessagesText));
        using var connection = TeamModel(model);
        var time = new FakeTimeProvider(Start);
        var workspace = NewWorkspace();
        Directory.CreateDirectory(workspace.WorkflowsDirectory);
        // A tool node: nobody is there to approve it, so its action is stored pending and the node cannot go on.
        File.WriteAllText(Path.Combine(workspace.WorkflowsDirectory, "nightly-note.workflow.yaml"), """
            name: nightly-note
            version: "1"
            nodes:
              - id: write
                type: tool
                tool: write_file
                arguments:
                  path: notes/nightly.md
                  content: "written at night"
            edges: []
            entry: write
            exit: write
            """);
        WorkspaceTrust.Record(new TrustStore(TrustFile), workspace, ConfigurationLoader.Load(workspace), TrustSource.Init, DateTimeOffset.UtcNow);
        await using var server = new Process(workspace, time, connection.Chat, TrustFile);
        var team = server.Schedules.Add(server.Owner, "0 11 * * *", AgentReplies.TeamTask, "Nightly team", workflow: "builtin:team");
        var note = server.Schedules.Add(server.Owner, "0 11 * * *", "Write the nightly note", workflow: "nightly-note");
        Assert.Equal((ScheduleKinds.Workflow, "builtin:team"), (team.Kind, team.Workflow));
        Assert.Equal("nightly-note", server.Schedules.Require(server.Owner, note.Id).Workflow);   // stored, not only returned

        time.Advance(TimeSpan.FromMinutes(30));
        var executions = (await server.Schedules.RunDueAsync(CancellationToken.None)).ToDictionary(e => e.ScheduleId);

        var teamRun = executions[team.Id];
        Assert.Equal("completed", teamRun.Status);
        Assert.Equal("2 proposed actions wait for approval (GET /v1/proposals, or the web UI's Proposals page).", teamRun.Detail);
        var trace = new TraceStore(workspace.TracesDirectory).Read(teamRun.RunId!);
        var start = trace.Single(e => e.EventType == TraceEventTypes.TaskStart).Data;
        Assert.Equal((team.Id, "team", "builtin:team"), (start["schedule_id"]!.GetValue<string>(), start["workflow"]!.GetValue<string>(), start["workflow_source"]!.GetValue<string>()));
        Assert.DoesNotContain(trace, e => e.EventType is TraceEventTypes.Approval or TraceEventTypes.Execution);

        var noteRun = executions[note.Id];
        Assert.Equal(ScheduleStatuses.Failed, noteRun.Status);
        Assert.Contains("write_file waits for approval as proposal p", noteRun.Detail, StringComparison.Ordinal);
        Assert.NotNull(noteRun.RunId);
        var pending = server.Get<ProposalStore>().List(server.Owner, ProposalStatuses.Pending, 10);
        var stored = Assert.Single(pending, p => p.RunId == noteRun.RunId);
        Assert.Equal(("write_file", "notes/nightly.md"), (stored.Proposal.Tool, stored.Proposal.Arguments["path"]!.GetValue<string>()));
        Assert.False(File.Exists(Path.Combine(_root, "project", "notes", "nightly.md")));
        Assert.Equal([.. teamRun.ProposalIds.Append(stored.Id).Order()], pending.Select(p => p.Id).Order().ToList());
    }

    [Fact]
    public async Task A_workflow_schedule_names_an_existing_workflow_never_a_path()
    {
        await using var server = new Process(NewWorkspace(), new FakeTimeProvider(Start), null, TrustFile);

        Assert.Contains("not a path", Assert.Throws<InvalidInputException>(() => server.Schedules.Add(server.Owner, "0 11 * * *", "x", workflow: "../../etc/team")).Message, StringComparison.Ordinal);
        Assert.Contains("not a path", Assert.Throws<InvalidInputException>(() => server.Schedules.Add(server.Owner, "0 11 * * *", "x", workflow: "/tmp/a.workflow.yaml")).Message, StringComparison.Ordinal);
        Assert.StartsWith("No workflow 'nightly'", Assert.Throws<NotFoundException>(() => server.Schedules.Add(server.Owner, "0 11 * * *", "x", workflow: "nightly")).Message, StringComparison.Ordinal);
        Assert.StartsWith("A workflow schedule needs the workflow", Assert.Throws<InvalidInputException>(() => server.Schedules.Add(server.Owner, "0 11 * * *", "x", kind: "workflow")).Message, StringComparison.Ordinal);
        Assert.Contains("not chat", Assert.Throws<InvalidInputException>(() => server.Schedules.Add(server.Owner, "0 11 * * *", "x", kind: "chat", workflow: "builtin:team")).Message, StringComparison.Ordinal);
        Assert.Empty(server.Schedules.List(server.Owner));
    }

    [Fact]
    public async Task Without_a_model_a_chat_schedule_records_a_failed_run_once_and_an_ask_schedule_is_a_dry_run()
    {
        var time = new FakeTimeProvider(Start);
        await using var server = new Process(NewWorkspace(), time, null, TrustFile);
        var chat = server.Schedules.Add(server.Owner, "0 11 * * *", "Plan my day");
        var ask = server.Schedules.Add(server.Owner, "0 11 * * *", "Plan the release", kind: "ask");

        time.Advance(TimeSpan.FromMinutes(30));
        var executions = (await server.Schedules.RunDueAsync(CancellationToken.None)).ToDictionary(e => e.ScheduleId);

        Assert.Equal(ScheduleStatuses.Failed, executions[chat.Id].Status);
        Assert.Null(executions[chat.Id].RunId);
        Assert.StartsWith("No chat model is configured: set llm.provider", executions[chat.Id].Detail, StringComparison.Ordinal);
        Assert.Empty(server.Get<ConversationStore>().List(server.Owner, 10));
        Assert.Equal(("dry_run", AskService.Notice), (executions[ask.Id].Status, executions[ask.Id].Detail));
        Assert.NotNull(executions[ask.Id].RunId);
        // Both moved on to tomorrow: a failed run is not retried in a loop.
        Assert.Empty(await server.Schedules.RunDueAsync(CancellationToken.None));
        var stored = server.Schedules.Require(server.Owner, chat.Id);
        Assert.Equal((ScheduleStatuses.Failed, new DateTimeOffset(2026, 12, 4, 11, 0, 0, TimeSpan.Zero)), (stored.LastStatus, stored.NextRunAt));
    }

    [Fact]
    public async Task Schedules_are_created_listed_run_and_deleted_through_the_api_per_user()
    {
        await using var server = await TestServer.StartAsync();
        var owner = server.Client(server.CreateKey("k"));
        var other = server.Client(server.CreateKey("bob-key", "bob"));

        using var created = await owner.PostAsJsonAsync("/v1/schedules", new { cron = "30 7 * * 1", prompt = "Plan the week", kind = "ask" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var schedule = await created.ReadAsync();
        var id = schedule.GetProperty("id").GetString()!;
        Assert.StartsWith("s_", id, StringComparison.Ordinal);
        Assert.Equal($"/v1/schedules/{id}", created.Headers.Location?.OriginalString);
        Assert.Equal(("Plan the week", "ask", "30 7 * * 1"), (schedule.GetProperty("name").GetString(), schedule.GetProperty("kind").GetString(), schedule.GetProperty("cron").GetString()));
        Assert.False(schedule.TryGetProperty("last_status", out _));

        using (var bad = await owner.PostAsJsonAsync("/v1/schedules", new { cron = "0 25 * * *", prompt = "x" }))
        {
            var detail = await bad.AssertProblemAsync(400);
            Assert.StartsWith("'0 25 * * *' is not a cron expression", detail, StringComparison.Ordinal);
        }
        using (var kind = await owner.PostAsJsonAsync("/v1/schedules", new { cron = "0 9 * * *", prompt = "x", kind = "nightly" }))
            Assert.Contains("use chat (a chat turn), ask", await kind.AssertProblemAsync(400), StringComparison.Ordinal);
        using (var noWorkflow = await owner.PostAsJsonAsync("/v1/schedules", new { cron = "0 9 * * *", prompt = "x", kind = "workflow" }))
            Assert.StartsWith("A workflow schedule needs the workflow", await noWorkflow.AssertProblemAsync(400), StringComparison.Ordinal);
        using (var path = await owner.PostAsJsonAsync("/v1/schedules", new { cron = "0 9 * * *", prompt = "x", workflow = "/etc/passwd" }))
            Assert.Contains("not a path", await path.AssertProblemAsync(400), StringComparison.Ordinal);
        using (var unknown = await owner.PostAsJsonAsync("/v1/schedules", new { cron = "0 9 * * *", prompt = "x", workflow = "nightly" }))
            await unknown.AssertProblemAsync(404);
        using (var empty = await owner.PostAsJsonAsync("/v1/schedules", new { cron = "0 9 * * *", prompt = " " }))
            Assert.StartsWith("The schedule's prompt is empty", await empty.AssertProblemAsync(400), StringComparison.Ordinal);

        Assert.Equal([id], (await owner.GetJsonAsync("/v1/schedules")).EnumerateArray().Select(s => s.GetProperty("id").GetString()));
        Assert.Empty((await other.GetJsonAsync("/v1/schedules")).EnumerateArray());
        using (var hidden = await other.GetAsync($"/v1/schedules/{id}")) await hidden.AssertProblemAsync(404);
        using (var notTheirs = await other.DeleteAsync($"/v1/schedules/{id}")) await notTheirs.AssertProblemAsync(404);
        using (var notRun = await other.PostAsJsonAsync($"/v1/schedules/{id}/run", new { })) await notRun.AssertProblemAsync(404);

        // No model here: an ask run is what /v1/ask does without one, a traced dry run.
        var run = await owner.PostJsonAsync($"/v1/schedules/{id}/run", new { });
        Assert.Equal(("run_now", "dry_run"), (run.GetProperty("trigger").GetString(), run.GetProperty("status").GetString()));
        var after = await owner.GetJsonAsync($"/v1/schedules/{id}");
        Assert.Equal((run.GetProperty("run_id").GetString(), "dry_run"), (after.GetProperty("last_run_id").GetString(), after.GetProperty("last_status").GetString()));
        await owner.GetJsonAsync($"/v1/runs/{run.GetProperty("run_id").GetString()}");

        using (var deleted = await owner.DeleteAsync($"/v1/schedules/{id}")) Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using (var gone = await owner.GetAsync($"/v1/schedules/{id}")) await gone.AssertProblemAsync(404);
        using (var anonymous = await server.Client().GetAsync("/v1/schedules")) Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        var paths = (await owner.GetJsonAsync("/openapi/v1.json")).GetProperty("paths");
        Assert.Equal(["get", "post"], paths.GetProperty("/v1/schedules").EnumerateObject().Select(p => p.Name).Where(n => n is "get" or "post" or "delete").Order());
        Assert.Equal(["delete", "get"], paths.GetProperty("/v1/schedules/{id}").EnumerateObject().Select(p => p.Name).Where(n => n is "get" or "post" or "delete").Order());
        Assert.True(paths.GetProperty("/v1/schedules/{id}/run").TryGetProperty("post", out _));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
            File.Delete(TrustFile);
            File.Delete(TrustFile + ".lock");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort.
        }
    }
}
