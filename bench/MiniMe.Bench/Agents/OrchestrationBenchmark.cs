using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using MiniMe.Bench.Support;
using Microsoft.Extensions.AI;
using MiniMe.Agents;
using MiniMe.Context;
using MiniMe.ModelCalls;
using MiniMe.Testing;
using MiniMe.Tracing;

namespace MiniMe.Bench.Agents;

/// <summary>
/// Orchestration overhead of one agent-team run, excluding model time: the full team (Architect,
/// Builder, Critic, Integrator) over an instant scripted model, with prompts built, JSON repaired and
/// validated, tokens estimated, and every trace event written (and flushed) to a real trace file.
/// Time spent inside the model client is measured and subtracted.
/// The floor is measured right after each run: the run's own trace lines (the same bytes) appended to a
/// fresh file with one fsync per line (per-line durability) and with one fsync at the end (durable at
/// the end of the run, the rule since group commit), and written spread over the time the orchestration
/// takes without I/O, then one fsync (on a busy disk an fsync costs more the longer its file has been
/// dirty, so this is the floor a run that writes while it works can reach); ratio = MiniMe / floor.
/// Usage: agents [--runs N] [--warmup N]
/// </summary>
public static class OrchestrationBenchmark
{
    /// <summary>The checkpoint floor: <paramref name="bytes"/> written <paramref name="times"/> times, each to a temporary file, fsynced, then renamed over the target.</summary>
    private static double FloorCheckpoints(string path, byte[] bytes, int times)
    {
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < times; i++)
        {
            var temp = path + "." + i.ToString(CultureInfo.InvariantCulture) + ".tmp";
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        return clock.Elapsed.TotalMilliseconds;
    }

    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(args);
        var runs = Option(args, "--runs", 200);
        var warmup = Option(args, "--warmup", 20);
        var directory = Path.Combine(Path.GetTempPath(), "minime-bench-agents-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var traceDirectory = Path.Combine(directory, "traces");
            var floorDirectory = Path.Combine(directory, "floor");
            Directory.CreateDirectory(floorDirectory);
            var traces = new TraceStore(traceDirectory);
            var counter = new TimedTokenCounter(new TiktokenTokenCounter());
            var scripted = new ScriptedChatClient { Responder = call => ScriptedReply.Text(Reply(call.SystemText)) with { ChunkSize = 16 } };
            var timed = new TimedChatClient(scripted);
            var team = new AgentTeam(ModelPipeline.Build(timed, PriceTable.Empty, counter), new AgentTeamOptions { Model = "scripted-model" }, traces);
            var masks = new MiniMe.Masks.MaskWeights { MaxIterations = 3, Rigor = 0.5, Temperature = 0.3 };
            // The same team over a trace log in memory: the orchestration's CPU work, without trace I/O.
            var memoryTeam = new AgentTeam(ModelPipeline.Build(timed, PriceTable.Empty, counter), new AgentTeamOptions { Model = "scripted-model" }, new TraceStore(new MemoryTraceLog()));
            // The team as `minime ask` runs it: builtin:team checkpointed after every node (resumable).
            var checkpoints = new MiniMe.Workflows.WorkflowCheckpoints(Path.Combine(directory, "runs"));
            var resumableTeam = new AgentTeam(ModelPipeline.Build(timed, PriceTable.Empty, counter), new AgentTeamOptions { Model = "scripted-model" }, traces, checkpoints: checkpoints);
            // Every run has its own context and task (as real runs do), so counts are not reused across runs.
            static string Context(int run) => string.Join("\n", Enumerable.Range(0, 40).Select(i => $"- memory {i}: the service layer caches responses for {i + run} minutes and logs every external call."));

            var overhead = new List<double>(runs);
            var totals = new List<double>(runs);
            var counting = new List<double>(runs);
            var inMemory = new List<double>(runs);
            var logOnly = new List<double>(runs);
            var floorSpread = new List<double>(runs);
            string[] previousLines = ["{}"];
            var fileLog = new FileTraceLog(Path.Combine(directory, "log-only"));
            var floorEach = new List<double>(runs);
            var floorEnd = new List<double>(runs);
            var resumable = new List<double>(runs);
            var floorCheckpoints = new List<double>(runs);
            var saves = 0;
            var lineCount = 0;
            long byteCount = 0;
            for (var i = 0; i < warmup + runs; i++)
            {
                ct.ThrowIfCancellationRequested();
                var runId = $"bench-{i:D6}";
                TeamRequest Request(string id) => new(id, $"Add greeting helper number {i} with tests", "You are MiniMe.\n" + Context(i), masks, [],
                    new Dictionary<string, IReadOnlyList<MiniMe.Identity.WeightedPrinciple>>(), new RunMeter(1_000_000));
                var request = Request(runId);
                // MiniMe's file trace log alone, with the previous run's lines: appends, then one flush.
                var logClock = Stopwatch.StartNew();
                foreach (var line in previousLines) fileLog.Append(runId + "-log", line);
                await fileLog.FlushAsync(runId + "-log", ct).ConfigureAwait(false);
                var logMs = logClock.Elapsed.TotalMilliseconds;
                timed.Reset();
                counter.Reset();
                var clock = Stopwatch.StartNew();
                var result = await team.RunAsync(request, null, ct).ConfigureAwait(false);
                var total = clock.Elapsed.TotalMilliseconds;
                if (result.Proposals.Count != 2 || result.Calls.Count != 4)
                    throw new InvalidOperationException($"unexpected run: {result.Calls.Count} calls, {result.Proposals.Count} proposals");
                var countingMs = counter.Elapsed.TotalMilliseconds;
                var overheadMs = total - timed.Elapsed.TotalMilliseconds;

                timed.Reset();
                var memoryClock = Stopwatch.StartNew();
                await memoryTeam.RunAsync(Request(runId + "-memory"), null, ct).ConfigureAwait(false);
                var memoryMs = memoryClock.Elapsed.TotalMilliseconds - timed.Elapsed.TotalMilliseconds;

                // As `ask` runs it: checkpoints too. Their floor: the final checkpoint's bytes written as many times as
                // the run saved its state, each atomically (a temporary file, fsync, rename), beside the trace floor below.
                timed.Reset();
                var resumableClock = Stopwatch.StartNew();
                await resumableTeam.RunAsync(Request(runId + "-resumable"), null, ct).ConfigureAwait(false);
                var resumableMs = resumableClock.Elapsed.TotalMilliseconds - timed.Elapsed.TotalMilliseconds;
                var checkpointBytes = File.ReadAllBytes(checkpoints.PathFor(runId + "-resumable"));
                saves = File.ReadLines(traces.PathFor(runId + "-resumable")).Count(l => l.Contains("\"event_type\":\"node_end\"", StringComparison.Ordinal)) + 2;
                var checkpointFloor = FloorCheckpoints(Path.Combine(floorDirectory, runId + ".checkpoint.json"), checkpointBytes, saves);

                // The floor, measured right after the run: the same trace lines (the same bytes) appended
                // to a fresh file, (a) with one fsync per line (durability per line, as MiniMe did before
                // group commit), (b) written line by line with one fsync at the end (durable at run end).
                var textLines = File.ReadAllLines(traces.PathFor(runId));
                var lines = textLines.Select(l => Encoding.UTF8.GetBytes(l + "\n")).ToArray();
                var each = FloorAppend(Path.Combine(floorDirectory, runId + ".each.jsonl"), lines, fsyncEachLine: true);
                var end = FloorAppend(Path.Combine(floorDirectory, runId + ".end.jsonl"), lines, fsyncEachLine: false);
                var spread = FloorAppend(Path.Combine(floorDirectory, runId + ".spread.jsonl"), lines, fsyncEachLine: false, spreadMs: memoryMs);
                previousLines = textLines;
                if (i < warmup) continue;
                logOnly.Add(logMs);
                lineCount = lines.Length;
                byteCount = lines.Sum(l => (long)l.Length);
                totals.Add(total);
                overhead.Add(overheadMs);
                inMemory.Add(memoryMs);
                counting.Add(countingMs);
                floorEach.Add(each);
                floorEnd.Add(end);
                resumable.Add(resumableMs);
                floorCheckpoints.Add(end + checkpointFloor);
                floorSpread.Add(spread - memoryMs);
            }

            Report.Header($"agents: orchestration overhead per run (4 agent calls, model time excluded), {runs} runs after {warmup} warm-up; "
                + $"floor = the run's {lineCount} trace lines ({byteCount} bytes) appended to a file; ratio = MiniMe / floor (lower is better)",
                "measure", "p50 ms", "p95 ms", "ratio p50 (vs fsync per line)", "ratio p50 (vs one fsync at end)");
            var eachP50 = Stats.Percentile(floorEach, 50);
            var endP50 = Stats.Percentile(floorEnd, 50);
            Report.Row("MiniMe overhead", P(overhead, 0.50), P(overhead, 0.95), Ratio(Stats.Percentile(overhead, 50), eachP50), Ratio(Stats.Percentile(overhead, 50), endP50));
            Report.Row("  of which token counting", P(counting, 0.50), P(counting, 0.95), "", "");
            Report.Row("MiniMe overhead, traces kept in memory (no trace I/O)", P(inMemory, 0.50), P(inMemory, 0.95), "", "");
            Report.Row($"floor: {lineCount} lines, one fsync per line", P(floorEach, 0.50), P(floorEach, 0.95), "1.00", Ratio(eachP50, endP50));
            Report.Row($"floor: {lineCount} lines written, one fsync at the end", P(floorEnd, 0.50), P(floorEnd, 0.95), Ratio(endP50, eachP50), "1.00");
            Report.Row($"floor: {lineCount} lines written over the run's CPU time (not counted), one fsync at the end", P(floorSpread, 0.50), P(floorSpread, 0.95), Ratio(Stats.Percentile(floorSpread, 50), eachP50), Ratio(Stats.Percentile(floorSpread, 50), endP50));
            Report.Row($"FileTraceLog alone: the {lineCount} lines appended, then one flush", P(logOnly, 0.50), P(logOnly, 0.95), Ratio(Stats.Percentile(logOnly, 50), eachP50), Ratio(Stats.Percentile(logOnly, 50), endP50));
            Report.Row("MiniMe with the scripted model", P(totals, 0.50), P(totals, 0.95), "", "");
            var checkpointFloorP50 = Stats.Percentile(floorCheckpoints, 50);
            Report.Row($"MiniMe overhead as `ask` runs it (checkpointed after every node: {saves} saves)", P(resumable, 0.50), P(resumable, 0.95), Ratio(Stats.Percentile(resumable, 50), eachP50), Ratio(Stats.Percentile(resumable, 50), checkpointFloorP50) + " (vs trace + checkpoint floor)");
            Report.Row($"floor: trace lines with one fsync at the end, plus {saves} atomic checkpoint writes", P(floorCheckpoints, 0.50), P(floorCheckpoints, 0.95), Ratio(checkpointFloorP50, eachP50), "1.00");

            // What the counter's cache costs beside what it saves: one system prompt (context block, role,
            // schema) counted by the tokenizer, hashed as the cache keys it, and counted through the cache.
            var system = AgentPrompts.Architect(new TeamRequest("bench-hash", "Add a greeting helper", "You are MiniMe.\n" + Context(-1), masks, [],
                new Dictionary<string, IReadOnlyList<MiniMe.Identity.WeightedPrinciple>>(), new RunMeter(1_000_000)))[0].Text;
            var uncached = new TiktokenTokenCounter(cacheCapacity: 0);
            var cached = new TiktokenTokenCounter();
            Report.Header($"agents: token counting of one {system.Length}-character system prompt (mean of 500, lower is better)", "measure", "µs", "ratio vs tokenizer");
            var countUs = MeanMicroseconds(() => uncached.Count(system));
            Report.Row("o200k tokenizer, whole text (as before the cache)", F(countUs), "1.00x");
            Report.Row("XxHash128 of the text (the cache key)", F(MeanMicroseconds(() => (int)System.IO.Hashing.XxHash128.HashToUInt128(System.Runtime.InteropServices.MemoryMarshal.AsBytes(system.AsSpan()))), countUs));
            Report.Row("TiktokenTokenCounter, every paragraph cached", F(MeanMicroseconds(() => cached.Count(system)), countUs));
            return 0;
        }
        finally
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Appends <paramref name="lines"/> to a new file through one handle; returns the milliseconds taken.</summary>
    private static double FloorAppend(string path, byte[][] lines, bool fsyncEachLine, double spreadMs = 0)
    {
        var clock = Stopwatch.StartNew();
        using (var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 0))
        {
            for (var i = 0; i < lines.Length; i++)
            {
                while (clock.Elapsed.TotalMilliseconds < spreadMs * i / lines.Length) Thread.SpinWait(20);
                stream.Write(lines[i]);
                if (fsyncEachLine) stream.Flush(flushToDisk: true);
            }
            while (clock.Elapsed.TotalMilliseconds < spreadMs) Thread.SpinWait(20);
            if (!fsyncEachLine) stream.Flush(flushToDisk: true);
        }
        return clock.Elapsed.TotalMilliseconds;
    }

    private static string F(double value, double baseline) => F(value) + " | " + Ratio(value, baseline);

    private static double MeanMicroseconds(Func<int> work)
    {
        for (var i = 0; i < 50; i++) work();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 500; i++) work();
        return clock.Elapsed.TotalMicroseconds / 500;
    }

    private static string Ratio(double value, double floor) => (value / floor).ToString(value / floor < 0.1 ? "0.0000" : "0.00", CultureInfo.InvariantCulture) + "x";

    private static string Reply(string system) =>
        system.Contains("You are the Architect", StringComparison.Ordinal)
            ? """{"summary":"One helper.","modules":[{"name":"Greeter","responsibility":"Formats greetings","depends_on":[]}],"files":[{"path":"src/Greeter.cs","purpose":"helper"}]}"""
        : system.Contains("You are the Builder", StringComparison.Ordinal)
            ? "Here is the build:\n```json\n" + """{"summary":"Adds Greeter.","files":[{"path":"src/Greeter.cs","content":"public static class Greeter { public static string Hi(string n) => n; }"},{"path":"tests/GreeterTests.cs","content":"// test"}],"patches":[],}""" + "\n```"
        : system.Contains("You are the Critic", StringComparison.Ordinal)
            ? """{"valid":true,"violations":[],"suggestions":[]}"""
            : """{"summary":"Write it.","proposals":[{"tool":"write_file","arguments":{"path":"src/Greeter.cs","content":"x"},"rationale":"helper"},{"tool":"run_command","arguments":{"argv":["dotnet","test"]},"rationale":"prove it"}]}""";

    private static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : fallback;
    }

    private static string P(List<double> values, double q)
    {
        var sorted = values.Order().ToList();
        return F(sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)]);
    }

    private static string F(double v) => v.ToString("0.000", CultureInfo.InvariantCulture);

    /// <summary>Trace lines kept in memory: the orchestration without trace I/O.</summary>
    private sealed class MemoryTraceLog : ITraceLog
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, List<string>> _runs = new(StringComparer.Ordinal);

        public string Location => "memory";

        public string LocationOf(string runId) => "memory " + runId;

        public bool Exists(string runId) => _runs.ContainsKey(runId);

        public void Append(string runId, string line)
        {
            var lines = _runs.GetOrAdd(runId, _ => []);
            lock (lines) lines.Add(line);
        }

        public void Flush(string runId)
        {
        }

        public ValueTask FlushAsync(string runId, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

        public IReadOnlyList<string>? ReadLines(string runId) => _runs.TryGetValue(runId, out var lines) ? [.. lines] : null;

        public IEnumerable<string> RunIds() => _runs.Keys;
    }

    /// <summary>Accumulates the time spent counting tokens (cache look-ups included).</summary>
    private sealed class TimedTokenCounter(ITokenCounter inner) : ITokenCounter
    {
        private long _ticks;

        public string Name => inner.Name;

        public TimeSpan Elapsed => TimeSpan.FromTicks(Interlocked.Read(ref _ticks));

        public void Reset() => Interlocked.Exchange(ref _ticks, 0);

        public int Count(string text)
        {
            var start = Stopwatch.GetTimestamp();
            var n = inner.Count(text);
            Interlocked.Add(ref _ticks, Stopwatch.GetElapsedTime(start).Ticks);
            return n;
        }
    }

    /// <summary>Accumulates the time spent inside the model client (the part that is not orchestration).</summary>
    private sealed class TimedChatClient(IChatClient inner) : DelegatingChatClient(inner)
    {
        private long _ticks;

        public TimeSpan Elapsed => TimeSpan.FromTicks(Interlocked.Read(ref _ticks));

        public void Reset() => Interlocked.Exchange(ref _ticks, 0);

        public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
            IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            var updates = base.GetStreamingResponseAsync(messages, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
            await using (updates.ConfigureAwait(false))
            {
                while (true)
                {
                    var start = Stopwatch.GetTimestamp();
                    var more = await updates.MoveNextAsync().ConfigureAwait(false);
                    Interlocked.Add(ref _ticks, Stopwatch.GetElapsedTime(start).Ticks);
                    if (!more) break;
                    yield return updates.Current;
                }
            }
        }
    }
}
