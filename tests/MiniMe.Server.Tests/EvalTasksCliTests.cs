using System.Text.Json.Nodes;
using MiniMe.Evaluation;
using MiniMe.Masks.Learned;
using MiniMe.Server.Tests.Support;
using MiniMe.Testing;

namespace MiniMe.Server.Tests;

/// <summary>`minime eval tasks` through the real command line: the agent team against the loopback model, in temporary workspaces.</summary>
public sealed class EvalTasksCliTests : IDisposable
{
    private readonly string _home = Path.Combine(Path.GetTempPath(), "minime-server-tests", Guid.NewGuid().ToString("N"));
    private readonly string _trust = Directory.CreateTempSubdirectory("minime-evaltasks-trust-").FullName;
    private readonly string _suite = Directory.CreateTempSubdirectory("minime-evaltasks-suite-").FullName;

    private Task<(int Code, string Out, string Error)> RunAsync(params string[] args) => CliRun.RunAsync(_home, Path.Combine(_trust, "trust.json"), args);

    private const string Passing = """
        task: Design and implement a greeting module, refactor the service layer and add integration tests
        memory:
          - name: greetings.md
            text: |
              # Greetings
              The greeting module formats a friendly hello for each user of the service layer.
        checks:
          files: [src/Greeter.cs]
          patterns: ['class Greeter']
          forbidden: ['sk-live-[0-9a-f]+']
          critic: pass
          maxTokens: 100000
        """;

    private const string Failing = """
        task: Design and implement a farewell module, refactor the service layer and add integration tests
        checks:
          files: [src/Farewell.cs]
          patterns: ['class Farewell']
        """;

    private void WriteSuite()
    {
        File.WriteAllText(Path.Combine(_suite, "a-greeter.yaml"), Passing);
        File.WriteAllText(Path.Combine(_suite, "b-farewell.yaml"), Failing);
    }

    private async Task InitAsync() => Assert.Equal(0, (await RunAsync("init", "--name", "nima")).Code);

    private void UseModel(LoopbackOpenAiServer model)
    {
        var config = Path.Combine(_home, "config.yaml");
        File.WriteAllText(config, File.ReadAllText(config).Replace("  provider: none ",
            "  provider: openai\n  endpoint: " + model.BaseUrl + "\n  model: loopback-model\n  apiKeyVariable: MINIME_TEST_UNSET_KEY\n  # ", StringComparison.Ordinal));
    }

