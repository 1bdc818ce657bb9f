using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using MiniMe.Bench.Support;
using MiniMe.Configuration;
using MiniMe.Hosting.Users;
using MiniMe.Server;
using MiniMe.Server.Auth;
using MiniMe.Server.Chat;

namespace MiniMe.Bench.Server;

/// <summary>
/// `minime serve` under load on loopback, with an instant model: POST /v1/chat throughput and latency
/// (N concurrent workers, bounded by a request count and a time limit), then the first-byte and
/// first-token latency of POST /v1/chat/stream. Each chat turn does the real work: auth, rate limit,
/// classification, masks, BM25 retrieval over an imported corpus, context assembly, history, the
/// conversation rows in server.db and a fsync'ed trace. The embedding model is instant too (hashed words, 384
/// dimensions): dense search and the vector fill run over real vectors, without ONNX time. Beside it, in the same run, the floors of
/// <see cref="ChatFloor"/>: a minimal API doing the same durable I/O per turn, and one doing none.
///   server [--requests 2000] [--concurrency 8] [--seconds 60] [--streams 300] [--docs 200]
/// </summary>
public static class ServerBenchmark
{
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var requests = Option(args, "--requests", 2000);
        var concurrency = Option(args, "--concurrency", 8);
        var seconds = Option(args, "--seconds", 60);
        var streams = Option(args, "--streams", 300);
        var docs = Option(args, "--docs", 200);

