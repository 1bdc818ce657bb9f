using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using MiniMe.Agents;
using MiniMe.Server.Tests.Support;
using MiniMe.Testing;
using MiniMe.Tests.Support;
using Npgsql;
using Xunit.Abstractions;

namespace MiniMe.Server.Tests.Scale;

/// <summary>
/// Two real `minime serve` processes on different loopback ports over one PostgreSQL database and one
/// workspace folder: a bounded load of chats, fact writes, imports and proposal approvals spread over
/// both, then a check that every write is present exactly once, that every proposal approved on both
/// instances at the same moment ran exactly once, and that nothing was written to SQLite.
/// </summary>
[Trait("Category", "Integration")]
[Collection(PostgresCollection.Name)]
public sealed class TwoInstancesOneDatabaseTests(PostgresServerFixture postgres, ITestOutputHelper output) : IAsyncLifetime
{
    private const int Conversations = 8;
    private const int TurnsPerConversation = 4;
    private const int Facts = 24;
    private const int SharedFacts = 6;
    private const int Imports = 8;
    private const int Proposals = 4;

    private const string Allowlist = """
        read:
          include: ["**"]
        write:
          include: ["src/**"]
        commands:
          - program: sh
            args: ["scripts/mark.sh"]
        """;

    private const string Integration =
        """{"summary":"Leave a marker.","proposals":[{"tool":"run_command","arguments":{"argv":["sh","scripts/mark.sh"]},"rationale":"count the runs"}]}""";

    private readonly string _root = Path.Combine(Path.GetTempPath(), "minime-two-instances", Guid.NewGuid().ToString("N"));
    private LoopbackOpenAiServer _model = null!;
    private string _connectionString = "";

    private string Home => Path.Combine(_root, ".minime");

    public async Task InitializeAsync()
    {
        _model = await LoopbackOpenAiServer.StartAsync();
        _model.Responder = request => AgentReplies.AgentOf(request.MessagesText) switch
        {
            AgentNames.Integrator => ScriptedReply.Text(Integration),
            "unknown" => ScriptedReply.Text("Noted."),
            var agent => AgentReplies.For(agent),
        };
        if (postgres.Binaries is not null) _connectionString = await postgres.CreateDatabaseAsync();
    }

