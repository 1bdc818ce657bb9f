using System.Text.Json.Nodes;
using MiniMe.Tests.Support;
using MiniMe.Tracing;

namespace MiniMe.Tests.Cli;

/// <summary>The real CLI, in-process, on a temporary workspace.</summary>
public sealed class CliCommandTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    private string Home => _dir.Combine(".minime");

    public void Dispose() => _dir.Dispose();

    private Task<CliResult> Minime(params string[] args) => CliRunner.RunAsync([.. args, "--home", Home]);

    private async Task InitAndImportAsync()
    {
        Assert.Equal(0, (await Minime("init", "--name", "Ada")).ExitCode);
        _dir.Write("notes/retry.md", "# Retries\n\nUse exponential backoff with jitter for HTTP retries.\n\n## Limits\n\nCap attempts at five.");
        _dir.Write("notes/db.md", "# Database\n\nPrefer migrations that are backward compatible.");
        _dir.Write("notes/Client.cs", "public sealed class HttpRetryClient { public int MaxAttempts => 5; }");
        var import = await Minime("import", _dir.Combine("notes"), "--tags", "team,notes");
        Assert.Equal(0, import.ExitCode);
    }

    [Fact]
    public async Task Init_creates_the_workspace_files_and_refuses_to_overwrite()
    {
        var first = await Minime("init", "--name", "Ada");
        Assert.Equal(0, first.ExitCode);
        foreach (var file in new[] { "config.yaml", "identity.yaml", "allowlist.yaml", "memory.db" })
            Assert.True(File.Exists(Path.Combine(Home, file)), file);
        Assert.True(Directory.Exists(Path.Combine(Home, "traces")));

        var second = await Minime("init");
        Assert.Equal(1, second.ExitCode);
        Assert.Contains("--force", second.Error, StringComparison.Ordinal);
        Assert.Equal(0, (await Minime("init", "--force")).ExitCode);
    }

    [Fact]
    public async Task Runs_and_trace_open_no_database_no_model_and_no_provider()
    {
        Assert.Equal(0, (await Minime("init", "--name", "Ada")).ExitCode);
        Assert.Equal(0, (await Minime("ask", "--dry-run", "plan the retry policy")).ExitCode);
        File.Delete(Path.Combine(Home, "memory.db"));
        // A model file that does not exist and a provider with nothing to connect to: either would fail if touched.
        var config = Path.Combine(Home, "config.yaml");
        var text = File.ReadAllText(config)
            .Replace("model: minilm          #", "model: file\n  modelPath: models/missing.onnx\n  vocabPath: models/missing.txt #", StringComparison.Ordinal)
            .Replace("provider: none         # none (dry runs only)", "provider: openai\n  endpoint: http://127.0.0.1:1/v1 # none (dry runs only)", StringComparison.Ordinal);
        File.WriteAllText(config, text);

        var runs = await Minime("runs");
        var runId = System.Text.RegularExpressions.Regex.Match(runs.Out, @"\d{8}-\d{6}-[0-9a-f]{6}").Value;
        var trace = await Minime("trace", runId);

        Assert.Equal(0, runs.ExitCode);
        Assert.Equal(0, trace.ExitCode);
        Assert.False(File.Exists(Path.Combine(Home, "memory.db")), "a command that only reads traces opened the memory");
        var search = await Minime("search", "retry");
        Assert.Equal(1, search.ExitCode);   // the model is loaded when it is needed, and its absence is reported then
        Assert.Contains("missing.onnx", search.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Commands_without_a_workspace_say_to_run_init()
    {
        var result = await Minime("search", "anything");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("minime init", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Import_prints_a_summary_and_reimport_adds_nothing()
    {
        await InitAndImportAsync();
        var again = await Minime("import", _dir.Combine("notes"));
        Assert.Equal(0, again.ExitCode);
        Assert.Matches(@"0 chunks added", again.Out);
    }

    [Fact]
    public async Task Import_skips_secrets_and_gitignored_files_says_so_and_lists_them_with_verbose()
    {
        Assert.Equal(0, (await Minime("init", "--name", "Ada")).ExitCode);
        _dir.Write("proj/.gitignore", "*.log\n");
        _dir.Write("proj/.env", "OPENAI_API_KEY=sk-proj-AbC123dEf456GhI789jKl012MnO345pQr678\n");
        _dir.Write("proj/id_rsa", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE\n-----END OPENSSH PRIVATE KEY-----\n");
        _dir.Write("proj/debug.log", "debuglogline");
        _dir.Write("proj/notes.md", "# Notes\n\nStaging password=Sup3rS3cretPw for the staging database.");

        // The console wraps long lines at word boundaries; read them as one.
        static string Flat(string output) => System.Text.RegularExpressions.Regex.Replace(output, @"\s+", " ");
        var quiet = await Minime("import", _dir.Combine("proj"));
        Assert.Equal(0, quiet.ExitCode);
        Assert.Contains("2 secret files, 1 file ignored by .gitignore", Flat(quiet.Out), StringComparison.Ordinal);
        Assert.Contains("secrets masked in 1 file", Flat(quiet.Out), StringComparison.Ordinal);
        Assert.Contains("--verbose lists them", Flat(quiet.Out), StringComparison.Ordinal);
        Assert.DoesNotContain(".env", quiet.Out, StringComparison.Ordinal);

        var verbose = Flat((await Minime("import", _dir.Combine("proj"), "--verbose")).Out);
        Assert.Matches(@"skipped \S*\.env: secret file \(matches \*\*/\.env\)", verbose);
        Assert.Matches(@"skipped \S*id_rsa: secret file", verbose);
        Assert.Matches(@"skipped \S*debug\.log: ignored by \*\.log \(\S*\.gitignore:1\)", verbose);

        var hits = (JsonArray)JsonNode.Parse((await Minime("search", "staging database", "--json")).Out)!;
        var text = Assert.Single(hits)!["text"]!.GetValue<string>();
        Assert.Contains("password=[REDACTED]", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Sup3rS3cretPw", (await Minime("search", "Sup3rS3cretPw", "--json")).Out, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-proj", (await Minime("search", "OPENAI_API_KEY", "--json")).Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Import_of_a_missing_path_fails_with_one_line()
    {
        await Minime("init");
        var result = await Minime("import", _dir.Combine("missing"));
        Assert.Equal(1, result.ExitCode);
        Assert.Single(result.Error.Trim().Split('\n'));
    }

    [Fact]
    public async Task Search_json_has_the_documented_fields()
    {
        await InitAndImportAsync();
        var result = await Minime("search", "retry backoff", "--json", "-k", "2");
        Assert.Equal(0, result.ExitCode);
        var hits = Assert.IsType<JsonArray>(JsonNode.Parse(result.Out));
        Assert.InRange(hits.Count, 1, 2);
        var first = hits[0]!.AsObject();
        foreach (var field in new[] { "id", "source", "score", "text", "domain", "start", "end" })
            Assert.True(first.ContainsKey(field), field);
        Assert.EndsWith("retry.md", first["source"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Search_finds_code_by_the_words_of_an_identifier()
    {
        await InitAndImportAsync();
        var result = await Minime("search", "retry client", "--json");
        var sources = JsonNode.Parse(result.Out)!.AsArray().Select(h => h!["source"]!.GetValue<string>()).ToList();
        Assert.Contains(sources, s => s.EndsWith("Client.cs", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Search_table_shows_source_offsets_and_score()
    {
        await InitAndImportAsync();
        var result = await Minime("search", "migrations");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("db.md", result.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("?!")]
    public async Task Empty_query_is_a_usage_error(string query)
    {
        await InitAndImportAsync();
        var result = await Minime("search", query);
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error:", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_option_is_a_usage_error_with_a_help_pointer()
    {
        await InitAndImportAsync();
        var result = await Minime("search", "retry", "--bogus");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--help", result.Error, StringComparison.Ordinal);
        // After `--` the same token is text.
        Assert.Equal(0, (await Minime("search", "--home", Home, "--", "retry", "--bogus")).ExitCode);
    }

    [Fact]
    public async Task Ask_with_no_searchable_words_still_runs_with_nothing_retrieved()
    {
        await InitAndImportAsync();
        var result = await Minime("ask", "x y z", "--dry-run");
        Assert.Equal(0, result.ExitCode);
        Assert.NotEmpty(RunIdFrom(result.Out));
    }

    [Fact]
    public async Task Ask_dry_run_prints_the_plan_and_writes_a_trace_with_every_step()
    {
        await InitAndImportAsync();
        var result = await Minime("ask", "add retries with backoff to the HTTP client", "--dry-run");
        Assert.Equal(0, result.ExitCode);
        var runId = RunIdFrom(result.Out);
        var events = new TraceStore(Path.Combine(Home, "traces")).Read(runId).Select(e => e.EventType).ToList();
        Assert.Equal([TraceEventTypes.TaskStart, TraceEventTypes.MaskGeneration, TraceEventTypes.Retrieval, TraceEventTypes.ContextAssembly, TraceEventTypes.RunEnd], events);
        Assert.Contains("retry.md", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ask_without_a_provider_explains_and_does_a_dry_run()
    {
        await InitAndImportAsync();
        var result = await Minime("ask", "design a cache for the API");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("llm.provider", result.Error, StringComparison.Ordinal);
        Assert.NotEmpty(RunIdFrom(result.Out));
    }

    [Fact]
    public async Task Remembered_facts_relevant_to_the_task_join_the_context_and_the_trace()
    {
        await InitAndImportAsync();
        Assert.Equal(0, (await Minime("remember", "I always use PostgreSQL for relational data", "--category", "preference")).ExitCode);
        Assert.Equal(0, (await Minime("remember", "My cat is called Miso")).ExitCode);
        var result = await Minime("ask", "design the relational schema in PostgreSQL for orders", "--dry-run");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("fact:", result.Out, StringComparison.Ordinal);
        var retrieval = new TraceStore(Path.Combine(Home, "traces")).Read(RunIdFrom(result.Out)).Single(e => e.EventType == TraceEventTypes.Retrieval);
        var facts = retrieval.Data["facts"]!.AsArray();
        Assert.Single(facts);
        Assert.Equal("preference", facts[0]!["category"]!.GetValue<string>());
    }

    [Fact]
    public async Task Runs_trace_and_feedback_work_on_a_recorded_run()
    {
        await InitAndImportAsync();
        var runId = RunIdFrom((await Minime("ask", "write a migration", "--dry-run")).Out);

        var runs = await Minime("runs", "--json");
        Assert.Equal(0, runs.ExitCode);
        Assert.Contains(JsonNode.Parse(runs.Out)!.AsArray(), r => r!["run_id"]!.GetValue<string>() == runId);

        var trace = await Minime("trace", runId, "--json");
        Assert.Equal(0, trace.ExitCode);
        var lines = trace.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, lines.Length);
        Assert.All(lines, line => Assert.NotNull(JsonNode.Parse(line)!["event_type"]));

        var feedback = await Minime("feedback", runId, "--delta", "{\"rigor\": 0.2}", "--correction", "smaller steps");
        Assert.Equal(0, feedback.ExitCode);
        Assert.Contains("smaller steps", File.ReadAllText(Path.Combine(Home, "feedback.jsonl")), StringComparison.Ordinal);
        Assert.Equal(TraceEventTypes.Feedback, new TraceStore(Path.Combine(Home, "traces")).Read(runId)[^1].EventType);
    }

    [Fact]
    public async Task Feedback_with_malformed_json_is_a_usage_error_and_stores_nothing()
    {
        await InitAndImportAsync();
        var runId = RunIdFrom((await Minime("ask", "x y z", "--dry-run")).Out);
        var result = await Minime("feedback", runId, "--delta", "{rigor: ");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("not valid JSON", result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(Home, "feedback.jsonl")));
    }

    [Theory]
    [InlineData("no-such-run", 1)]
    [InlineData("../../etc/passwd", 2)]
    public async Task Trace_of_an_unknown_or_hostile_run_id_fails_cleanly(string runId, int exitCode)
    {
        await Minime("init");
        var result = await Minime("trace", runId);
        Assert.Equal(exitCode, result.ExitCode);
        Assert.StartsWith("error:", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Malformed_config_yaml_is_reported_with_line_and_column()
    {
        await Minime("init");
        File.WriteAllText(Path.Combine(Home, "config.yaml"), "user:\n  name: [Ada\n");
        var result = await Minime("search", "x");
        Assert.Equal(1, result.ExitCode);
        Assert.Matches(@"config\.yaml:\d+:\d+: invalid YAML", result.Error);
        Assert.Single(result.Error.Trim().Split('\n'));
    }

    [Fact]
    public async Task Config_show_and_path()
    {
        await Minime("init", "--name", "Ada");
        var path = await Minime("config", "path");
        Assert.Equal(Path.Combine(Home, "config.yaml"), path.Out.Trim());
        var show = await Minime("config", "show");
        Assert.Equal(0, show.ExitCode);
        Assert.Contains("Ada", show.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_command_has_help()
    {
        foreach (var command in new[] { "init", "import", "search", "ask", "runs", "trace", "feedback", "config" })
        {
            var result = await CliRunner.RunAsync(command, "--help");
            Assert.Equal(0, result.ExitCode);
            Assert.Contains("Usage", result.Out, StringComparison.OrdinalIgnoreCase);
        }
    }

    private static string RunIdFrom(string output)
    {
        var match = System.Text.RegularExpressions.Regex.Match(output, @"\b(\d{8}-\d{6}[A-Za-z0-9_-]*)\b");
        Assert.True(match.Success, "no run id in output:\n" + output);
        return match.Groups[1].Value;
    }
}