        var home = Path.Combine(Path.GetTempPath(), "minime-bench-server-" + Environment.ProcessId);
        var workspace = CreateWorkspace(home);
        var app = await StartAsync(workspace, ConfigurationLoader.Load(workspace), cancellationToken, instantEmbeddings: true);
        try
        {
            using var http = Client(app, concurrency, CreateKey(app));
            await ImportCorpusAsync(http, docs, cancellationToken);
            var filling = Stopwatch.StartNew();
            await WaitForVectorsAsync(app, cancellationToken);
            Console.WriteLine(FormattableString.Invariant($"vectors of the imported corpus filled in by the server in {filling.Elapsed.TotalSeconds:0.0} s (before the measured loads, so they do not compete with them)"));

            await WarmUpAsync(http, cancellationToken);
            var (sample, traceLines) = await SampleAsync(http, workspace, cancellationToken);
            await using var durable = await ChatFloor.Durable(Path.Combine(home, "floor"), sample, traceLines, cancellationToken);
            await using var bare = await ChatFloor.Bare(Path.Combine(home, "bare"), sample, cancellationToken);
            using var durableHttp = FloorClient(durable, concurrency);
            using var bareHttp = FloorClient(bare, concurrency);
            await WarmUpAsync(durableHttp, cancellationToken);
            await WarmUpAsync(bareHttp, cancellationToken);

            var limit = TimeSpan.FromSeconds(seconds);
            var miniMe = await LoadAsync([http], requests, concurrency, limit, cancellationToken);
            var floor = await LoadAsync([durableHttp], requests, concurrency, limit, cancellationToken);
            var plain = await LoadAsync([bareHttp], requests, concurrency, limit, cancellationToken);
            Report.Header($"POST /v1/chat (instant model, {concurrency} concurrent clients, {docs} documents in memory; " +
                    $"floor: a minimal API doing the same durable I/O per turn, 2 message rows committed + {traceLines.Count} trace lines, one fsync)",
                "server", "requests", "seconds", "req/s", "p50 ms", "p99 ms", "max ms", "p99 / p50");
            LoadRow("MiniMe", miniMe);
            LoadRow("floor: same durable I/O", floor);
            LoadRow("bare minimal API, no I/O (reference)", plain);
            var (miniMeRate, floorRate) = (Rate(miniMe), Rate(floor));
            Console.WriteLine();
            Console.WriteLine(FormattableString.Invariant($"MiniMe / floor: throughput {miniMeRate / floorRate:0.000}× (higher is better; goal >= 0.25), p50 {Stats.Percentile(miniMe.Samples, 50) / Stats.Percentile(floor.Samples, 50):0.00}× (a time: lower is better)"));
            Console.WriteLine(FormattableString.Invariant($"p99 / p50: MiniMe {Spread(miniMe.Samples):0.0}, floor {Spread(floor.Samples):0.0} (goal for MiniMe <= 5); MiniMe / bare: throughput {miniMeRate / Rate(plain):0.000}×"));

            var (firstByte, firstToken, total) = await StreamAsync(http, streams, TimeSpan.FromSeconds(seconds), cancellationToken);
            Report.Header("POST /v1/chat/stream (instant model, one client, sequential)", "streams", "first byte p50 ms", "first byte p99 ms", "first token p50 ms", "first token p99 ms", "whole stream p50 ms");
            Report.Row(firstByte.Count, Stats.Ms(Stats.Percentile(firstByte, 50)), Stats.Ms(Stats.Percentile(firstByte, 99)),
                Stats.Ms(Stats.Percentile(firstToken, 50)), Stats.Ms(Stats.Percentile(firstToken, 99)), Stats.Ms(Stats.Percentile(total, 50)));
            return 0;
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
            SqliteConnection.ClearAllPools();
            Directory.Delete(home, recursive: true);
        }
    }

    /// <summary>One chat's reply and its trace lines: what the floors answer and write.</summary>
    private static async Task<(ChatReply Reply, IReadOnlyList<string> TraceLines)> SampleAsync(HttpClient http, Workspace workspace, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync("/v1/chat", new { message = Questions[0] }, cancellationToken);
        response.EnsureSuccessStatusCode();
        var reply = await response.Content.ReadFromJsonAsync<ChatReply>(SnakeCase, cancellationToken)
            ?? throw new InvalidOperationException("/v1/chat answered null");
        var lines = await File.ReadAllLinesAsync(Path.Combine(workspace.TracesDirectory, reply.RunId + ".jsonl"), cancellationToken);
        return (reply, lines);
    }

    private static readonly JsonSerializerOptions SnakeCase = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private static HttpClient FloorClient(ChatFloor floor, int connections) =>
        new(new SocketsHttpHandler { MaxConnectionsPerServer = connections }) { BaseAddress = floor.Address };

    private static double Rate((List<double> Samples, TimeSpan Elapsed) load) => load.Samples.Count / load.Elapsed.TotalSeconds;

    private static double Spread(List<double> samples) => Stats.Percentile(samples, 99) / Stats.Percentile(samples, 50);

    private static void LoadRow(string server, (List<double> Samples, TimeSpan Elapsed) load) =>
        Report.Row(server, load.Samples.Count, load.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture),
            Rate(load).ToString("0", CultureInfo.InvariantCulture),
            Stats.Ms(Stats.Percentile(load.Samples, 50)), Stats.Ms(Stats.Percentile(load.Samples, 99)), Stats.Ms(load.Samples.Max()),
            Spread(load.Samples).ToString("0.0", CultureInfo.InvariantCulture));

    /// <summary>Chats sent to each instance before a measured load (JIT, pools, caches); each is a conversation of two messages.</summary>
    internal const int WarmUpRequests = 30;

    /// <summary>A fresh workspace with the default config under <paramref name="home"/>.</summary>
    internal static Workspace CreateWorkspace(string home)
    {
        var workspace = new Workspace(Path.Combine(home, ".minime"));
        WorkspaceInitializer.Initialize(workspace, "bench", force: true);
        return workspace;
    }

    /// <summary>A started server on a free loopback port with the instant model and no effective rate limit.</summary>
    /// <param name="instantEmbeddings">The instant embedding model instead of embeddings.model (the bundled minilm by default, whose
    /// fill of the corpus takes minutes on 2 cores and whose query embedding is model time, like the chat model's).</param>
    internal static async Task<WebApplication> StartAsync(Workspace workspace, MiniMeOptions options, CancellationToken cancellationToken, bool instantEmbeddings = false)
    {
        var server = new ServerOptions { RateLimitPermits = int.MaxValue, RateLimitWindowSeconds = 1 };
        var app = MiniMeServer.Build(workspace, options, server, "http://127.0.0.1:0", engine =>
        {
            engine.UseChatClient(new InstantChatClient());
            if (instantEmbeddings) engine.UseEmbeddings(new InstantEmbeddingGenerator());
        });
        await app.StartAsync(cancellationToken);
        return app;
    }

    /// <summary>An API key made through the store the app registers (with memory.store postgres, every instance over that database accepts it).</summary>
    internal static string CreateKey(WebApplication app) => app.Services.GetRequiredService<ApiKeyStore>().Create("bench", "bench").Secret;

    /// <summary>A client of one instance holding up to <paramref name="connections"/> connections, sending the key.</summary>
    internal static HttpClient Client(WebApplication app, int connections, string key)
    {
        var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections }) { BaseAddress = new Uri(MiniMeServer.Addresses(app)[0]) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return http;
    }

    /// <summary>
    /// Waits until the server's background fill has embedded every imported chunk (embeddings.model is
    /// minilm by default), so a measured load neither competes with the fill nor sees dense results appear.
    /// </summary>
    internal static async Task WaitForVectorsAsync(WebApplication app, CancellationToken cancellationToken)
    {
        var fill = await app.Services.GetRequiredService<UserSpaces>().Owner.VectorBackfillAsync(cancellationToken);
        if (fill is null) return;
        while (await fill.PendingAsync(cancellationToken) > 0) await Task.Delay(250, cancellationToken);
    }

    internal static async Task WarmUpAsync(HttpClient http, CancellationToken cancellationToken)
    {
        for (var i = 0; i < WarmUpRequests; i++) await ChatAsync(http, i, cancellationToken);
    }

    internal static async Task ImportCorpusAsync(HttpClient http, int docs, CancellationToken cancellationToken)
    {
        var corpus = new SyntheticCorpus(seed: 5);
        for (var batch = 0; batch < docs; batch += 50)
        {
            var documents = Enumerable.Range(batch, Math.Min(50, docs - batch))
                .Select(i => new { name = $"doc{i}.md", content = $"# Note {i}\n\n" + string.Join("\n\n", Enumerable.Range(0, 5).Select(_ => corpus.Paragraph(80))) })
                .ToList();
            using var response = await http.PostAsJsonAsync("/v1/memory/import", new { documents }, cancellationToken);
            response.EnsureSuccessStatusCode();
        }
    }

    private static readonly string[] Questions =
    [
        "How should I retry a flaky cache call with backoff?",
        "What is our rule for database migrations?",
        "Summarize the deployment pipeline in two lines",
        "Which tests guard the request handler?",
    ];

    private static async Task ChatAsync(HttpClient http, int i, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync("/v1/chat", new { message = Questions[i % Questions.Length] }, cancellationToken);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"/v1/chat answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
        await response.Content.ReadAsByteArrayAsync(cancellationToken);
    }

    /// <summary>
    /// Workers take request numbers until the count or the time limit is reached; worker w sends to
    /// client w mod the number of clients, so several instances share the workers evenly.
    /// </summary>
    internal static async Task<(List<double> Samples, TimeSpan Elapsed)> LoadAsync(
        IReadOnlyList<HttpClient> clients, int requests, int concurrency, TimeSpan limit, CancellationToken cancellationToken)
    {
        var samples = new List<double>(requests);
        var next = -1;
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            var http = clients[w % clients.Count];
            var mine = new List<double>();
            while (Interlocked.Increment(ref next) < requests && clock.Elapsed < limit)
            {
                var start = Stopwatch.GetTimestamp();
                await ChatAsync(http, next, cancellationToken);
                mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
            return mine;
        }, cancellationToken)).ToList();
        foreach (var worker in workers) samples.AddRange(await worker);
        return (samples, clock.Elapsed);
    }

    private static async Task<(List<double> FirstByte, List<double> FirstToken, List<double> Total)> StreamAsync(
        HttpClient http, int streams, TimeSpan limit, CancellationToken cancellationToken)
    {
        List<double> firstByte = [], firstToken = [], total = [];
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < streams && clock.Elapsed < limit; i++)
        {
            var start = Stopwatch.GetTimestamp();
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/stream") { Content = JsonContent.Create(new { message = Questions[i % Questions.Length] }) };
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            response.EnsureSuccessStatusCode();
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
            var sawByte = false;
            var sawToken = false;
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (!sawByte) { firstByte.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds); sawByte = true; }
                if (!sawToken && line.Contains("\"type\":\"delta\"", StringComparison.Ordinal)) { firstToken.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds); sawToken = true; }
            }
            if (!sawToken) throw new InvalidOperationException("a stream ended without a token");
            total.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        return (firstByte, firstToken, total);
    }

    internal static int Option(string[] args, string name, int fallback) =>
        Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}