    public async Task DisposeAsync()
    {
        await _model.DisposeAsync();
        if (_connectionString.Length > 0) await postgres.DropDatabaseAsync(_connectionString);
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private Dictionary<string, string> Environment() => new()
    {
        ["MINIME_TRUST_FILE"] = Path.Combine(_root, "trust.json"),
        ["MINIME_MEMORY__STORE"] = "postgres",
        ["MINIME_MEMORY__CONNECTIONSTRING"] = _connectionString,
        ["MINIME_EMBEDDINGS__MODEL"] = "none",
        ["MINIME_LLM__PROVIDER"] = "openai",
        ["MINIME_LLM__MODEL"] = "loopback-model",
        ["MINIME_LLM__ENDPOINT"] = _model.BaseUrl.ToString(),
        ["OPENAI_API_KEY"] = "sk-loopback",
        ["MINIME_SERVER__RATELIMITPERMITS"] = "100000",
    };

    [PostgresFact]
    public async Task Two_servers_over_one_database_keep_every_write_once_and_run_every_approval_once()
    {
        var environment = Environment();
        Directory.CreateDirectory(_root);
        await ServeProcess.RunAsync(["init", "--home", Home, "--name", "nima"], environment);
        await File.WriteAllTextAsync(Path.Combine(Home, "allowlist.yaml"), Allowlist);
        Directory.CreateDirectory(Path.Combine(_root, "scripts"));
        await File.WriteAllTextAsync(Path.Combine(_root, "scripts", "mark.sh"), "echo ran >> runs.txt\n");
        await ServeProcess.RunAsync(["trust", "--yes", "--home", Home], environment);
        var key = JsonDocument.Parse(await ServeProcess.RunAsync(["keys", "create", "load", "--json", "--home", Home], environment))
            .RootElement.GetProperty("key").GetString()!;

        await using var first = await ServeProcess.StartServeAsync(Home, environment);
        await using var second = await ServeProcess.StartServeAsync(Home, environment);
        Assert.NotEqual(first.BaseAddress, second.BaseAddress);
        using var a = Client(first.BaseAddress, key);
        using var b = Client(second.BaseAddress, key);
        HttpClient On(int i) => i % 2 == 0 ? a : b;
        try
        {

            // Chats: each conversation starts on one instance and alternates turns between the two, all conversations at once.
            var chats = Enumerable.Range(0, Conversations).Select(async c =>
            {
                string? conversation = null;
                for (var turn = 0; turn < TurnsPerConversation; turn++)
                {
                    var reply = await On(c + turn).PostJsonAsync("/v1/chat", new { message = $"conversation {c} turn {turn}", conversation_id = conversation });
                    conversation = reply.GetProperty("conversation_id").GetString();
                }
                return conversation!;
            }).ToList();

            // Facts: distinct ones spread over both, and the same fact sent to both at the same moment.
            var facts = Enumerable.Range(0, Facts).Select(i =>
                On(i).PostJsonAsync("/v1/memory/facts", new { text = DistinctFact("own", i) })).ToList();
            var shared = Enumerable.Range(0, SharedFacts).SelectMany(i => new[] { a, b }.Select(client =>
                client.PostJsonAsync("/v1/memory/facts", new { text = DistinctFact("shared", i) }))).ToList();

            // Imports: one document per request, spread over both.
            var imports = Enumerable.Range(0, Imports).Select(i => On(i).PostJsonAsync("/v1/memory/import", new
            {
                documents = new[] { new { name = $"note-{i}.md", content = $"# Note {i}\n\nThe load test wrote note {i} about sharding {i * 13}." } },
            })).ToList();

            // Proposals: asked on alternating instances, then each approved on both instances at once.
            var asks = Enumerable.Range(0, Proposals).Select(i =>
                On(i).PostJsonAsync("/v1/ask", new { task = $"Design and implement marker module {i}, refactor the service layer and add integration tests" })).ToList();

            var conversations = await Task.WhenAll(chats);
            await Task.WhenAll(facts);
            await Task.WhenAll(shared);
            await Task.WhenAll(imports);
            await Task.WhenAll(asks);

            var pending = (await a.GetJsonAsync("/v1/proposals?status=pending&limit=100")).EnumerateArray().Select(p => p.GetProperty("id").GetString()!).ToList();
            Assert.Equal(Proposals, pending.Count);
            var decisions = await Task.WhenAll(pending.Select(async id =>
            {
                var both = await Task.WhenAll(a.PostAsJsonAsync($"/v1/proposals/{id}/approve", new { }), b.PostAsJsonAsync($"/v1/proposals/{id}/approve", new { }));
                return both.Select(r => r.StatusCode).OrderBy(s => (int)s).ToArray();
            }));
            foreach (var codes in decisions)
                Assert.Equal([HttpStatusCode.OK, HttpStatusCode.Conflict], codes);

            // Every approved proposal ran exactly once.
            Assert.Equal(Proposals, File.ReadAllLines(Path.Combine(_root, "runs.txt")).Length);
            var approved = (await b.GetJsonAsync("/v1/proposals?status=approved&limit=100")).EnumerateArray().Select(p => p.GetProperty("id").GetString()!);
            Assert.Equal(pending.Order(StringComparer.Ordinal), approved.Order(StringComparer.Ordinal));

            // Every chat turn is stored once, in order, whichever instance took it.
            foreach (var (id, i) in conversations.Select((id, i) => (id, i)))
            {
                var messages = (await On(i + 1).GetJsonAsync($"/v1/conversations/{id}")).GetProperty("messages").EnumerateArray()
                    .Where(m => m.GetProperty("role").GetString() == "user").Select(m => m.GetProperty("content").GetString()).ToList();
                Assert.Equal(Enumerable.Range(0, TurnsPerConversation).Select(t => $"conversation {i} turn {t}"), messages);
            }
            Assert.Equal(Conversations, (await a.GetJsonAsync("/v1/conversations?limit=100")).EnumerateArray().Count());

            // Every fact once; a fact sent to both instances at once is one fact seen twice.
            var stored = (await b.GetJsonAsync("/v1/memory/facts?limit=1000")).EnumerateArray().ToList();
            Assert.Equal(Facts + SharedFacts, stored.Count);
            for (var i = 0; i < Facts; i++)
                Assert.Single(stored, f => f.GetProperty("text").GetString() == DistinctFact("own", i));
            for (var i = 0; i < SharedFacts; i++)
                Assert.Equal(2, Assert.Single(stored, f => f.GetProperty("text").GetString() == DistinctFact("shared", i))
                    .GetProperty("seen_count").GetInt32());

            // Every import once, visible from both.
            var documents = (await a.GetJsonAsync("/v1/documents")).GetProperty("documents").EnumerateArray().Select(d => d.GetProperty("source").GetString()!).ToList();
            Assert.Equal(Imports, documents.Count(s => s.Contains("note-", StringComparison.Ordinal)));
            var hit = (await b.GetJsonAsync("/v1/memory/search?q=sharding&k=20")).GetProperty("hits").EnumerateArray().Count();
            Assert.Equal(Imports, hit);

            // The rows are in PostgreSQL; nothing went to a SQLite file.
            Assert.Empty(Directory.GetFiles(_root, "*.db", SearchOption.AllDirectories));
            await using var connection = new NpgsqlConnection(_connectionString);
            await connection.OpenAsync();
            Assert.Equal(Conversations * TurnsPerConversation * 2, await CountAsync(connection, "minime_server.messages"));
            Assert.Equal(Proposals, await CountAsync(connection, "minime_server.proposals"));
        }
        finally
        {
            // What each server logged (the reason behind a 500, say), shown with a failure.
            output.WriteLine($"first instance:\n{first.Output}\nsecond instance:\n{second.Output}");
        }
    }

    /// <summary>A statement sharing no word with any other (numbers or shared words would make the facts contradict or repeat each other).</summary>
    private static string DistinctFact(string kind, int i) => $"{kind}{i}alpha {kind}{i}bravo {kind}{i}charlie";

    private static HttpClient Client(Uri address, string key)
    {
        var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(2) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    private static async Task<long> CountAsync(NpgsqlConnection connection, string table)
    {
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM {table}", connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }
}
