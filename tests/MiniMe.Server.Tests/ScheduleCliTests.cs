using System.Text.Json;
using MiniMe.Server.Tests.Support;
using MiniMe.Testing;
using MiniMe.Tracing;

namespace MiniMe.Server.Tests;

/// <summary>`minime schedule` in-process over a real workspace: the owner's schedules in server.db, the same ones /v1/schedules serves.</summary>
public sealed class ScheduleCliTests : IDisposable
{
    private readonly string _home = Path.Combine(Path.GetTempPath(), "minime-server-tests", Guid.NewGuid().ToString("N"));
    private readonly string _trust = Directory.CreateTempSubdirectory("minime-schedule-trust-").FullName;

    private Task<(int Code, string Out, string Error)> RunAsync(params string[] args) => CliRun.RunAsync(_home, Path.Combine(_trust, "trust.json"), args);

    private async Task<JsonElement> JsonAsync(params string[] args)
    {
        var result = await RunAsync([.. args, "--json"]);
        Assert.True(result.Code == 0, result.Error);
        return JsonDocument.Parse(result.Out).RootElement;
    }

    [Fact]
    public async Task Schedules_are_added_listed_run_now_and_removed()
    {
        Assert.Equal(0, (await RunAsync("init", "--name", "nima")).Code);
        var chat = (await JsonAsync("schedule", "add", "0 9 * * 1-5", "--prompt", "Plan my day", "--name", "Morning")).GetProperty("id").GetString()!;
        var ask = (await JsonAsync("schedule", "add", "30 18 * * 5", "--prompt", "Review the week's notes", "--kind", "ask")).GetProperty("id").GetString()!;

        var list = (await JsonAsync("schedule", "list")).EnumerateArray().ToList();
        Assert.Equal([(chat, "Morning", "chat", "0 9 * * 1-5"), (ask, "Review the week's notes", "ask", "30 18 * * 5")],
            list.Select(s => (s.GetProperty("id").GetString(), s.GetProperty("name").GetString(), s.GetProperty("kind").GetString(), s.GetProperty("cron").GetString())));
        var text = await RunAsync("schedule", "list");
        Assert.Equal(0, text.Code);
        Assert.Contains("Morning", text.Out, StringComparison.Ordinal);
        Assert.Contains("0 9 * * 1-5", text.Out, StringComparison.Ordinal);

        // No model in this workspace: the ask runs as /v1/ask would, a traced dry run; the chat run fails with the reason, recorded.
        var asked = await JsonAsync("schedule", "run-now", ask);
        Assert.Equal(("run_now", "dry_run"), (asked.GetProperty("trigger").GetString(), asked.GetProperty("status").GetString()));
        var runId = asked.GetProperty("run_id").GetString()!;
        var trace = new TraceStore(Path.Combine(_home, "traces")).Read(runId);
        Assert.Equal(ask, trace.Single(e => e.EventType == TraceEventTypes.TaskStart).Data["schedule_id"]!.GetValue<string>());

        var failed = await RunAsync("schedule", "run-now", chat);
        Assert.Equal(1, failed.Code);
        Assert.StartsWith($"error: Schedule {chat} failed: No chat model is configured: set llm.provider", failed.Error, StringComparison.Ordinal);
        Assert.Single(failed.Error.Trim().Split('\n'));
        var after = (await JsonAsync("schedule", "list")).EnumerateArray().ToDictionary(s => s.GetProperty("id").GetString()!);
        Assert.Equal("failed", after[chat].GetProperty("last_status").GetString());
        Assert.Equal((runId, "dry_run"), (after[ask].GetProperty("last_run_id").GetString(), after[ask].GetProperty("last_status").GetString()));

        var removed = await RunAsync("schedule", "remove", chat);
        Assert.Equal(0, removed.Code);
        Assert.Equal([ask], (await JsonAsync("schedule", "list")).EnumerateArray().Select(s => s.GetProperty("id").GetString()));
        var again = await RunAsync("schedule", "remove", chat);
        Assert.Equal(1, again.Code);
        Assert.Equal($"error: No schedule '{chat}'; `minime schedule list` (or GET /v1/schedules) lists yours.", again.Error.Trim());
    }

