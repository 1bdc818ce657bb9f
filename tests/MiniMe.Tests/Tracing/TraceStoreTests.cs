using System.Text.Json.Nodes;
using MiniMe.Feedback;
using MiniMe.Tests.Support;
using MiniMe.Tracing;

namespace MiniMe.Tests.Tracing;

public class TraceStoreTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Events_are_one_json_object_per_line_with_timestamp_type_and_data()
    {
        var store = new TraceStore(_dir.Path);
        store.Append("run-1", TraceEventTypes.TaskStart, new JsonObject { ["task"] = "x" });
        store.Append("run-1", TraceEventTypes.RunEnd, new JsonObject { ["status"] = "ok" });
        var lines = File.ReadAllLines(store.PathFor("run-1"));
        Assert.Equal(2, lines.Length);
        foreach (var line in lines)
        {
            var obj = Assert.IsType<JsonObject>(JsonNode.Parse(line));
            Assert.NotNull(obj["timestamp"]);
            Assert.NotNull(obj["event_type"]);
            Assert.IsType<JsonObject>(obj["data"]);
        }
        Assert.Equal([TraceEventTypes.TaskStart, TraceEventTypes.RunEnd], store.Read("run-1").Select(e => e.EventType));
    }

    [Fact]
    public void Secrets_never_reach_the_file()
    {
        var store = new TraceStore(_dir.Path);
        store.Append("run-2", TraceEventTypes.AgentCall, new JsonObject
        {
            ["api_key"] = "plain-value",
            ["headers"] = new JsonObject { ["Authorization"] = "Bearer abcdefghijklmnopqrstuvwxyz" },
            ["prompt"] = "use sk-abcdefghijklmnopqrstuvwx1234 and ghp_abcdefghijklmnopqrstuvwxyz0123",
            ["prompt_tokens"] = 12,
        });
        var raw = File.ReadAllText(store.PathFor("run-2"));
        Assert.DoesNotContain("plain-value", raw, StringComparison.Ordinal);
        Assert.DoesNotContain("abcdefghijklmnopqrstuvwxyz", raw, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-abcdef", raw, StringComparison.Ordinal);
        Assert.Contains(SecretRedactor.Mask, raw, StringComparison.Ordinal);
        Assert.Equal(12, store.Read("run-2")[0].Data["prompt_tokens"]!.GetValue<int>());
    }

    [Fact]
    public void A_secret_of_any_format_in_any_field_of_an_event_never_reaches_the_file()
    {
        var store = new TraceStore(_dir.Path);
        var rows = SecretRedactorTests.Positives.Select(row => ((string)row[1], (string)row[2])).ToList();
        foreach (var (text, _) in rows)
        {
            store.Append("run-any", TraceEventTypes.Execution, new JsonObject
            {
                ["arguments"] = new JsonObject { ["command"] = new JsonArray("sh", "-c", text) },
                ["output"] = new JsonObject { ["stdout"] = new JsonArray(new JsonObject { ["line"] = text }) },
                [text] = "a secret as a property name",
                ["token"] = 42,
            });
        }
        var raw = File.ReadAllText(store.PathFor("run-any"));
        foreach (var (_, secret) in rows)
            Assert.DoesNotContain(secret, raw, StringComparison.Ordinal);
        Assert.Equal(rows.Count, store.Read("run-any").Count);
    }

    [Fact]
    public void A_secret_in_a_feedback_delta_or_correction_never_reaches_feedback_or_the_trace()
    {
        var traces = new TraceStore(_dir.Combine("traces"));
        traces.Append("run-s", TraceEventTypes.TaskStart, new JsonObject { ["task"] = "t" });
        var feedback = new FeedbackStore(_dir.Combine("feedback.jsonl"), traces);
        var delta = FeedbackStore.ParseDelta("""
            {"rigor": 0.8, "notes": ["use DB_PASSWORD=hunter2hunter2"], "env": {"url": "postgres://app:s3cretPass@db/app"}, "client_secret": "abc"}
            """);
        feedback.Record("run-s", delta, "the key is xoxb-123456789012-1234567890123-abcdefghijklmnopqrstuvwx, Authorization: Basic dXNlcjpwYXNzd29yZA==");

        foreach (var file in new[] { feedback.Path, traces.PathFor("run-s") })
        {
            var raw = File.ReadAllText(file);
            foreach (var secret in new[] { "hunter2hunter2", "s3cretPass", "\"abc\"", "xoxb-1234", "dXNlcjpwYXNzd29yZA" })
                Assert.DoesNotContain(secret, raw, StringComparison.Ordinal);
            Assert.Contains("0.8", raw, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_torn_last_line_is_skipped_and_the_rest_is_read()
    {
        var store = new TraceStore(_dir.Path);
        store.Append("run-3", TraceEventTypes.TaskStart, new JsonObject { ["task"] = "t" });
        File.AppendAllText(store.PathFor("run-3"), "{\"timestamp\":\"2026-");
        Assert.Single(store.Read("run-3"));
        Assert.Equal("incomplete", store.List().Single().Status);
    }

    [Fact]
    public void An_event_appended_after_a_torn_line_starts_on_a_new_line_and_is_never_lost()
    {
        var store = new TraceStore(_dir.Path);
        store.Append("run-t", TraceEventTypes.TaskStart, new JsonObject { ["task"] = "t" });
        File.AppendAllText(store.PathFor("run-t"), "{\"timestamp\":\"2026-01-01T00:00:00Z\",\"event_ty");   // killed mid-write

        store.Append("run-t", TraceEventTypes.RunEnd, new JsonObject { ["status"] = "cancelled" });
        store.Append("run-t", TraceEventTypes.Feedback, new JsonObject { ["delta"] = 1 });

        Assert.Equal([TraceEventTypes.TaskStart, TraceEventTypes.RunEnd, TraceEventTypes.Feedback], store.Read("run-t").Select(e => e.EventType));
        Assert.Equal("cancelled", store.List().Single().Status);
        var lines = File.ReadAllLines(store.PathFor("run-t"));
        Assert.Equal(4, lines.Length);   // the torn line stays on its own line, skipped by the reader
        Assert.EndsWith("\"event_ty", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public void A_feedback_entry_recorded_after_a_torn_line_is_kept_whole()
    {
        var traces = new TraceStore(_dir.Combine("traces"));
        traces.Append("run-ft", TraceEventTypes.TaskStart, new JsonObject { ["task"] = "t" });
        var feedback = new FeedbackStore(_dir.Combine("feedback.jsonl"), traces);
        feedback.Record("run-ft", FeedbackStore.ParseDelta("{\"alpha\": 0.1}"), "first");
        File.AppendAllText(feedback.Path, "{\"timestamp\":\"2026-01-01T");   // killed mid-write

        feedback.Record("run-ft", FeedbackStore.ParseDelta("{\"alpha\": 0.2}"), "second");

        var lines = File.ReadAllLines(feedback.Path);
        Assert.Equal(3, lines.Length);
        Assert.Equal("second", JsonNode.Parse(lines[2])!["correction"]!.GetValue<string>());
        Assert.Equal(2, traces.Read("run-ft").Count(e => e.EventType == TraceEventTypes.Feedback));
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("a/b")]
    [InlineData("")]
    [InlineData("run id")]
    public void Hostile_run_ids_are_refused(string runId)
    {
        var store = new TraceStore(_dir.Path);
        Assert.Throws<InvalidInputException>(() => store.PathFor(runId));
        Assert.False(store.Exists(runId));
    }

    [Fact]
    public void Unknown_run_is_not_found()
    {
        Assert.Throws<NotFoundException>(() => new TraceStore(_dir.Path).Read("nope"));
    }

    [Fact]
    public void Runs_are_listed_newest_first_with_status_and_tokens()
    {
        var store = new TraceStore(_dir.Path);
        store.Append("20260101-a", TraceEventTypes.TaskStart, new JsonObject { ["task"] = "old", ["domain"] = "backend" });
        store.Append("20260101-a", TraceEventTypes.RunEnd, new JsonObject { ["status"] = "dry_run", ["total_tokens"] = 42 });
        store.Append("20260202-b", TraceEventTypes.TaskStart, new JsonObject { ["task"] = "new" });
        var runs = store.List();
        Assert.Equal(["20260202-b", "20260101-a"], runs.Select(r => r.RunId));
        Assert.Equal("dry_run", runs[1].Status);
        Assert.Equal(42, runs[1].TotalTokens);
        Assert.Equal("backend", runs[1].Domain);
    }

    [Fact]
    public void Feedback_is_stored_and_appended_to_the_trace()
    {
        var traces = new TraceStore(_dir.Combine("traces"));
        traces.Append("run-f", TraceEventTypes.TaskStart, new JsonObject { ["task"] = "t" });
        var feedback = new FeedbackStore(_dir.Combine("feedback.jsonl"), traces);
        feedback.Record("run-f", FeedbackStore.ParseDelta("{\"alpha\": 0.1}"), "prefer smaller diffs");
        var line = JsonNode.Parse(File.ReadAllLines(feedback.Path).Single())!;
        Assert.Equal("run-f", line["run_id"]!.GetValue<string>());
        Assert.Equal("prefer smaller diffs", line["correction"]!.GetValue<string>());
        var last = traces.Read("run-f")[^1];
        Assert.Equal(TraceEventTypes.Feedback, last.EventType);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("")]
    [InlineData("[1,2")]
    public void Malformed_feedback_delta_is_invalid_input(string json) =>
        Assert.Throws<InvalidInputException>(() => FeedbackStore.ParseDelta(json));
}
