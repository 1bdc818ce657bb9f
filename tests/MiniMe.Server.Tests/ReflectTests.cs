using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MiniMe.Server.Tests.Support;
using MiniMe.Testing;

namespace MiniMe.Server.Tests;

/// <summary>`minime reflect` end to end through the CLI over a real workspace, against the loopback OpenAI-compatible model, with the bundled embedding model on.</summary>
public sealed class ReflectCliTests : IDisposable
{
    private readonly string _home = Path.Combine(Path.GetTempPath(), "minime-server-tests", Guid.NewGuid().ToString("N"));
    private readonly string _trust = Directory.CreateTempSubdirectory("minime-reflect-trust-").FullName;

    private Task<(int Code, string Out, string Error)> RunAsync(params string[] args) => CliRun.RunAsync(_home, Path.Combine(_trust, "trust.json"), args);

    internal static readonly Dictionary<string, string> Verdicts = new()
    {
        ["engineer"] = ReflectionReplies.Verdict("support", 0.9, "The migration is small and easy to test."),
        ["librarian"] = ReflectionReplies.Verdict("mixed", 0.6, "Two of the notes have no source."),
        ["philosopher"] = ReflectionReplies.Verdict("support", 0.7, "It serves the stated goal of one place for everything."),
        ["skeptic"] = ReflectionReplies.Verdict("oppose", 0.9, "Nothing shows the old files are no longer needed.", "No backup is mentioned"),
    };

    private async Task<LoopbackOpenAiServer> InitWithModelAsync(bool init = true)
    {
        var model = await LoopbackOpenAiServer.StartAsync();
        model.Responder = r => ReflectionReplies.For(ReflectionReplies.PerspectiveOf(r.MessagesText), Verdicts);
        if (init) Assert.Equal(0, (await RunAsync("init", "--name", "nima")).Code);
        LoopbackWorkspace.UseModel(_home, model);
        return model;
    }

