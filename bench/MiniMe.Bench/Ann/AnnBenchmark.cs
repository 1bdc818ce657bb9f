using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using System.Text.Json;
using System.Text.Json.Nodes;
using MiniMe.Memory.Vectors;

namespace MiniMe.Bench.Ann;

/// <summary>
/// `bench ann`: builds the HNSW index over clustered synthetic unit vectors and reports build time,
/// recall@k against an exact scan, single-thread query latency (p50/p95/p99) and memory.
/// Usage: ann [--sizes 100000,1000000] [--dims 384] [--queries 1000] [--k 10] [--m 16]
///            [--ef-construction 120] [--ef-search 64,128,256] [--threads N] [--clusters N]
///            [--seed 42] [--no-persist] [--no-int8] [--no-usearch] [--json FILE]
/// With USearch (the default) the same vectors are indexed by USearch 2.26.6 with the same M,
/// efConstruction and threads, and each efSearch is measured on both, with the ratios MiniMe / USearch.
/// </summary>
public static class AnnBenchmark
{
    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(args);
        AnnSettings settings;
        try
        {
            settings = AnnSettings.Parse(args);
        }
        catch (FormatException e)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
            await Console.Error.WriteLineAsync(AnnSettings.Usage).ConfigureAwait(false);
            return 2;
        }

        Console.WriteLine($"ann benchmark: dims={settings.Dims} k={settings.K} M={settings.M} efConstruction={settings.EfConstruction} " +
            $"threads={settings.Threads} queries={settings.Queries} cores={Environment.ProcessorCount} seed={settings.Seed}");
        var report = new JsonArray();
        foreach (var size in settings.Sizes)
        {
            ct.ThrowIfCancellationRequested();
            report.Add(RunSize(settings, size, ct));
        }
        if (settings.JsonPath is { } path)
        {
            var document = new JsonObject
            {
                ["benchmark"] = "ann",
                ["machine"] = new JsonObject { ["cores"] = Environment.ProcessorCount, ["os"] = Environment.OSVersion.ToString(), ["runtime"] = Environment.Version.ToString() },
                ["settings"] = settings.ToJson(),
                ["results"] = report,
            };
            await File.WriteAllTextAsync(path, document.ToJsonString(new JsonSerializerOptions { WriteIndented = true }), ct).ConfigureAwait(false);
            Console.WriteLine($"wrote {path}");
        }
        return 0;
    }

    private static JsonObject RunSize(AnnSettings settings, int size, CancellationToken ct)
    {
        var dims = settings.Dims;
        var clusters = settings.Clusters ?? Math.Clamp(size / 1000, 32, 4096);
        Console.WriteLine();
        Console.WriteLine($"== {size:N0} vectors, {clusters} clusters ==");
        var generator = new SyntheticVectors(dims, clusters, settings.Seed);
        var clock = Stopwatch.StartNew();
        var data = new float[(long)size * dims];
        generator.Fill(data, size, stream: 1, ct);
        var queries = new float[settings.Queries * dims];
        generator.Fill(queries, settings.Queries, stream: 2, ct);
        Console.WriteLine($"generated in {clock.Elapsed.TotalSeconds:0.0}s");

        clock.Restart();
        var truth = ExactTopK(data, size, queries, settings.Queries, dims, settings.K, ct);
        var exactSeconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"exact ground truth: {exactSeconds:0.0}s ({exactSeconds * 1000 / settings.Queries * settings.Threads:0.00} ms per query-thread for a full scan)");

        var options = new HnswOptions { M = settings.M, EfConstruction = settings.EfConstruction, EfSearch = settings.EfSearch[0] };
        var index = new HnswIndex(dims, options);
        var items = new KeyValuePair<string, ReadOnlyMemory<float>>[size];
        for (var i = 0; i < size; i++)
            items[i] = new(i.ToString(CultureInfo.InvariantCulture), new ReadOnlyMemory<float>(data, i * dims, dims));
        var lastPercent = -1;
        var progress = new InlineProgress(done =>
        {
            var percent = (int)(done * 100L / size);
            if (percent / 10 == lastPercent / 10) return;
            lastPercent = percent;
            Console.Error.WriteLine($"  building: {done:N0}/{size:N0} ({percent}%) {clock.Elapsed.TotalSeconds:0}s");
        });
        clock.Restart();
        index.AddRange(items, settings.Threads, progress, ct);
        var buildSeconds = clock.Elapsed.TotalSeconds;
        items = null;
        GC.Collect();
        var indexMb = index.EstimatedBytes / (1024.0 * 1024.0);
        var workingSetMb = Environment.WorkingSet / (1024.0 * 1024.0);
        Console.WriteLine($"build: {buildSeconds:0.0}s ({size / buildSeconds:N0} vectors/s), index memory {indexMb:N0} MB " +
            $"(raw vectors {(double)size * dims * 4 / (1024 * 1024):N0} MB), process working set {workingSetMb:N0} MB incl. the benchmark's own copy of the data");

        var result = new JsonObject
        {
            ["size"] = size,
            ["clusters"] = clusters,
            ["buildSeconds"] = Math.Round(buildSeconds, 2),
            ["indexMb"] = Math.Round(indexMb, 1),
            ["workingSetMb"] = Math.Round(workingSetMb, 1),
            ["exactScanSecondsAllQueries"] = Math.Round(exactSeconds, 2),
        };

        if (settings.Persist)
        {
            var file = Path.Combine(Path.GetTempPath(), $"minime-ann-bench-{Environment.ProcessId}.hnsw");
            try
            {
                clock.Restart();
                index.Save(file, "bench");
                var saveSeconds = clock.Elapsed.TotalSeconds;
                var bytes = new FileInfo(file).Length;
                clock.Restart();
                using var loaded = HnswIndex.Load(file, "bench", options);
                var loadSeconds = clock.Elapsed.TotalSeconds;
                Console.WriteLine($"persist: save {saveSeconds:0.0}s, load+verify {loadSeconds:0.0}s, file {bytes / (1024.0 * 1024.0):N0} MB");
                result["saveSeconds"] = Math.Round(saveSeconds, 2);
                result["loadSeconds"] = Math.Round(loadSeconds, 2);
                result["fileMb"] = Math.Round(bytes / (1024.0 * 1024.0), 1);
            }
            finally
            {
                File.Delete(file);
            }
        }

        var runs = new JsonArray();
        foreach (var ef in settings.EfSearch)
        {
            var run = MeasureQueries(index, queries, settings.Queries, dims, settings.K, ef, truth);
            Console.WriteLine($"efSearch={ef,4}: recall@{settings.K}={run.Recall:0.0000}  p50={run.P50:0.000} ms  p95={run.P95:0.000} ms  p99={run.P99:0.000} ms  ({1000 / run.Mean:N0} queries/s on one thread)");
            runs.Add(new JsonObject
            {
                ["efSearch"] = ef,
                ["recall"] = Math.Round(run.Recall, 4),
                ["p50Ms"] = Math.Round(run.P50, 4),
                ["p95Ms"] = Math.Round(run.P95, 4),
                ["p99Ms"] = Math.Round(run.P99, 4),
                ["meanMs"] = Math.Round(run.Mean, 4),
            });
        }
        result["queries"] = runs;
        index.Dispose();

        if (settings.USearch)
            result["usearch"] = MeasureUSearch(settings, data, size, queries, truth, buildSeconds, runs, ct);

        if (settings.Int8)
        {
            var scan = new Int8Scan(data, size, dims);
            var rescore = Math.Max(settings.K * 4, 40);
            var run = Measure(q => scan.Search(q, settings.K, rescore), queries, Math.Min(settings.Queries, 200), dims, settings.K, truth);
            Console.WriteLine($"int8 scan + float re-score of top {rescore}: recall@{settings.K}={run.Recall:0.0000}  p50={run.P50:0.000} ms  p95={run.P95:0.000} ms  " +
                $"({scan.Bytes / (1024.0 * 1024.0):N0} MB of codes; {Math.Min(settings.Queries, 200)} queries)");
            result["int8Scan"] = new JsonObject
            {
                ["rescore"] = rescore,
                ["recall"] = Math.Round(run.Recall, 4),
                ["p50Ms"] = Math.Round(run.P50, 4),
                ["p95Ms"] = Math.Round(run.P95, 4),
            };
        }
        return result;
    }

    /// <summary>The same build and queries on USearch, printed beside MiniMe's figures with the ratios.</summary>
    private static JsonObject MeasureUSearch(AnnSettings settings, float[] data, int size, float[] queries, int[][] truth,
        double miniMeBuildSeconds, JsonArray miniMeRuns, CancellationToken ct)
    {
        using var peer = new USearchPeer(settings.Dims, settings.M, settings.EfConstruction);
        var clock = Stopwatch.StartNew();
        peer.Build(data, size, settings.Threads, ct);
        var buildSeconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"USearch {USearchPeer.Version}: build {buildSeconds:0.0}s ({size / buildSeconds:N0} vectors/s), index memory {peer.MemoryBytes / (1024.0 * 1024.0):N0} MB; " +
            $"build ratio MiniMe/USearch {miniMeBuildSeconds / buildSeconds:0.00}");
        var runs = new JsonArray();
        for (var e = 0; e < settings.EfSearch.Count; e++)
        {
            var ef = settings.EfSearch[e];
            peer.SetExpansionSearch(ef);
            var run = Measure(q => peer.Search(q, settings.K), queries, settings.Queries, settings.Dims, settings.K, truth);
            var ours = miniMeRuns[e]!["p50Ms"]!.GetValue<double>();
            Console.WriteLine($"USearch efSearch={ef,4}: recall@{settings.K}={run.Recall:0.0000}  p50={run.P50:0.000} ms  p95={run.P95:0.000} ms  " +
                $"p50 ratio MiniMe/USearch {ours / run.P50:0.00} (MiniMe recall {miniMeRuns[e]!["recall"]!.GetValue<double>():0.0000})");
            runs.Add(new JsonObject
            {
                ["efSearch"] = ef,
                ["recall"] = Math.Round(run.Recall, 4),
                ["p50Ms"] = Math.Round(run.P50, 4),
                ["p95Ms"] = Math.Round(run.P95, 4),
                ["p50RatioMiniMeOverUSearch"] = Math.Round(ours / run.P50, 3),
            });
        }
        return new JsonObject
        {
            ["version"] = USearchPeer.Version,
            ["buildSeconds"] = Math.Round(buildSeconds, 2),
            ["buildRatioMiniMeOverUSearch"] = Math.Round(miniMeBuildSeconds / buildSeconds, 3),
            ["indexMb"] = Math.Round(peer.MemoryBytes / (1024.0 * 1024.0), 1),
            ["queries"] = runs,
        };
    }

    private sealed record QueryRun(double Recall, double P50, double P95, double P99, double Mean);

    private static QueryRun MeasureQueries(HnswIndex index, float[] queries, int count, int dims, int k, int ef, int[][] truth) =>
        Measure(q => [.. index.Search(q, k, ef).Select(m => int.Parse(m.Key, CultureInfo.InvariantCulture))], queries, count, dims, k, truth);

    private delegate int[] SearchFunc(ReadOnlySpan<float> query);

    private static QueryRun Measure(SearchFunc search, float[] queries, int count, int dims, int k, int[][] truth)
    {
        // Warm up the JIT and caches on a few queries, then time each query on this thread alone.
        for (var i = 0; i < Math.Min(count, 20); i++) search(queries.AsSpan(i * dims, dims));
        var latencies = new double[count];
        double hits = 0;
        for (var i = 0; i < count; i++)
        {
            var q = queries.AsSpan(i * dims, dims);
            var start = Stopwatch.GetTimestamp();
            var found = search(q);
            latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            var expected = truth[i];
            foreach (var id in found)
                if (Array.IndexOf(expected, id) >= 0) hits++;
        }
        Array.Sort(latencies);
        return new QueryRun(hits / ((double)count * k), Percentile(latencies, 0.50), Percentile(latencies, 0.95), Percentile(latencies, 0.99), latencies.Average());
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    /// <summary>The true top-k (by dot product of unit vectors) for every query, in parallel.</summary>
    internal static int[][] ExactTopK(float[] data, int size, float[] queries, int count, int dims, int k, CancellationToken ct)
    {
        var truth = new int[count][];
        Parallel.For(0, count, new ParallelOptions { CancellationToken = ct }, qi =>
        {
            var q = queries.AsSpan(qi * dims, dims);
            var ids = new int[k];
            var scores = new float[k];
            Array.Fill(scores, float.NegativeInfinity);
            for (var n = 0; n < size; n++)
            {
                var s = TensorPrimitives.Dot(q, data.AsSpan(n * dims, dims));
                if (s <= scores[k - 1]) continue;
                var at = k - 1;
                while (at > 0 && scores[at - 1] < s)
                {
                    scores[at] = scores[at - 1];
                    ids[at] = ids[at - 1];
                    at--;
                }
                scores[at] = s;
                ids[at] = n;
            }
            truth[qi] = ids;
        });
        return truth;
    }

    /// <summary>Reports on the calling thread; Progress&lt;T&gt; would post to the thread pool.</summary>
    private sealed class InlineProgress(Action<int> report) : IProgress<int>
    {
        private readonly Lock _gate = new();

        public void Report(int value)
        {
            lock (_gate) report(value);
        }
    }
}