    [Fact]
    public async Task Run_now_of_a_chat_schedule_answers_through_the_configured_model_in_its_own_conversation()
    {
        await using var model = await LoopbackOpenAiServer.StartAsync();
        model.Enqueue(ScriptedReply.Text("Start with the release notes."));
        Assert.Equal(0, (await RunAsync("init", "--name", "nima")).Code);
        LoopbackWorkspace.UseModel(_home, model);
        var id = (await JsonAsync("schedule", "add", "0 9 * * *", "--prompt", "What first?", "--name", "Daily focus")).GetProperty("id").GetString()!;

        var run = await RunAsync("schedule", "run-now", id);

        Assert.True(run.Code == 0, run.Error);
        Assert.Contains("completed run ", run.Out, StringComparison.Ordinal);
        Assert.Contains("Start with the release notes.", run.Out, StringComparison.Ordinal);
        Assert.Contains("What first?", Assert.Single(model.ChatRequests).MessagesText, StringComparison.Ordinal);
        var listed = Assert.Single((await JsonAsync("schedule", "list")).EnumerateArray());
        Assert.Equal(("completed", "Start with the release notes."), (listed.GetProperty("last_status").GetString(), listed.GetProperty("last_detail").GetString()));
        Assert.True(listed.TryGetProperty("conversation_id", out var conversation), "the run's conversation is recorded");
        var trace = new TraceStore(Path.Combine(_home, "traces")).Read(listed.GetProperty("last_run_id").GetString()!);
        var start = trace.Single(e => e.EventType == TraceEventTypes.TaskStart).Data;
        Assert.Equal((id, "run_now", conversation.GetString()),
            (start["schedule_id"]!.GetValue<string>(), start["schedule_trigger"]!.GetValue<string>(), start["conversation_id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_bad_cron_expression_or_kind_exits_2_with_one_line()
    {
        Assert.Equal(0, (await RunAsync("init", "--name", "nima")).Code);

        var cron = await RunAsync("schedule", "add", "0 9 * * 8", "--prompt", "Plan");
        Assert.Equal(2, cron.Code);
        Assert.StartsWith("error: '0 9 * * 8' is not a cron expression (", cron.Error, StringComparison.Ordinal);
        Assert.EndsWith("give five fields: minute hour day-of-month month day-of-week, e.g. \"0 9 * * 1-5\" (09:00 on weekdays).", cron.Error.Trim(), StringComparison.Ordinal);
        Assert.Single(cron.Error.Trim().Split('\n'));

        var kind = await RunAsync("schedule", "add", "0 9 * * *", "--prompt", "Plan", "--kind", "cron");
        Assert.Equal(2, kind.Code);
        Assert.Equal("error: The schedule kind 'cron' is unknown; use chat (a chat turn), ask (a task whose proposed actions wait for approval) or workflow (with a workflow name).", kind.Error.Trim());

        var unknown = await RunAsync("schedule", "add", "0 9 * * *", "--prompt", "Plan", "--workflow", "builtin:teem");
        Assert.Equal(1, unknown.Code);
        Assert.Single(unknown.Error.Trim().Split('\n'));
        var path = await RunAsync("schedule", "add", "0 9 * * *", "--prompt", "Plan", "--workflow", "../x");
        Assert.Equal(2, path.Code);

        var missing = await RunAsync("schedule", "add", "0 9 * * *");
        Assert.Equal(2, missing.Code);
        Assert.Empty((await JsonAsync("schedule", "list")).EnumerateArray());

        var workflow = await JsonAsync("schedule", "add", "0 2 * * *", "--prompt", "Fix what fails", "--workflow", "builtin:team");
        Assert.Equal(("workflow", "builtin:team"), (workflow.GetProperty("kind").GetString(), workflow.GetProperty("workflow").GetString()));
        Assert.Equal("builtin:team", Assert.Single((await JsonAsync("schedule", "list")).EnumerateArray()).GetProperty("workflow").GetString());
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_home, recursive: true); } catch (IOException) { }
        try { Directory.Delete(_trust, recursive: true); } catch (IOException) { }
    }
}
