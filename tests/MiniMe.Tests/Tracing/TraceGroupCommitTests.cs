using System.Text.Json.Nodes;
using MiniMe.Testing;
using MiniMe.Tests.Support;
using MiniMe.Tracing;

namespace MiniMe.Tests.Tracing;

/// <summary>
/// The file trace log's group commit: lines are written at once and in order (so a killed process
/// loses none), fsyncs are batched in the background and waited for at the durability points, many
/// runs are appended from many threads at once without a torn or lost line, a run's file is closed once
/// its lines are on disk, and a torn line left by a crash is still closed before the next line.
/// </summary>
public sealed class TraceGroupCommitTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Many_threads_appending_to_several_runs_leave_every_line_whole_and_in_order_per_writer()
    {
        var store = new TraceStore(_dir.Path);
        const int runs = 6, writers = 8, perWriter = 150;
        var workers = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < perWriter; i++)
                for (var r = 0; r < runs; r++)
                {
                    var data = new JsonObject { ["writer"] = w, ["seq"] = i, ["pad"] = new string('x', (i * 37 + w) % 300) };
                    // Batched appends, durable appends and flushes, mixed as the server and the CLI mix them.
                    if (i % 10 == 9) store.Append($"run-{r}", TraceEventTypes.AgentOutput, data);
                    else store.AppendBatched($"run-{r}", TraceEventTypes.AgentCall, data);
                    if (i % 25 == 0) await store.FlushAsync($"run-{r}");
                }
        }));
        await Task.WhenAll(workers);
        for (var r = 0; r < runs; r++) await store.FlushAsync($"run-{r}");

        for (var r = 0; r < runs; r++)
        {
            var lines = File.ReadAllLines(store.PathFor($"run-{r}"));
            Assert.Equal(writers * perWriter, lines.Length);
            var next = new int[writers];
            foreach (var line in lines)
            {
                var data = JsonNode.Parse(line)!["data"]!;   // every line parses: none is torn or interleaved
                var writer = data["writer"]!.GetValue<int>();
                Assert.Equal(next[writer]++, data["seq"]!.GetValue<int>());
            }
            Assert.All(next, n => Assert.Equal(perWriter, n));
        }
    }

    [Fact]
    public async Task Two_logs_over_one_folder_share_a_runs_file_without_overwriting_each_other()
    {
        var first = new TraceStore(_dir.Path);
        var second = new TraceStore(new FileTraceLog(_dir.Path));
        await Task.WhenAll(
            Task.Run(() => { for (var i = 0; i < 300; i++) first.AppendBatched("shared", TraceEventTypes.AgentCall, new JsonObject { ["from"] = "first", ["i"] = i }); }),
            Task.Run(() => { for (var i = 0; i < 300; i++) second.AppendBatched("shared", TraceEventTypes.AgentCall, new JsonObject { ["from"] = "second", ["i"] = i }); }));
        await first.FlushAsync("shared");
        var events = second.Read("shared");
        Assert.Equal(600, events.Count);
        Assert.Equal(Enumerable.Range(0, 300), events.Where(e => e.Data["from"]!.GetValue<string>() == "first").Select(e => e.Data["i"]!.GetValue<int>()));
        Assert.Equal(Enumerable.Range(0, 300), events.Where(e => e.Data["from"]!.GetValue<string>() == "second").Select(e => e.Data["i"]!.GetValue<int>()));
    }

    [Fact]
    public async Task A_batched_line_is_in_the_file_when_the_append_returns_and_the_file_is_closed_after_the_flush()
    {
        var store = new TraceStore(_dir.Path);
        for (var i = 0; i < 20; i++)
        {
            store.AppendBatched("open-run", TraceEventTypes.AgentCall, new JsonObject { ["i"] = i });
            Assert.Equal(i + 1, File.ReadAllLines(store.PathFor("open-run")).Length);   // written, not waiting for fsync
        }
        await store.FlushAsync("open-run");
        // Every line is on disk and nothing more was written: the log holds no descriptor for the file.
        var path = store.PathFor("open-run");
        var descriptors = Directory.EnumerateFileSystemEntries("/proc/self/fd")
            .Select(fd => { try { return new FileInfo(fd).LinkTarget; } catch (IOException) { return null; } });
        Assert.DoesNotContain(path, descriptors);
        store.Flush("open-run");   // nothing pending: returns at once
        Assert.Equal(20, store.Read("open-run").Count);
    }

    [Fact]
    public void A_torn_line_from_another_writer_is_closed_before_the_next_line_even_while_the_run_is_open()
    {
        var store = new TraceStore(_dir.Path);
        store.AppendBatched("torn", TraceEventTypes.TaskStart, new JsonObject { ["task"] = "x" });
        File.AppendAllText(store.PathFor("torn"), "{\"timestamp\":\"2026-");   // a crashed writer's half line
        store.AppendBatched("torn", TraceEventTypes.RunEnd, new JsonObject { ["status"] = "ok" });
        store.Flush("torn");

        var lines = File.ReadAllLines(store.PathFor("torn"));
        Assert.Equal(3, lines.Length);
        Assert.Equal("{\"timestamp\":\"2026-", lines[1]);
        Assert.Equal([TraceEventTypes.TaskStart, TraceEventTypes.RunEnd], store.Read("torn").Select(e => e.EventType));
    }

    [Fact]
    public async Task Flushing_a_run_that_has_no_lines_returns_at_once()
    {
        var store = new TraceStore(_dir.Path);
        store.Flush("never-written");
        await store.FlushAsync("never-written");
        Assert.False(store.Exists("never-written"));
    }
}