    [Fact]
    public async Task Reflect_on_a_text_then_on_its_run_and_on_a_fact_traced_as_runs()
    {
        await using var model = await InitWithModelAsync();

        var text = await RunAsync("reflect", "--text", "Move all my notes into one SQLite database", "--perspectives", "engineer,skeptic", "--json");

        Assert.True(text.Code == 0, text.Error);
        var json = JsonDocument.Parse(text.Out).RootElement;
        var runId = json.GetProperty("run_id").GetString()!;
        Assert.Equal(("text", "completed"), (json.GetProperty("subject").GetProperty("kind").GetString(), json.GetProperty("status").GetString()));
        Assert.Equal(["support", "oppose"], json.GetProperty("verdicts").EnumerateArray().Select(v => v.GetProperty("stance").GetString()));
        Assert.Equal("The panel is split on the plan.", json.GetProperty("summary").GetString());
        var disagreement = json.GetProperty("disagreement").GetDouble();
        Assert.InRange(disagreement, 0.8, 1);
        // Embeddings are on (minilm, the bundled model): the assessments' distance is part of the index.
        Assert.InRange(json.GetProperty("disagreement_parts").GetProperty("assessment_distance").GetDouble(), 0.01, 1);
        Assert.Equal(3, model.ChatRequests.Count);
        Assert.Equal(3, json.GetProperty("totals").GetProperty("model_calls").GetInt32());

        var runs = JsonDocument.Parse((await RunAsync("runs", "--json")).Out).RootElement;
        var listed = runs.EnumerateArray().Single(r => r.GetProperty("run_id").GetString() == runId);
        Assert.Equal(("reflect: Move all my notes into one SQLite database", "completed"), (listed.GetProperty("task").GetString(), listed.GetProperty("status").GetString()));
        var trace = await RunAsync("trace", runId, "--json");
        Assert.True(trace.Code == 0, trace.Error);
        Assert.Contains("\"reflection\"", trace.Out, StringComparison.Ordinal);

        var onRun = await RunAsync("reflect", "--run", runId);
        Assert.True(onRun.Code == 0, onRun.Error);
        Assert.Contains($"Reflection on run {runId}", onRun.Out, StringComparison.Ordinal);
        Assert.Contains("Disagreement index", onRun.Out, StringComparison.Ordinal);
        Assert.Contains("No backup is mentioned", onRun.Out, StringComparison.Ordinal);
        Assert.Contains("Nothing shows the old files are no longer needed.", model.ChatRequests[3].MessagesText, StringComparison.Ordinal); // the run's verdicts are the subject

        var remembered = JsonDocument.Parse((await RunAsync("remember", "I keep my notes in plain Markdown files", "--json")).Out).RootElement;
        var factId = remembered.GetProperty("fact").GetProperty("id").GetInt64();
        var onFact = await RunAsync("reflect", "--fact", factId.ToString(System.Globalization.CultureInfo.InvariantCulture), "--perspectives", "librarian", "--json");
        Assert.True(onFact.Code == 0, onFact.Error);
        var factJson = JsonDocument.Parse(onFact.Out).RootElement;
        Assert.Equal("fact", factJson.GetProperty("subject").GetProperty("kind").GetString());
        Assert.Equal(0, factJson.GetProperty("disagreement").GetDouble()); // one perspective cannot disagree
        Assert.Contains("I keep my notes in plain Markdown files", model.ChatRequests[^2].MessagesText, StringComparison.Ordinal);
        Assert.Contains("History:", model.ChatRequests[^2].MessagesText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_subjects_wrong_arguments_and_a_missing_model_are_one_line_errors_with_exit_codes()
    {
        Assert.Equal(0, (await RunAsync("init", "--name", "nima")).Code);

        var noModel = await RunAsync("reflect", "--text", "anything");
        Assert.Equal(1, noModel.Code);
        Assert.Equal("error: " + MiniMe.Server.Reflection.ReflectionService.NoModel, noModel.Error.Trim());

        await using var model = await InitWithModelAsync(init: false);
        var run = await RunAsync("reflect", "--run", "20260101-000000-ffffff");
        Assert.Equal(1, run.Code);
        Assert.Equal("error: No run '20260101-000000-ffffff'; `minime runs` lists the runs you have.", run.Error.Trim());
        var fact = await RunAsync("reflect", "--fact", "999");
        Assert.Equal(1, fact.Code);
        Assert.Equal("error: No fact #999; `minime facts list` shows the facts you have.", fact.Error.Trim());
        var none = await RunAsync("reflect");
        Assert.Equal(2, none.Code);
        Assert.Contains("--run RUN_ID | --fact ID | --text TEXT", none.Error, StringComparison.Ordinal);
        var two = await RunAsync("reflect", "--text", "a", "--fact", "1");
        Assert.Equal(2, two.Code);
        var perspective = await RunAsync("reflect", "--text", "a", "--perspectives", "engineer,skeptik");
        Assert.Equal(2, perspective.Code);
        Assert.Equal("error: --perspectives: unknown perspective 'skeptik'; did you mean 'skeptic'?", perspective.Error.Trim());
        Assert.Empty(model.ChatRequests);

        File.AppendAllText(Path.Combine(_home, "config.yaml"), "\nreflect:\n  perspectives: engineer,poet\n");
        var badSetting = await RunAsync("reflect", "--text", "a");
        Assert.Equal(2, badSetting.Code);
        Assert.Contains("reflect.perspectives: unknown perspective 'poet'", badSetting.Error, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_home, recursive: true);
            Directory.Delete(_trust, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort.
        }
    }
}

/// <summary>POST /v1/reflect on real Kestrel, behind the API key, with a scripted model.</summary>
[Trait("Category", "Integration")]
public sealed class ReflectApiTests
{
    [Fact]
    public async Task Post_reflect_runs_the_panel_for_the_keys_user_and_answers_problems_for_bad_requests()
    {
        var chat = new MiniMe.Testing.ScriptedChatClient { Responder = call => ReflectionReplies.For(ReflectionReplies.PerspectiveOf(call.SystemText), ReflectCliTests.Verdicts) };
        await using var server = await TestServer.StartAsync(chat);
        var client = server.Client(server.CreateKey("k"));

        using (var anonymous = await server.Client().PostAsJsonAsync("/v1/reflect", new { text = "x" }))
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        var result = await client.PostJsonAsync("/v1/reflect", new { text = "Quit the weekly review", perspectives = new[] { "philosopher", "skeptic" } });
        Assert.Equal(["philosopher", "skeptic"], result.GetProperty("perspectives").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(3, chat.Calls.Count);
        var runId = result.GetProperty("run_id").GetString()!;
        var runs = await client.GetJsonAsync("/v1/runs");
        Assert.Contains(runs.EnumerateArray(), r => r.ToString().Contains(runId, StringComparison.Ordinal));

        var defaults = await client.PostJsonAsync("/v1/reflect", new { run_id = runId });
        Assert.Equal(["engineer", "librarian", "philosopher", "skeptic"], defaults.GetProperty("perspectives").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal("run", defaults.GetProperty("subject").GetProperty("kind").GetString());
        Assert.InRange(defaults.GetProperty("disagreement").GetDouble(), 0, 1);

        using (var missing = await client.PostAsJsonAsync("/v1/reflect", new { fact_id = 42 }))
            Assert.Equal("No fact #42; `minime facts list` shows the facts you have.", await missing.AssertProblemAsync(404));
        using (var both = await client.PostAsJsonAsync("/v1/reflect", new { text = "a", run_id = runId }))
            await both.AssertProblemAsync(400);
        using (var unknown = await client.PostAsJsonAsync("/v1/reflect", new { text = "a", perspectives = "poet" }))
            Assert.Contains("unknown perspective 'poet'", await unknown.AssertProblemAsync(400), StringComparison.Ordinal);
        Assert.Equal(8, chat.Calls.Count); // 3 + 5 model calls; the refused requests asked the model nothing
    }
}
