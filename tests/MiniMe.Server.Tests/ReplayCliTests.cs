using System.Text.Json;
using MiniMe.Server.Tests.Support;
using MiniMe.Testing;

namespace MiniMe.Server.Tests;

/// <summary>`minime replay` over a real workspace: runs against the loopback model, replayed with the model stopped.</summary>
public sealed class ReplayCliTests : IDisposable
{
    private readonly string _home = Path.Combine(Path.GetTempPath(), "minime-server-tests", Guid.NewGuid().ToString("N"));
    private readonly string _trust = Directory.CreateTempSubdirectory("minime-replay-trust-").FullName;

    private Task<(int Code, string Out, string Error)> RunAsync(params string[] args) => CliRun.RunAsync(_home, Path.Combine(_trust, "trust.json"), args);

    private async Task InitWithModelAsync(LoopbackOpenAiServer model)
    {
        Assert.Equal(0, (await RunAsync("init", "--name", "nima")).Code);
        LoopbackWorkspace.UseModel(_home, model);
        LoopbackWorkspace.AddThreeNodeWorkflow(_home);
        File.WriteAllText(Path.Combine(_home, "notes.md"), "# Greetings\nThe greeting module formats a friendly hello for each user of the service layer.\n");
        Assert.Equal(0, (await RunAsync("import", Path.Combine(_home, "notes.md"))).Code);
    }

    private static ScriptedReply Reply(RecordedRequest r) => AgentReplies.For(AgentReplies.AgentOf(r.MessagesText));

    /// <summary>Runs the team against a loopback model that is stopped afterwards; returns the run id.</summary>
    private async Task<string> RecordedAskAsync(string task = AgentReplies.TeamTask)
    {
        await using var model = await LoopbackOpenAiServer.StartAsync();
        model.Responder = Reply;
        await InitWithModelAsync(model);
        var ask = await RunAsync("ask", task);
        Assert.True(ask.Code is 0 or 1, ask.Error);
        Assert.Equal(4, model.ChatRequests.Count);
        return LatestRunId();
    }