/// <summary>
/// A real `minime ask` killed with SIGKILL while its second model call is in flight: every trace line
/// it had appended (the run's start, the context, the Architect's call and output, written without
/// waiting for fsync) is in the file, whole.
/// </summary>
[Trait("Category", "Integration")]
public sealed class TraceKillTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private LoopbackOpenAiServer _model = null!;

    private string Home => _dir.Combine(".minime");

    public async Task InitializeAsync()
    {
        _model = await LoopbackOpenAiServer.StartAsync();
        Assert.Equal(0, (await MinimeProcess.RunAsync(["init", "--home", Home])).ExitCode);
    }

    public async Task DisposeAsync()
    {
        await _model.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task An_ask_killed_with_SIGKILL_mid_run_keeps_every_trace_line_it_had_written()
    {
        // The first agent's call is answered; the second never ends: the kill arrives mid-run.
        var answered = 0;
        _model.Responder = request => Interlocked.Increment(ref answered) == 1 ? ScriptedReply.Text(Reply(request.MessagesText)) : ScriptedReply.Hang();
        var environment = new Dictionary<string, string>
        {
            ["MINIME_LLM__PROVIDER"] = "openai",
            ["MINIME_LLM__MODEL"] = "loopback-model",
            ["MINIME_LLM__ENDPOINT"] = _model.BaseUrl.ToString(),
            ["OPENAI_API_KEY"] = "sk-loopback",
        };
        await using var ask = RunningMinime.Start(["ask", "add a greeting helper", "--home", Home], environment);
        await _model.WaitForChatRequestsAsync(2, TimeSpan.FromMinutes(2));

        await ask.SignalAsync("KILL");
        await ask.WaitForExitAsync();

        var trace = Assert.Single(Directory.GetFiles(Path.Combine(Home, "traces"), "*.jsonl"));
        var text = await File.ReadAllTextAsync(trace);
        Assert.EndsWith("\n", text, StringComparison.Ordinal);   // no torn last line
        var events = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();   // every line parses
        var types = events.Select(e => e["event_type"]!.GetValue<string>()).ToList();
        Assert.Equal(TraceEventTypes.TaskStart, types[0]);
        var call = Assert.Single(events, e => e["event_type"]!.GetValue<string>() == TraceEventTypes.AgentCall);   // the answered call, not the hanging one
        var output = Assert.Single(events, e => e["event_type"]!.GetValue<string>() == TraceEventTypes.AgentOutput);
        Assert.Equal("completed", call["data"]!["status"]!.GetValue<string>());
        Assert.Equal(call["data"]!["agent"]!.GetValue<string>(), output["data"]!["agent"]!.GetValue<string>());
        Assert.True(output["data"]!["valid"]!.GetValue<bool>(), output.ToJsonString());
        Assert.DoesNotContain(TraceEventTypes.RunEnd, types);   // it was killed, not ended
    }

    private static string Reply(string prompt) =>
        prompt.Contains("You are the Architect", StringComparison.Ordinal)
            ? """{"summary":"One helper.","modules":[{"name":"Greeter","responsibility":"Formats greetings","depends_on":[]}],"files":[{"path":"src/Greeter.cs","purpose":"helper"}]}"""
        : prompt.Contains("You are the Builder", StringComparison.Ordinal)
            ? """{"summary":"Adds Greeter.","files":[{"path":"src/Greeter.cs","content":"public static class Greeter { public static string Hi(string n) => n; }"}],"patches":[]}"""
        : prompt.Contains("You are the Critic", StringComparison.Ordinal)
            ? """{"valid":true,"violations":[],"suggestions":[]}"""
            : """{"summary":"Write it.","proposals":[]}""";
}
