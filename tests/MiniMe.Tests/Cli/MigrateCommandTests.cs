using System.Text.Json.Nodes;
using MiniMe.Memory;
using MiniMe.Memory.Lexical;
using MiniMe.Memory.Migration;
using MiniMe.Storage.Postgres;
using MiniMe.Storage.Sqlite;
using MiniMe.Tests.Embeddings;
using MiniMe.Tests.Support;
using Npgsql;

namespace MiniMe.Tests.Cli;

/// <summary>`minime migrate --to postgres` end to end: a real workspace with embeddings, a real PostgreSQL server.</summary>
[Trait("Category", "Integration")]
[Collection(PostgresCollection.Name)]
public sealed class MigrateCommandTests(PostgresServerFixture server) : IDisposable
{
    private const string Model = "tiny.onnx";
    private static readonly Bm25Weights Weights = new(2.5, 1.0, 0.7);
    private static readonly string[] Queries = ["quantum physics equations", "cat sat on the mat", "exponential backoff jitter", "HttpRetryClient", "red car park"];

    private readonly TempDirectory _dir = new();

    private string Home => _dir.Combine(".minime");

    public void Dispose() => _dir.Dispose();

    /// <summary>memory.vectorSearch is auto: pgvector where the test server has it (scripts/build-pgvector.sh), else the exact scan.</summary>
    private string ExpectedVectorPath => server.Binaries!.HasPgvector ? "pgvector " : "exact cosine in SQL over float4[]";

    private Task<CliResult> Minime(params string[] args) => CliRunner.RunAsync([.. args, "--home", Home]);