    private string LatestRunId() => Directory.GetFiles(Path.Combine(_home, "traces"), "*.jsonl").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal).Last()!;

    private string[] Trace(string runId) => File.ReadAllLines(Path.Combine(_home, "traces", runId + ".jsonl"));

    private string Recording(string runId) => Path.Combine(_home, "runs", runId, "model-calls.jsonl");

    /// <summary>The original's lines up to and including its first run_end: what a replay reproduces.</summary>
    private static string[] UntilRunEnd(string[] lines) =>
        [.. lines.Take(Array.FindIndex(lines, l => l.Contains("\"event_type\":\"run_end\"", StringComparison.Ordinal)) + 1)];

    [Fact]
    public async Task An_ask_run_replays_with_the_model_stopped_into_a_byte_identical_trace()
    {
        var runId = await RecordedAskAsync();
        var recorded = File.ReadAllLines(Recording(runId));
        Assert.Equal(4, recorded.Length);
        Assert.Equal(["architect", "builder", "critic", "integrator"], recorded.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("agent").GetString()));

        var replay = await RunAsync("replay", runId, "--json");

        Assert.True(replay.Code == 0, replay.Error + replay.Out);
        var report = JsonDocument.Parse(replay.Out).RootElement;
        Assert.Equal("identical", report.GetProperty("status").GetString());
        Assert.Equal(4, report.GetProperty("model_calls").GetProperty("replayed").GetInt32());
        var replayed = File.ReadAllLines(report.GetProperty("trace").GetString()!);
        Assert.Equal(UntilRunEnd(Trace(runId)), replayed);
        Assert.Equal(runId, Path.GetFileNameWithoutExtension(report.GetProperty("trace").GetString()));
        // The proposals' approvals and executions came after run_end: side effects, never replayed, counted.
        var notReplayed = Trace(runId).Length - replayed.Length;
        Assert.True(notReplayed > 0, "the integrator's proposals were decided after run_end");
        Assert.Equal(notReplayed, report.GetProperty("events").GetProperty("not_replayed").GetInt32());
        // The replay's own recording asks exactly what the original asked.
        Assert.Equal(recorded, File.ReadAllLines(Path.Combine(report.GetProperty("folder").GetString()!, runId, "model-calls.jsonl")));
        var text = await RunAsync("replay", runId);
        Assert.Equal(0, text.Code);
        Assert.Contains($"run {runId} (ask): replayed offline with 4 of 4 recorded model calls; trace identical", text.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_policy_chooses_the_mask_policy_and_what_it_changes_is_reported_not_hidden()
    {
        var runId = await RecordedAskAsync();

        var same = await RunAsync("replay", runId, "--policy", "heuristic", "--json");
        Assert.True(same.Code == 0, same.Error + same.Out);
        // No model is trained: the learned policy falls back to the heuristic with a warning in mask_generation, so the trace is not the one recorded.
        var learned = await RunAsync("replay", runId, "--policy", "learned", "--json");
        Assert.Equal(4, learned.Code);
        var report = JsonDocument.Parse(learned.Out).RootElement;
        Assert.Equal("trace_differs", report.GetProperty("status").GetString());
        Assert.Contains("mask_generation", report.GetProperty("first_difference").GetProperty("replayed").GetString(), StringComparison.Ordinal);
        var bad = await RunAsync("replay", runId, "--policy", "clever");
        Assert.Equal(2, bad.Code);
    }

    [Fact]
    public async Task A_replay_needs_no_model_configured()
    {
        var runId = await RecordedAskAsync();
        var config = Path.Combine(_home, "config.yaml");
        File.WriteAllText(config, File.ReadAllText(config).Replace("  provider: openai\n", "  provider: none\n", StringComparison.Ordinal));

        var replay = await RunAsync("replay", runId, "--json");

        Assert.True(replay.Code == 0, replay.Error + replay.Out);
        Assert.True(JsonDocument.Parse(replay.Out).RootElement.GetProperty("identical").GetBoolean());
    }

    [Fact]
    public async Task A_dry_run_called_no_model_and_replays_without_a_recording()
    {
        Assert.Equal(0, (await RunAsync("init", "--name", "nima")).Code);
        File.WriteAllText(Path.Combine(_home, "notes.md"), "# Greetings\nThe greeting module formats a friendly hello for each user of the service layer.\n");
        Assert.Equal(0, (await RunAsync("import", Path.Combine(_home, "notes.md"))).Code);
        Assert.Equal(0, (await RunAsync("ask", "--dry-run", "--domain", "backend", "Refactor the greeting module")).Code);
        var runId = LatestRunId();
        Assert.False(File.Exists(Recording(runId)));

        var replay = await RunAsync("replay", runId, "--json");

        Assert.True(replay.Code == 0, replay.Error + replay.Out);
        var report = JsonDocument.Parse(replay.Out).RootElement;
        Assert.Equal(0, report.GetProperty("model_calls").GetProperty("recorded").GetInt32());
        Assert.Equal(Trace(runId), File.ReadAllLines(report.GetProperty("trace").GetString()!));
        Assert.Contains("domain forced: backend", Trace(runId)[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_workflow_run_replays_into_a_byte_identical_trace()
    {
        string runId;
        await using (var model = await LoopbackOpenAiServer.StartAsync())
        {
            model.Responder = r => AgentReplies.For(AgentReplies.AgentOf(r.MessagesText), integration: """{"summary":"Nothing to change.","proposals":[]}""");
            await InitWithModelAsync(model);
            var run = await RunAsync("workflow", "run", "three", "Add a greeting helper");
            Assert.True(run.Code == 0, run.Error);
            runId = LatestRunId();
        }
        var checkpoint = File.ReadAllBytes(Path.Combine(_home, "runs", runId + ".checkpoint.json"));

        var replay = await RunAsync("replay", runId, "--json");

        Assert.True(replay.Code == 0, replay.Error + replay.Out);
        var report = JsonDocument.Parse(replay.Out).RootElement;
        Assert.Equal(("workflow", 3), (report.GetProperty("kind").GetString(), report.GetProperty("model_calls").GetProperty("replayed").GetInt32()));
        Assert.Equal(UntilRunEnd(Trace(runId)), File.ReadAllLines(report.GetProperty("trace").GetString()!));
        Assert.Equal(checkpoint, File.ReadAllBytes(Path.Combine(_home, "runs", runId + ".checkpoint.json")));
    }

    [Fact]
    public async Task An_edited_identity_is_reported_as_a_changed_request_with_the_call_and_what_changed()
    {
        var runId = await RecordedAskAsync();
        var identity = Path.Combine(_home, "identity.yaml");
        var yaml = File.ReadAllText(identity);
        var tone = System.Text.RegularExpressions.Regex.Match(yaml, "tone: *(.+)").Groups[1].Value.Trim().Trim('"', '\'');
        Assert.False(string.IsNullOrEmpty(tone), yaml);
        File.WriteAllText(identity, yaml.Replace(tone, "terse and blunt", StringComparison.Ordinal));
        var before = Trace(runId);

        var replay = await RunAsync("replay", runId, "--json");
        var text = await RunAsync("replay", runId);

        Assert.Equal(3, replay.Code);
        var changed = JsonDocument.Parse(replay.Out).RootElement.GetProperty("changed_request");
        Assert.Equal((0, "architect", 0), (changed.GetProperty("call").GetInt32(), changed.GetProperty("agent").GetString(), changed.GetProperty("recorded_call").GetInt32()));
        var change = string.Join("\n", changed.GetProperty("changes").EnumerateArray().Select(c => c.GetString()));
        Assert.Contains("terse and blunt", change, StringComparison.Ordinal);
        Assert.Contains(tone, change, StringComparison.Ordinal);
        Assert.Equal(3, text.Code);
        var error = text.Error.Trim().Split('\n')[0];
        Assert.StartsWith($"error: replay of {runId} stopped: model call 0 (architect, round 0) changed from recorded call 0 (architect): message ", error, StringComparison.Ordinal);
        Assert.Equal(before, Trace(runId));
    }

    [Fact]
    public async Task Secrets_in_the_task_are_redacted_in_the_recording()
    {
        const string key = "sk-proj-AbC123dEf456GhI789jKl012MnO345pQr678";
        var runId = await RecordedAskAsync(AgentReplies.TeamTask + " using " + key);

        var recording = File.ReadAllText(Recording(runId));

        Assert.DoesNotContain("AbC123dEf456", recording, StringComparison.Ordinal);
        Assert.Contains("[REDACTED]", recording, StringComparison.Ordinal);
        // The hash is of the request as sent, secret included: the recorded (redacted) text alone does not hash to it.
        var first = JsonDocument.Parse(File.ReadLines(Recording(runId)).First()).RootElement;
        var redacted = System.Text.Json.Nodes.JsonNode.Parse(first.GetProperty("request").GetRawText())!.AsObject();
        Assert.NotEqual(first.GetProperty("hash").GetString(), MiniMe.Replay.ModelCallRequest.Hash(redacted));
    }

    [Fact]
    public async Task A_damaged_recording_is_one_line_error_and_an_unknown_run_is_not_found()
    {
        var runId = await RecordedAskAsync();
        var lines = File.ReadAllLines(Recording(runId));
        File.WriteAllLines(Recording(runId), [lines[0], lines[1][..(lines[1].Length / 2)], .. lines[2..]]);

        var damaged = await RunAsync("replay", runId);
        var unknown = await RunAsync("replay", "20200101-000000-abcdef");

        Assert.Equal(1, damaged.Code);
        Assert.Equal($"error: The model-call recording {Recording(runId)} is damaged at line 2: not JSON", damaged.Error.Trim().Split(" (")[0]);
        Assert.Single(damaged.Error.Trim().Split('\n'));
        Assert.Equal(1, unknown.Code);
        Assert.StartsWith("error: No run '20200101-000000-abcdef'", unknown.Error.Trim(), StringComparison.Ordinal);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_home, recursive: true);
            Directory.Delete(_trust, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