    private static async Task<LoopbackOpenAiServer> ModelAsync()
    {
        var model = await LoopbackOpenAiServer.StartAsync();
        model.Responder = r => AgentReplies.For(AgentReplies.AgentOf(r.MessagesText));
        return model;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (Directory.Exists(Path.Combine(dir.FullName, "eval", "suites"))) return dir.FullName;
        throw new InvalidOperationException("eval/suites not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public async Task Scripted_replies_make_one_task_pass_and_one_fail_its_checks_without_touching_the_users_memory()
    {
        await using var model = await ModelAsync();
        await InitAsync();
        UseModel(model);
        WriteSuite();

        var eval = await RunAsync("eval", "tasks", "--suite", _suite, "--json");

        Assert.True(eval.Code == 0, eval.Error + eval.Out);
        var report = JsonNode.Parse(eval.Out)!.AsObject();
        var heuristic = Assert.Single(report["policies"]!.AsArray())!.AsObject();
        Assert.Equal("heuristic", heuristic["policy"]!.GetValue<string>());
        Assert.Equal((2, 2, 1), (heuristic["runs"]!.GetValue<int>(), heuristic["valid"]!.GetValue<int>(), heuristic["checks_passed"]!.GetValue<int>()));
        Assert.Equal(0.5, heuristic["check_pass_rate"]!.GetValue<double>());
        Assert.Equal(1.0, heuristic["validity_rate"]!.GetValue<double>());
        Assert.True(heuristic["tokens"]!.GetValue<long>() > 0);

        var results = report["results"]!.AsArray().Select(r => r!.AsObject()).ToList();
        Assert.Equal(["a-greeter", "b-farewell"], results.Select(r => r["task"]!.GetValue<string>()));
        Assert.Equal(["passed", "failed"], results.Select(r => r["outcome"]!.GetValue<string>()));
        Assert.True(results[0]["critic_passed"]!.GetValue<bool>());
        Assert.Equal(5, results[0]["checks"]!.AsArray().Count);
        var failed = results[1]["checks"]!.AsArray().Select(c => c!.AsObject()).ToList();
        Assert.Equal([false, false], failed.Select(c => c["passed"]!.GetValue<bool>()));
        Assert.Contains("src/Greeter.cs", failed[0]["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null(report["evaluation"]);

        // The task's memory reached the team's context; the runs were in temporary workspaces, not the user's.
        Assert.Contains(model.ChatRequests, r => r.MessagesText.Contains("friendly hello", StringComparison.Ordinal));
        Assert.False(Directory.Exists(Path.Combine(_home, "traces")) && Directory.EnumerateFiles(Path.Combine(_home, "traces")).Any());
        Assert.Contains("[1/2] a-greeter (heuristic): passed", eval.Error, StringComparison.Ordinal);

        var text = await RunAsync("eval", "tasks", "--suite", _suite);
        Assert.Equal(0, text.Code);
        Assert.Contains("check pass rate", text.Out, StringComparison.Ordinal);
        Assert.Contains("50.0%", text.Out, StringComparison.Ordinal);
        Assert.Contains("FAIL (0/2): file src/Farewell.cs", text.Out, StringComparison.Ordinal);
    }

    /// <summary>A fresh workspace, 8 dry runs each corrected toward temperature 0.1 and rigor 0.95, then `minime train` (mask-v1).</summary>
    private async Task TrainOnCorrectionsAsync()
    {
        await InitAsync();
        for (var i = 0; i < 8; i++)
        {
            var before = Directory.Exists(Path.Combine(_home, "traces")) ? Directory.GetFiles(Path.Combine(_home, "traces")) : [];
            Assert.Equal(0, (await RunAsync("ask", "--dry-run", $"fix the flaky parser test number {i}")).Code);
            var run = Path.GetFileNameWithoutExtension(Assert.Single(Directory.GetFiles(Path.Combine(_home, "traces")).Except(before)));
            Assert.Equal(0, (await RunAsync("feedback", run, "--delta", "{\"temperature\": 0.1, \"rigor\": 0.95}")).Code);
        }
        var train = await RunAsync("train", "--json");
        Assert.True(train.Code == 0, train.Error);
    }

    [Fact]
    public async Task Both_policies_run_side_by_side_and_the_comparison_is_recorded_in_the_active_models_manifest()
    {
        await TrainOnCorrectionsAsync();
        await using var model = await ModelAsync();
        UseModel(model);
        WriteSuite();

        var eval = await RunAsync("eval", "tasks", "--suite", _suite, "--policy", "both", "--json");

        Assert.True(eval.Code == 0, eval.Error + eval.Out);
        var report = JsonNode.Parse(eval.Out)!.AsObject();
        Assert.Equal("mask-v1", report["model"]!.GetValue<string>());
        Assert.Equal(["heuristic", "learned"], report["policies"]!.AsArray().Select(p => p!["policy"]!.GetValue<string>()));
        var results = report["results"]!.AsArray().Select(r => r!.AsObject()).ToList();
        Assert.Equal(4, results.Count);
        Assert.All(results.Where(r => r["policy"]!.GetValue<string>() == "learned"),
            r => Assert.StartsWith("learned", r["policy_used"]!.GetValue<string>(), StringComparison.Ordinal));
        Assert.All(results.Where(r => r["policy"]!.GetValue<string>() == "heuristic"),
            r => Assert.StartsWith("heuristic", r["policy_used"]!.GetValue<string>(), StringComparison.Ordinal));
        // Every model call of every run is counted in its row (the masks may route the learned runs differently).
        Assert.Equal(model.ChatRequests.Count, results.Sum(r => r["model_calls"]!.GetValue<int>()));
        Assert.All(results.Where(r => r["policy"]!.GetValue<string>() == "heuristic"), r => Assert.Equal(4, r["model_calls"]!.GetValue<int>()));

        var evaluation = report["evaluation"]!.AsObject();
        var recorded = new ModelRegistry(Path.Combine(_home, "models")).Load("mask-v1").Manifest.Evaluation!;
        Assert.Equal("eval-tasks", recorded.Source);
        Assert.Equal("check_pass_rate", recorded.Metric);
        Assert.Equal(evaluation["winner"]!.GetValue<string>(), recorded.Winner);
        Assert.Equal(0.5, recorded.Learned);
        Assert.Equal(0.5, recorded.Heuristic);

        var text = await RunAsync("eval", "tasks", "--suite", _suite, "--policy", "both");
        Assert.Equal(0, text.Code);
        Assert.Matches(@"check pass rate\s+50\.0%\s+50\.0%", text.Out);
        Assert.Contains("Recorded in mask-v1's manifest", text.Out, StringComparison.Ordinal);
    }

    /// <summary>
    /// Issue 13's loop end to end: the user corrects runs toward a low temperature and a strict critic, `minime train`
    /// learns it, and on a suite whose model does the work right only when asked at a low temperature (the scripted
    /// stand-in for "the corrections were right") `eval tasks --policy both` shows the learned policy winning, records
    /// it, and `masks.policy: auto` then uses the learned policy.
    /// </summary>
    [Fact]
    public async Task A_policy_trained_on_the_users_corrections_wins_the_suite_and_auto_then_uses_it()
    {
        await TrainOnCorrectionsAsync();
        await using var model = await LoopbackOpenAiServer.StartAsync();
        const string Careful = """{"summary":"Both modules.","proposals":[{"tool":"write_file","arguments":{"path":"src/Greeter.cs","content":"public static class Greeter {}"},"rationale":"greeter"},{"tool":"write_file","arguments":{"path":"src/Farewell.cs","content":"public static class Farewell {}"},"rationale":"farewell"}]}""";
        model.Responder = r =>
        {
            var agent = AgentReplies.AgentOf(r.MessagesText);
            var temperature = r.Body?["temperature"] is JsonValue t && t.TryGetValue<double>(out var value) ? value : 1.0;
            return AgentReplies.For(agent, integration: agent == "integrator" && temperature <= 0.25 ? Careful : null);
        };
        UseModel(model);
        WriteSuite();

        var eval = await RunAsync("eval", "tasks", "--suite", _suite, "--policy", "both", "--json");

        Assert.True(eval.Code == 0, eval.Error + eval.Out);
        var report = JsonNode.Parse(eval.Out)!.AsObject();
        var rates = report["policies"]!.AsArray().ToDictionary(p => p!["policy"]!.GetValue<string>(), p => p!["check_pass_rate"]!.GetValue<double>());
        Assert.Equal((0.5, 1.0), (rates["heuristic"], rates["learned"]));
        Assert.Equal("learned", report["evaluation"]!["winner"]!.GetValue<string>());
        Assert.Equal("learned", new ModelRegistry(Path.Combine(_home, "models")).Load("mask-v1").Manifest.Evaluation!.Winner);

        var config = Path.Combine(_home, "config.yaml");
        File.WriteAllText(config, File.ReadAllText(config).Replace("  policy: heuristic ", "  policy: auto ", StringComparison.Ordinal));
        var dry = await RunAsync("ask", "--dry-run", "fix the flaky parser test again");
        Assert.True(dry.Code == 0, dry.Error);
        var latest = new DirectoryInfo(Path.Combine(_home, "traces")).GetFiles("*.jsonl").OrderBy(f => f.LastWriteTimeUtc).Last();
        var generation = File.ReadLines(latest.FullName).Select(l => JsonNode.Parse(l)!).Single(e => e["event_type"]!.GetValue<string>() == "mask_generation");
        Assert.Equal(("learned", "mask-v1", "auto"), (generation["data"]!["policy"]!.GetValue<string>(), generation["data"]!["policy_version"]!.GetValue<string>(), generation["data"]!["policy_setting"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_builder_whose_output_stays_invalid_makes_its_run_invalid_and_the_suite_still_reports()
    {
        await using var model = await LoopbackOpenAiServer.StartAsync();
        model.Responder = r =>
        {
            var agent = AgentReplies.AgentOf(r.MessagesText);
            return agent == MiniMe.Agents.AgentNames.Builder && r.MessagesText.Contains("farewell", StringComparison.Ordinal)
                ? ScriptedReply.Text("I would rather not answer in JSON.")
                : AgentReplies.For(agent);
        };
        await InitAsync();
        UseModel(model);
        WriteSuite();

        var eval = await RunAsync("eval", "tasks", "--suite", _suite, "--json");

        Assert.True(eval.Code == 0, eval.Error + eval.Out);
        var report = JsonNode.Parse(eval.Out)!.AsObject();
        var heuristic = report["policies"]![0]!.AsObject();
        Assert.Equal((0.5, 0.5, 0.5), (heuristic["validity_rate"]!.GetValue<double>(), heuristic["critic_pass_rate"]!.GetValue<double>(), heuristic["check_pass_rate"]!.GetValue<double>()));
        var invalid = report["results"]![1]!.AsObject();
        Assert.Equal(("b-farewell", "invalid", false), (invalid["task"]!.GetValue<string>(), invalid["outcome"]!.GetValue<string>(), invalid["valid"]!.GetValue<bool>()));
        Assert.Contains("builder answered with invalid output", invalid["error"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task The_learned_policy_without_a_trained_model_is_one_line_saying_how_to_get_one()
    {
        await using var model = await ModelAsync();
        await InitAsync();
        UseModel(model);
        WriteSuite();

        var eval = await RunAsync("eval", "tasks", "--suite", _suite, "--policy", "learned");

        Assert.Equal(1, eval.Code);
        Assert.Equal("error: No learned mask model is active: train one with `minime train` (or use --policy heuristic).", eval.Error.Trim());
        Assert.Empty(model.ChatRequests);
    }

    [Fact]
    public async Task A_bad_task_file_exits_2_with_its_file_line_and_column()
    {
        await InitAsync();
        File.WriteAllText(Path.Combine(_suite, "a-greeter.yaml"), Passing);
        var bad = Path.Combine(_suite, "bad.yaml");
        File.WriteAllText(bad, "task: add a thing\nchecks:\n  filez: [src/A.cs]\n  patterns: ['(unclosed']\n");

        var eval = await RunAsync("eval", "tasks", "--suite", _suite);

        Assert.Equal(2, eval.Code);
        var lines = eval.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Contains($"error: {bad}:3:3: unknown field 'filez' in checks; did you mean 'files'?", lines);
        Assert.Contains(lines, l => l.StartsWith($"error: {bad}:4:14: checks: '(unclosed' in 'patterns' is not a valid regular expression", StringComparison.Ordinal));
        Assert.Equal("", eval.Out);

        File.Delete(bad);
        File.WriteAllText(Path.Combine(_suite, "a-greeter.yml"), Failing);
        var twins = await RunAsync("eval", "tasks", "--suite", _suite);
        Assert.Equal(2, twins.Code);
        Assert.Contains("task id 'a-greeter' is also", twins.Error, StringComparison.Ordinal);

        var missing = await RunAsync("eval", "tasks", "--suite", Path.Combine(_suite, "nowhere"));
        Assert.Equal(2, missing.Code);
        Assert.StartsWith("error: No suite folder", missing.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_task_of_the_shipped_engineering_suite_parses_with_checks()
    {
        var suite = TaskSuiteParser.LoadDirectory(Path.Combine(RepositoryRoot(), "eval", "suites", "engineering"));

        Assert.True(suite.Tasks.Count >= 20, $"{suite.Tasks.Count} tasks");
        Assert.All(suite.Tasks, t => Assert.True(t.Checks.Count >= 2, $"{t.Id} has {t.Checks.Count} checks"));
        Assert.Equal(suite.Tasks.Count, suite.Tasks.Select(t => t.Task).Distinct(StringComparer.Ordinal).Count());
        Assert.Contains(suite.Tasks, t => t.Checks.Forbidden.Count > 0 && t.Memory.Any(m => m.File is not null));
    }

    [Fact]
    public void Proposed_paths_match_exactly_by_folder_suffix_or_by_glob()
    {
        Assert.True(TaskChecker.PathMatches("src/Greeter.cs", "src/Greeter.cs"));
        Assert.True(TaskChecker.PathMatches("Greeter.cs", "src/Greeter.cs"));
        Assert.False(TaskChecker.PathMatches("eter.cs", "src/Greeter.cs"));
        Assert.True(TaskChecker.PathMatches("tests/**/PagerTests.cs", "tests/Paging/Unit/PagerTests.cs"));
        Assert.True(TaskChecker.PathMatches("**/Migrations/*.cs", "src/Data/Migrations/2026_AddDeletedAt.cs"));
        Assert.False(TaskChecker.PathMatches("**/Migrations/*.cs", "src/Data/Migrations/Old/X.txt"));
    }

    public void Dispose()
    {
        foreach (var dir in new[] { _home, _trust, _suite })
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