    [PostgresFact]
    public async Task Migration_copies_everything_verifies_it_and_both_stores_answer_alike()
    {
        await CreateWorkspaceAsync();
        var connectionString = await server.CreateDatabaseAsync();

        var first = await Minime("migrate", "--to", "postgres", "--connection-string", connectionString, "--json");
        Assert.True(first.ExitCode == 0, first.Error + first.Out);
        var report = JsonNode.Parse(first.Out)!;
        Assert.True(report["verified"]!.GetValue<bool>());
        Assert.Equal(report["source"]!.ToJsonString(), report["postgres"]!.ToJsonString());
        Assert.Equal(4, report["source"]!["documents"]!.GetValue<long>());
        Assert.True(report["source"]!["embeddings"]!.GetValue<long>() >= 4);
        Assert.StartsWith(ExpectedVectorPath, report["vectorSearch"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain("Password", first.Out + first.Error, StringComparison.OrdinalIgnoreCase);

        // Idempotent: a second run converges on the same memory.
        var second = await Minime("migrate", "--to", "postgres", "--connection-string", connectionString, "--json");
        Assert.True(second.ExitCode == 0, second.Error);
        Assert.Equal(report["postgres"]!.ToJsonString(), JsonNode.Parse(second.Out)!["postgres"]!.ToJsonString());

        await using var sqlite = new SqliteMemoryStore(Path.Combine(Home, "memory.db"), lexicalEngine: SqliteLexicalEngine.Fts5);
        await using var postgres = new PostgresMemoryStore(connectionString, PostgresVectorSearch.Exact);
        await sqlite.InitializeAsync(CancellationToken.None);
        await postgres.InitializeAsync(CancellationToken.None);
        Assert.Equal(await MemoryDigest.ComputeAsync(sqlite, CancellationToken.None), await MemoryDigest.ComputeAsync(postgres, CancellationToken.None));
        Assert.Equal(Stats(await sqlite.GetStatsAsync(CancellationToken.None)), Stats(await postgres.GetStatsAsync(CancellationToken.None)));

        foreach (var query in Queries)
        {
            var match = FtsQueryBuilder.Build(query)!;
            var fromSqlite = await sqlite.SearchLexicalAsync(match, 100, SearchFilter.None, Weights, CancellationToken.None);
            var fromPostgres = await postgres.SearchLexicalAsync(match, 100, SearchFilter.None, Weights, CancellationToken.None);
            Assert.Equal(Keys(fromSqlite).Order(StringComparer.Ordinal), Keys(fromPostgres).Order(StringComparer.Ordinal));
            Assert.Equal(Keys(fromSqlite)[0], Keys(fromPostgres)[0]);
        }
        using var generator = new MiniMe.Embeddings.OnnxEmbeddingGenerator(new MiniMe.Embeddings.OnnxEmbeddingOptions
        {
            ModelPath = _dir.Combine("models", Model),
            VocabPath = _dir.Combine("models", "vocab.txt"),
        });
        foreach (var query in Queries)
        {
            var vector = (await generator.GenerateAsync([query]))[0].Vector;
            var fromSqlite = await sqlite.SearchDenseAsync(generator.ModelId, vector, 20, SearchFilter.None, CancellationToken.None);
            var fromPostgres = await postgres.SearchDenseAsync(generator.ModelId, vector, 20, SearchFilter.None, CancellationToken.None);
            Assert.Equal(fromSqlite.Select(c => c.RawScore).Select(s => Math.Round(s, 4)), fromPostgres.Select(c => c.RawScore).Select(s => Math.Round(s, 4)));
            Assert.Equal(Keys(fromSqlite)[0], Keys(fromPostgres)[0]);
        }
    }

    [PostgresFact]
    public async Task The_cli_searches_postgres_when_configured_and_finds_what_sqlite_found()
    {
        await CreateWorkspaceAsync();
        var before = new Dictionary<string, string>();
        foreach (var query in Queries) before[query] = TopSource(await Minime("search", query, "--json", "-k", "3"));

        var connectionString = await server.CreateDatabaseAsync();
        Assert.Equal(0, (await Minime("migrate", "--to", "postgres", "--connection-string", connectionString)).ExitCode);
        WriteConfig(store: "postgres", connectionString);
        foreach (var query in Queries)
            Assert.Equal(before[query], TopSource(await Minime("search", query, "--json", "-k", "3")));
        Assert.Equal(0, (await Minime("import", _dir.Combine("notes"))).ExitCode);
    }

    [PostgresFact]
    public async Task Human_output_shows_counts_checksums_and_the_vector_path()
    {
        await CreateWorkspaceAsync();
        var connectionString = await server.CreateDatabaseAsync();
        var result = await Minime("migrate", "--to", "postgres", "--connection-string", connectionString);
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("Vector search on PostgreSQL: " + ExpectedVectorPath, result.Out, StringComparison.Ordinal);
        Assert.Matches(@"documents\s*│\s*4\s*│\s*4\s*│\s*[0-9a-f]{64}\s*│\s*ok", result.Out);
        Assert.Contains("Verified", result.Out, StringComparison.Ordinal);
        Assert.Contains("documents: 4/4", result.Error, StringComparison.Ordinal);
    }

    [PostgresFact]
    public async Task Facts_move_after_the_documents_and_the_report_verifies_them_too()
    {
        await CreateWorkspaceAsync();
        Assert.Equal(0, (await Minime("remember", "lives in Oslo")).ExitCode);
        Assert.Equal(0, (await Minime("remember", "lives in Bergen")).ExitCode);
        Assert.Equal(0, (await Minime("remember", "prefers dark mode")).ExitCode);
        var connectionString = await server.CreateDatabaseAsync();

        var json = await Minime("migrate", "--to", "postgres", "--connection-string", connectionString, "--json");
        Assert.True(json.ExitCode == 0, json.Error + json.Out);
        var facts = JsonNode.Parse(json.Out)!["facts"]!;
        Assert.True(facts["verified"]!.GetValue<bool>());
        Assert.Equal(facts["source"]!.ToJsonString(), facts["postgres"]!.ToJsonString());
        Assert.Equal(3, facts["source"]!["facts"]!.GetValue<long>());
        Assert.Equal(4, facts["source"]!["history"]!.GetValue<long>());
        Assert.True(facts["source"]!["vectors"]!.GetValue<long>() >= 1);

        var human = await Minime("migrate", "--to", "postgres", "--connection-string", connectionString);
        Assert.True(human.ExitCode == 0, human.Error);
        Assert.Matches(@"facts\s*│\s*3\s*│\s*3\s*│\s*[0-9a-f]{64}\s*│\s*ok", human.Out);
        Assert.Matches(@"fact history\s*│\s*4\s*│\s*4\s*│", human.Out);

        // With memory.store: postgres the same facts answer from PostgreSQL.
        WriteConfig(store: "postgres", connectionString);
        var list = JsonNode.Parse((await Minime("facts", "list", "--all", "--json")).Out)!.AsArray();
        Assert.Equal(["prefers dark mode", "lives in Bergen", "lives in Oslo"], list.Select(f => f!["text"]!.GetValue<string>()));
    }

    [PostgresFact]
    public async Task The_evidence_graph_moves_with_chunks_found_again_and_why_answers_from_postgres()
    {
        await CreateWorkspaceAsync();
        Assert.Equal(0, (await Minime("remember", "prefers exponential backoff with jitter")).ExitCode);
        var ask = await Minime("ask", "--dry-run", "use exponential backoff with jitter for HTTP retries");
        Assert.True(ask.ExitCode == 0, ask.Error);
        var run = JsonNode.Parse((await Minime("runs", "--json")).Out)!.AsArray()[0]!["run_id"]!.GetValue<string>();
        var before = JsonNode.Parse((await Minime("why", run, "--json")).Out)!;
        var sqliteOrigins = before["origins"]!.AsArray().Select(o => (o!["kind"]!.GetValue<string>(), o["label"]?.GetValue<string>())).Order().ToList();
        Assert.Contains(sqliteOrigins, o => o.Item1 == "chunk");
        var connectionString = await server.CreateDatabaseAsync();

        var json = await Minime("migrate", "--to", "postgres", "--connection-string", connectionString, "--json");
        Assert.True(json.ExitCode == 0, json.Error + json.Out);
        var evidence = JsonNode.Parse(json.Out)!["evidence"]!;
        Assert.True(evidence["verified"]!.GetValue<bool>());
        Assert.Equal(evidence["source"]!.ToJsonString(), evidence["postgres"]!.ToJsonString());
        Assert.True(evidence["source"]!["edges"]!.GetValue<long>() >= 2);

        // The same tree from PostgreSQL, chunk ids aside: the same kinds and labels.
        WriteConfig(store: "postgres", connectionString);
        var after = JsonNode.Parse((await Minime("why", run, "--json")).Out)!;
        Assert.Equal(sqliteOrigins, after["origins"]!.AsArray().Select(o => (o!["kind"]!.GetValue<string>(), o["label"]?.GetValue<string>())).Order().ToList());
    }

    [PostgresFact]
    public async Task Keys_conversations_proposals_and_with_traces_the_runs_move_too_and_answer_from_postgres()
    {
        await CreateWorkspaceAsync();
        var key = JsonNode.Parse((await Minime("keys", "create", "laptop", "--json")).Out)!["key"]!.GetValue<string>();
        var ask = await Minime("ask", "--dry-run", "Add retries to the HTTP client");
        Assert.True(ask.ExitCode == 0, ask.Error);
        var runId = System.Text.RegularExpressions.Regex.Match(ask.Out, @"run_id: (\S+)").Groups[1].Value;
        var connectionString = await server.CreateDatabaseAsync();

        var json = await Minime("migrate", "--to", "postgres", "--connection-string", connectionString, "--traces", "--json");
        Assert.True(json.ExitCode == 0, json.Error + json.Out);
        var report = JsonNode.Parse(json.Out)!;
        Assert.True(report["verified"]!.GetValue<bool>());
        var tables = report["server"]!["tables"]!.AsArray().ToDictionary(t => t!["table"]!.GetValue<string>(), t => t!);
        Assert.Equal(1, tables["api_keys"]["postgres"]!.GetValue<long>());
        Assert.Equal(tables["api_keys"]["sourceSha256"]!.GetValue<string>(), tables["api_keys"]["postgresSha256"]!.GetValue<string>());
        Assert.Equal(1, report["traces"]!["postgres"]!["runs"]!.GetValue<long>());
        Assert.Equal(report["traces"]!["source"]!.ToJsonString(), report["traces"]!["postgres"]!.ToJsonString());

        // A re-run converges (every run replaced, not appended twice).
        var again = JsonNode.Parse((await Minime("migrate", "--to", "postgres", "--connection-string", connectionString, "--traces", "--json")).Out)!;
        Assert.Equal(report["traces"]!["postgres"]!.ToJsonString(), again["traces"]!["postgres"]!.ToJsonString());

        // Switched over, the key and the run answer from PostgreSQL.
        WriteConfig(store: "postgres", connectionString);
        var config = File.ReadAllText(Path.Combine(Home, "config.yaml")).Replace("  path: memory.db\n", "  path: memory.db\n  traces: postgres\n", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(Home, "config.yaml"), config);
        File.Delete(Path.Combine(Home, "server.db"));
        Directory.Delete(Path.Combine(Home, "traces"), recursive: true);
        var keys = await Minime("keys", "list", "--json");
        Assert.True(keys.ExitCode == 0, keys.Error);
        Assert.Contains("laptop", keys.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(key, keys.Out, StringComparison.Ordinal);
        var runs = await Minime("runs", "--json");
        Assert.True(runs.ExitCode == 0, runs.Error);
        Assert.Equal(runId, JsonNode.Parse(runs.Out)!.AsArray()[0]!["run_id"]!.GetValue<string>());
    }

    [PostgresFact]
    public async Task A_target_holding_other_documents_is_refused_before_anything_is_written()
    {
        await CreateWorkspaceAsync();
        var connectionString = await server.CreateDatabaseAsync();
        await using (var postgres = new PostgresMemoryStore(connectionString))
        {
            await postgres.InitializeAsync(CancellationToken.None);
            await postgres.WriteDocumentsAsync([new DocumentWrite(new DocumentRecord("/elsewhere.md", "h", 1, DateTimeOffset.UtcNow, "general", []), [])], CancellationToken.None);
        }
        var result = await Minime("migrate", "--to", "postgres", "--connection-string", connectionString);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("/elsewhere.md", result.Error, StringComparison.Ordinal);
        await using var check = new NpgsqlConnection(connectionString);
        await check.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM documents", check);
        Assert.Equal(1L, await count.ExecuteScalarAsync());
    }

    [PostgresFact]
    public async Task A_changed_row_in_postgres_changes_its_checksum()
    {
        await CreateWorkspaceAsync();
        var connectionString = await server.CreateDatabaseAsync();
        Assert.Equal(0, (await Minime("migrate", "--to", "postgres", "--connection-string", connectionString)).ExitCode);
        await using var postgres = new PostgresMemoryStore(connectionString);
        await postgres.InitializeAsync(CancellationToken.None);
        var before = await MemoryDigest.ComputeAsync(postgres, CancellationToken.None);
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var tamper = new NpgsqlCommand("UPDATE chunks SET reuse_count = reuse_count + 1 WHERE id = (SELECT min(id) FROM chunks)", connection);
            await tamper.ExecuteNonQueryAsync();
        }
        var after = await MemoryDigest.ComputeAsync(postgres, CancellationToken.None);
        Assert.Equal(before.Chunks, after.Chunks);
        Assert.NotEqual(before.ChunksSha256, after.ChunksSha256);
        Assert.Equal(before.DocumentsSha256, after.DocumentsSha256);
    }

    [Fact]
    public async Task Without_a_connection_string_migrate_says_how_to_give_one()
    {
        Assert.Equal(0, (await Minime("init")).ExitCode);
        var result = await Minime("migrate", "--to", "postgres");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--connection-string", result.Error, StringComparison.Ordinal);
        Assert.Contains("MINIME_MEMORY__CONNECTIONSTRING", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_target_is_a_usage_error()
    {
        Assert.Equal(0, (await Minime("init")).ExitCode);
        Assert.Equal(2, (await Minime("migrate", "--to", "mysql", "--connection-string", "Host=x")).ExitCode);
    }

    [Fact]
    public async Task An_unreachable_server_is_a_one_line_error_without_the_password()
    {
        Assert.Equal(0, (await Minime("init")).ExitCode);
        var result = await Minime("migrate", "--to", "postgres", "--connection-string", "Host=127.0.0.1;Port=1;Database=mem;Username=ada;Password=hunter2-secret;Timeout=5");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("host=127.0.0.1 port=1 database=mem user=ada", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", result.Error + result.Out, StringComparison.Ordinal);
        Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task A_postgres_store_without_a_connection_string_is_a_config_error()
    {
        Assert.Equal(0, (await Minime("init")).ExitCode);
        WriteConfig(store: "postgres", connectionString: null);
        var result = await Minime("search", "anything");
        Assert.Equal(2, result.ExitCode); // a setting that does not fit, like an unknown one: fix config.yaml
        Assert.Contains("memory.connectionString is not set", result.Error, StringComparison.Ordinal);
    }

    /// <summary>A workspace with four documents imported into SQLite, embedded by a tiny ONNX model, and some reuse counts.</summary>
    private async Task CreateWorkspaceAsync()
    {
        Assert.Equal(0, (await Minime("init", "--name", "Ada")).ExitCode);
        Directory.CreateDirectory(_dir.Combine("models"));
        TinyOnnxModelWriter.WriteModel(_dir.Combine("models", Model), 24, pooled: true);
        TinyOnnxModelWriter.WriteVocab(_dir.Combine("models", "vocab.txt"));
        WriteConfig(store: "sqlite", connectionString: null);
        _dir.Write("notes/physics.md", "# Quantum\n\nquantum physics equations are hard to solve.\n\n## Reading\n\nread the book on quantum physics.");
        _dir.Write("notes/pets.md", "# Pets\n\nthe cat sat on the mat. the dog ran in the park.");
        _dir.Write("notes/retry.md", "# Retries\n\nUse exponential backoff with jitter for HTTP retries.\n\n## Cars\n\nthe red car is in the park.");
        _dir.Write("notes/Client.cs", "public sealed class HttpRetryClient { public int MaxAttempts => 5; } // write code, play");
        var import = await Minime("import", _dir.Combine("notes"), "--tags", "team,notes");
        Assert.True(import.ExitCode == 0, import.Error);
        Assert.Matches(@"Embedded \d+ chunk texts with ", import.Out);

        await using var sqlite = new SqliteMemoryStore(Path.Combine(Home, "memory.db"));
        var hits = await sqlite.SearchLexicalAsync("\"quantum\"", 10, SearchFilter.None, Weights, CancellationToken.None);
        await sqlite.IncrementReuseAsync([hits[0].Chunk.Id, hits[0].Chunk.Id], CancellationToken.None);
    }

    private void WriteConfig(string store, string? connectionString) => File.WriteAllText(Path.Combine(Home, "config.yaml"), $"""
        memory:
          store: {store}
          path: memory.db
        {(connectionString is null ? "" : $"  connectionString: \"{connectionString}\"")}
        embeddings:
          provider: onnx
          modelPath: {_dir.Combine("models", Model)}
          vocabPath: {_dir.Combine("models", "vocab.txt")}
        """ + "\n");

    private static string TopSource(CliResult result)
    {
        Assert.True(result.ExitCode == 0, result.Error);
        return JsonNode.Parse(result.Out)!.AsArray()[0]!["source"]!.GetValue<string>();
    }

    private static List<string> Keys(IReadOnlyList<Candidate> candidates) =>
        candidates.Select(c => $"{c.Chunk.Source}@{c.Chunk.StartOffset}").ToList();

    private static string Stats(MemoryStats s) =>
        $"{s.Documents}/{s.Chunks}/{s.Embeddings}/{string.Join(",", s.ChunksByDomain.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"))}";
}
