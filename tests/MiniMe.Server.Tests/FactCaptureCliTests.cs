using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MiniMe.Cli;
using MiniMe.Cli.Hosting;
using MiniMe.Memory.Facts.Capture;
using MiniMe.Testing;
using MiniMe.Tracing;
using Spectre.Console;

namespace MiniMe.Server.Tests;

/// <summary>
/// Fact capture (facts.capture) end to end: the real command line over a workspace whose model is the loopback
/// OpenAI-compatible server; the chat answer and the extraction answer are scripted in the order they are asked.
/// </summary>
[Trait("Category", "Integration")]
public sealed partial class FactCaptureCliTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("minime-capture-cli-").FullName;
    private LoopbackOpenAiServer _model = null!;

    private string Home => Path.Combine(_root, ".minime");
    private string TrustFile => Path.Combine(_root, "trust.json");

    public async Task InitializeAsync() => _model = await LoopbackOpenAiServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _model.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private sealed record Run(int Code, string Out, string Error);

    private async Task<Run> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Interactive = InteractionSupport.No, Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = 200;
        var code = await CliApp.RunAsync([.. args, "--home", Home], new CliContext(console, error, interactive: false, trustFile: TrustFile));
        return new Run(code, output.ToString(), error.ToString());
    }

    /// <summary>init; facts.capture as given (null: the default); the loopback model unless <paramref name="withModel"/> is false.</summary>
    private async Task InitAsync(string? capture, bool withModel = true)
    {
        var init = await RunAsync("init", "--name", "nima");
        Assert.True(init.Code == 0, init.Error);
        var config = Path.Combine(Home, "config.yaml");
        var text = File.ReadAllText(config)
            .Replace("  model: minilm          #", "  model: none          #", StringComparison.Ordinal)
            .Replace("  maxRetries: 3 ", "  maxRetries: 0 ", StringComparison.Ordinal);
        if (withModel)
            text = text.Replace("  provider: none         # none (dry runs only)",
                "  provider: openai\n  endpoint: " + _model.BaseUrl + "\n  model: loopback-model\n  apiKeyVariable: MINIME_TEST_UNSET_KEY\n  # none (dry runs only)", StringComparison.Ordinal);
        if (capture is not null)
        {
            Assert.Contains("  capture: off ", text, StringComparison.Ordinal);
            text = text.Replace("  capture: off ", $"  capture: {capture} ", StringComparison.Ordinal);
        }
        File.WriteAllText(config, text);
    }

    private static ScriptedReply Extraction(params object[] facts) =>
        ScriptedReply.Text(new JsonObject { ["facts"] = new JsonArray([.. facts.Select(f => JsonSerializer.SerializeToNode(f))]) }.ToJsonString());

    private static object Fact(string text, double confidence = 0.9, bool isExplicit = true, string? evidence = null, string category = "preferences", double decision = 0.2) =>
        new Dictionary<string, object?>
        {
            ["text"] = text, ["category"] = category, ["confidence"] = confidence, ["explicit"] = isExplicit,
            ["decision_weight"] = decision, ["emotional_weight"] = 0.0, ["evidence"] = evidence,
        };

    private static JsonElement Json(Run run)
    {
        Assert.True(run.Code == 0, run.Out + run.Error);
        return JsonDocument.Parse(run.Out).RootElement;
    }

    /// <summary>The conversation and run ids the chat prints on stderr.</summary>
    private static (string Conversation, string Run) Ids(Run chat)
    {
        var match = ChatIds().Match(chat.Error);
        Assert.True(match.Success, chat.Error);
        return (match.Groups[1].Value, match.Groups[2].Value);
    }

    [GeneratedRegex(@"conversation (\S+) · run (\S+)")]
    private static partial Regex ChatIds();

    private IReadOnlyList<TraceEvent> Trace(string runId) => new TraceStore(Path.Combine(Home, "traces")).Read(runId);

    [Fact]
    public async Task A_fact_said_in_chat_is_stored_with_provenance_and_importance_and_reaches_the_next_turn()
    {
        await InitAsync("auto");
        _model.Enqueue(ScriptedReply.Text("Noted: tabs."), Extraction(Fact("prefers tabs over spaces", evidence: "I prefer tabs over spaces")));

        var chat = await RunAsync("chat", "Remember that I prefer tabs over spaces.");

        Assert.True(chat.Code == 0, chat.Error);
        Assert.Equal("Noted: tabs.\n", chat.Out);
        var (conversation, run) = Ids(chat);
        var fact = Assert.Single(Json(await RunAsync("facts", "--json")).EnumerateArray());
        Assert.Equal("prefers tabs over spaces", fact.GetProperty("text").GetString());
        Assert.Equal("conversation", fact.GetProperty("source").GetString());
        Assert.Equal("preferences", fact.GetProperty("category").GetString());
        // Nothing known (novelty 1), explicit self-statement flagged by the model (1), neutral tense (0.7), decision 0.2:
        // 0.35 + 0.25 + 0.15 * 0.7 + 0.25 * 0.2.
        Assert.Equal(0.755, fact.GetProperty("importance").GetDouble(), 3);
        var origin = fact.GetProperty("origin");
        Assert.Equal("conversation", origin.GetProperty("kind").GetString());
        Assert.Equal(conversation, origin.GetProperty("id").GetString());
        Assert.Equal(run, origin.GetProperty("run_id").GetString());
        await using (var engine = Engine.Open(Home))
        {
            var said = engine.Service<MiniMe.Server.Conversations.ConversationStore>().After(engine.Owner.UserId, conversation, 0)
                .Single(m => m.Role == "user");
            Assert.Equal(said.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), origin.GetProperty("message_id").GetString());
        }
        var history = await RunAsync("facts", "history", fact.GetProperty("id").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains($"captured from conversation {conversation} message", history.Out, StringComparison.Ordinal);
        Assert.Contains("importance 0.76", history.Out, StringComparison.Ordinal);

        // The extraction was the turn's second model call, traced under the turn's run, with both in the totals.
        var extraction = _model.ChatRequests[1];
        Assert.Contains("You find durable facts about the user", extraction.MessagesText, StringComparison.Ordinal);
        Assert.Contains("Remember that I prefer tabs over spaces.", extraction.MessagesText, StringComparison.Ordinal);
        var trace = Trace(run);
        Assert.Equal(["chat", FactExtractor.AgentName], trace.Where(e => e.EventType == TraceEventTypes.AgentCall).Select(e => e.Data["agent"]!.GetValue<string>()));
        var captured = trace.Single(e => e.EventType == TraceEventTypes.FactCapture).Data;
        Assert.Equal("added", captured["facts"]![0]!["outcome"]!.GetValue<string>());
        Assert.Equal(TraceEventTypes.RunEnd, trace[^1].EventType);
        Assert.Equal(2, trace[^1].Data["model_calls"]!.GetValue<int>());

        // The next turn's context carries the fact.
        _model.Enqueue(ScriptedReply.Text("Tabs, as you prefer."), Extraction());
        var next = await RunAsync("chat", "--conversation", conversation, "Should I indent with tabs or spaces?");
        Assert.True(next.Code == 0, next.Error);
        Assert.Contains("Known about the user (preferences): prefers tabs over spaces", _model.ChatRequests[2].MessagesText, StringComparison.Ordinal);
        Assert.Single(Json(await RunAsync("facts", "--json")).EnumerateArray());
    }

    [Fact]
    public async Task A_repeated_fact_reinforces_and_a_contradicting_one_supersedes_it()
    {
        await InitAsync("auto");
        _model.Enqueue(ScriptedReply.Text("Lyon, nice."), Extraction(Fact("lives in Lyon", category: "personal")));
        var first = await RunAsync("chat", "I live in Lyon.");
        Assert.True(first.Code == 0, first.Error);
        _model.Enqueue(ScriptedReply.Text("Yes, Lyon."), Extraction(Fact("lives in Lyon", category: "personal")));
        var again = await RunAsync("chat", "As I said, I live in Lyon.");
        var (conversation, _) = Ids(again);

        var known = Assert.Single(Json(await RunAsync("facts", "--json")).EnumerateArray());
        Assert.Equal("lives in Lyon", known.GetProperty("text").GetString());
        Assert.Equal(2, known.GetProperty("seen_count").GetInt32());
        var id = known.GetProperty("id").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var history = Json(await RunAsync("facts", "history", id, "--json")).GetProperty("history");
        var reinforced = history.EnumerateArray().Single(e => e.GetProperty("change").GetString() == "reinforced");
        Assert.StartsWith($"seen again in conversation {conversation} message", reinforced.GetProperty("detail").GetString(), StringComparison.Ordinal);

        _model.Enqueue(ScriptedReply.Text("Paris then."), Extraction(Fact("lives in Paris", category: "personal")));
        var moved = await RunAsync("chat", "I moved: I live in Paris now.");
        Assert.True(moved.Code == 0, moved.Error);

        var active = Assert.Single(Json(await RunAsync("facts", "--json")).EnumerateArray());
        Assert.Equal("lives in Paris", active.GetProperty("text").GetString());
        var all = Json(await RunAsync("facts", "--all", "--json")).EnumerateArray().ToList();
        var old = all.Single(f => f.GetProperty("text").GetString() == "lives in Lyon");
        Assert.Equal("superseded", old.GetProperty("status").GetString());
        Assert.Equal(active.GetProperty("id").GetInt64(), old.GetProperty("superseded_by").GetInt64());
    }

    [Fact]
    public async Task Review_mode_queues_every_captured_fact_and_auto_mode_queues_the_unsure_ones()
    {
        await InitAsync("review");
        _model.Enqueue(ScriptedReply.Text("Okay."), Extraction(Fact("drinks tea every morning", category: "habits")));
        var chat = await RunAsync("chat", "I drink tea every morning.");
        Assert.True(chat.Code == 0, chat.Error);

        Assert.Empty(Json(await RunAsync("facts", "--json")).EnumerateArray());
        var item = Assert.Single(Json(await RunAsync("facts", "review", "--json")).EnumerateArray());
        Assert.Equal("captured", item.GetProperty("kind").GetString());
        Assert.Equal(JsonValueKind.Null, item.GetProperty("existing").ValueKind);
        Assert.Contains("facts.capture: review", item.GetProperty("reason").GetString(), StringComparison.Ordinal);
        var candidate = item.GetProperty("candidate");
        Assert.Equal("pending", candidate.GetProperty("status").GetString());
        Assert.Equal("conversation", candidate.GetProperty("origin").GetProperty("kind").GetString());
        var listed = await RunAsync("facts", "review");
        Assert.Contains("captured, importance", listed.Out, StringComparison.Ordinal);

        // Accepting makes it a fact.
        var accepted = await RunAsync("facts", "review", item.GetProperty("id").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture), "--accept");
        Assert.True(accepted.Code == 0, accepted.Error);
        Assert.Equal("drinks tea every morning", Assert.Single(Json(await RunAsync("facts", "--json")).EnumerateArray()).GetProperty("text").GetString());

        // auto: below facts.captureConfidence (0.7) waits; above is stored.
        var config = Path.Combine(Home, "config.yaml");
        File.WriteAllText(config, File.ReadAllText(config).Replace("  capture: review ", "  capture: auto ", StringComparison.Ordinal));
        _model.Enqueue(ScriptedReply.Text("Sure."), Extraction(Fact("owns a cat", confidence: 0.4, category: "personal"), Fact("plays the cello", confidence: 0.95, category: "personal")));
        var mixed = await RunAsync("chat", "My cat sat on my cello case again.");
        Assert.True(mixed.Code == 0, mixed.Error);
        Assert.Contains(Json(await RunAsync("facts", "--json")).EnumerateArray(), f => f.GetProperty("text").GetString() == "plays the cello");
        var waiting = Assert.Single(Json(await RunAsync("facts", "review", "--json")).EnumerateArray());
        Assert.Equal("owns a cat", waiting.GetProperty("candidate").GetProperty("text").GetString());
        Assert.Contains("below facts.captureConfidence", waiting.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Capture_off_by_default_makes_no_extraction_call()
    {
        await InitAsync(capture: null);
        _model.Enqueue(ScriptedReply.Text("Noted."));

        var chat = await RunAsync("chat", "Remember that I prefer tabs over spaces.");

        Assert.True(chat.Code == 0, chat.Error);
        Assert.Single(_model.ChatRequests);
        Assert.Empty(Json(await RunAsync("facts", "--json")).EnumerateArray());
        Assert.DoesNotContain(Trace(Ids(chat).Run), e => e.EventType.StartsWith("fact_capture", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Without_a_model_capture_does_nothing_and_says_so_in_the_trace()
    {
        await InitAsync("auto", withModel: false);

        var ask = await RunAsync("ask", "Remember that I always deploy on Tuesdays.");

        Assert.True(ask.Code == 0, ask.Error);
        var runId = RunIdLine().Match(ask.Out).Groups[1].Value;
        var skipped = Trace(runId).Single(e => e.EventType == TraceEventTypes.FactCaptureSkipped);
        Assert.Equal(FactCapture.NoModelReason, skipped.Data["reason"]!.GetValue<string>());
        Assert.Empty(_model.Requests);
        Assert.Empty(Json(await RunAsync("facts", "--json")).EnumerateArray());
    }

    [GeneratedRegex(@"run_id: (\S+)")]
    private static partial Regex RunIdLine();

    [Fact]
    public async Task A_fenced_extraction_is_repaired_and_an_unusable_one_is_traced_while_the_turn_succeeds()
    {
        await InitAsync("auto");
        _model.Enqueue(ScriptedReply.Text("Got it."),
            ScriptedReply.Text("Here you go:\n```json\n{\"facts\": [{\"text\": \"works at Acme\", \"category\": \"work\", \"confidence\": 0.9, \"explicit\": true,}]}\n```"));
        var repaired = await RunAsync("chat", "I work at Acme.");
        Assert.True(repaired.Code == 0, repaired.Error);
        Assert.Equal("works at Acme", Assert.Single(Json(await RunAsync("facts", "--json")).EnumerateArray()).GetProperty("text").GetString());
        Assert.True(Trace(Ids(repaired).Run).Single(e => e.EventType == TraceEventTypes.FactCapture).Data["repaired"]!.GetValue<bool>());

        // llm.maxRepairAttempts is 2: three answers that are no JSON at all, then the capture gives up.
        _model.Enqueue(ScriptedReply.Text("Fine."), ScriptedReply.Text("I cannot"), ScriptedReply.Text("do JSON"), ScriptedReply.Text("today"));
        var failed = await RunAsync("chat", "I work on weekends too.");
        Assert.True(failed.Code == 0, failed.Error);
        Assert.Equal("Fine.\n", failed.Out);
        var trace = Trace(Ids(failed).Run);
        var reason = trace.Single(e => e.EventType == TraceEventTypes.FactCaptureFailed).Data["reason"]!.GetValue<string>();
        Assert.Contains("not usable after 3 attempt(s)", reason, StringComparison.Ordinal);
        Assert.Equal("completed", trace[^1].Data["status"]!.GetValue<string>());
        Assert.Single(Json(await RunAsync("facts", "--json")).EnumerateArray());
    }

    [Fact]
    public async Task An_ask_run_captures_facts_from_its_task_with_the_run_as_provenance()
    {
        await InitAsync("auto");
        _model.Responder = r => r.MessagesText.Contains("You find durable facts about the user", StringComparison.Ordinal)
            ? Extraction(Fact("writes integration tests before refactoring", category: "work"))
            : AgentReplies.For(AgentReplies.AgentOf(r.MessagesText));

        var ask = await RunAsync("ask", AgentReplies.TeamTask + ". I always write integration tests before refactoring.", "--analysis-only");

        Assert.True(ask.Code == 0, ask.Out + ask.Error);
        var runId = RunIdLine().Match(ask.Out).Groups[1].Value;
        var fact = Assert.Single(Json(await RunAsync("facts", "--json")).EnumerateArray());
        Assert.Equal("writes integration tests before refactoring", fact.GetProperty("text").GetString());
        Assert.Equal("inferred", fact.GetProperty("source").GetString());
        Assert.Equal("run", fact.GetProperty("origin").GetProperty("kind").GetString());
        Assert.Equal(runId, fact.GetProperty("origin").GetProperty("id").GetString());
        // Captured inside the run: after the team, before run_end.
        var types = Trace(runId).Select(e => e.EventType).ToList();
        Assert.InRange(types.IndexOf(TraceEventTypes.FactCapture), types.LastIndexOf(TraceEventTypes.AgentOutput) + 1, types.IndexOf(TraceEventTypes.RunEnd) - 1);
    }
}
