using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using MiniMe.Masks;
using MiniMe.Masks.Learned;
using MiniMe.Server.Tests.Support;
using MiniMe.Tracing;

namespace MiniMe.Server.Tests;

/// <summary>
/// The learned mask policy through the real command line over a real workspace: runs (dry runs, no model),
/// corrections with `minime feedback`, `minime train`, `minime models`, masks.policy and the mask_generation trace.
/// </summary>
public sealed class MaskLearningCliTests : IDisposable
{
    private static readonly string[] Tasks =
    [
        "add a rate limiter to the REST endpoint",
        "fix the flaky xunit test in the parser suite",
        "write the README section about installation",
        "migrate the orders table to a new schema with a backfill",
        "rotate the JWT signing keys and audit the session handling",
        "deploy the service to kubernetes with a helm chart",
        "make the dropdown component responsive in dark mode",
        "tune the embedding model's batch size for inference",
        "rename a variable in the config loader",
        "refactor the caching layer across the backend services then add tests",
    ];

    private readonly string _home = Path.Combine(Path.GetTempPath(), "minime-server-tests", Guid.NewGuid().ToString("N"));
    private readonly string _trust = Directory.CreateTempSubdirectory("minime-learn-trust-").FullName;

    private Task<(int Code, string Out, string Error)> RunAsync(params string[] args) => CliRun.RunAsync(_home, Path.Combine(_trust, "trust.json"), args);

    private string Config => Path.Combine(_home, "config.yaml");

    private string ModelsDirectory => Path.Combine(_home, "models");

    private async Task InitAsync() => Assert.Equal(0, (await RunAsync("init", "--name", "nima")).Code);

    /// <summary>A dry run of the task (no model configured); returns its run id.</summary>
    private async Task<string> AskAsync(string task)
    {
        var before = RunIds();
        var ask = await RunAsync("ask", "--dry-run", task);
        Assert.True(ask.Code == 0, ask.Error);
        return Assert.Single(RunIds().Except(before));
    }

    /// <summary>The runs in traces/ (several runs may start within the same clock tick, so "newest" is not asked).</summary>
    private string[] RunIds() =>
        Directory.Exists(Path.Combine(_home, "traces"))
            ? [.. Directory.EnumerateFiles(Path.Combine(_home, "traces"), "*.jsonl").Select(f => Path.GetFileNameWithoutExtension(f)!)]
            : [];

    /// <summary>Runs every task and corrects each the same way: cooler and stricter.</summary>
    private async Task CorrectRepeatedlyAsync(int count)
    {
        for (var i = 0; i < count; i++)
        {
            var run = await AskAsync(Tasks[i % Tasks.Length]);
            var feedback = await RunAsync("feedback", run, "--delta", "{\"temperature\": 0.1, \"rigor\": 0.95}");
            Assert.True(feedback.Code == 0, feedback.Error);
        }
    }

    private async Task<JsonObject> TrainAsync(params string[] extra)
    {
        var train = await RunAsync(["train", "--json", .. extra]);
        Assert.True(train.Code == 0, train.Error);
        return JsonNode.Parse(train.Out)!.AsObject();
    }

    private JsonObject MaskEvent(string runId)
    {
        var trace = File.ReadAllLines(Path.Combine(_home, "traces", runId + ".jsonl"))
            .Select(l => JsonNode.Parse(l)!.AsObject()).Single(e => e["event_type"]!.GetValue<string>() == TraceEventTypes.MaskGeneration);
        return trace["data"]!.AsObject();
    }

    private void SetPolicy(string policy)
    {
        var text = File.ReadAllText(Config);
        var start = text.IndexOf("  policy: ", StringComparison.Ordinal);
        Assert.True(start > 0, "config.yaml has masks.policy");
        var end = text.IndexOf(' ', start + "  policy: ".Length);
        File.WriteAllText(Config, text[..(start + "  policy: ".Length)] + policy + text[end..]);
    }

    [Fact]
    public async Task Corrections_in_one_direction_train_a_policy_whose_masks_move_that_way()
    {
        await InitAsync();
        await CorrectRepeatedlyAsync(Tasks.Length);

        var manifest = await TrainAsync();
        Assert.Equal("mask-v1", manifest["version"]!.GetValue<string>());
        Assert.Equal(Tasks.Length, manifest["data"]!["mask_corrections"]!.GetValue<int>());
        Assert.Equal(Tasks.Length, manifest["data"]!["train_examples"]!.GetValue<int>() + manifest["data"]!["validation_examples"]!.GetValue<int>());
        Assert.Equal(MaskFeatures.Names, manifest["features"]!.AsArray().Select(f => f!.GetValue<string>()));
        var validationLoss = manifest["validation"]!["loss"]!.GetValue<double>();
        var baselineLoss = manifest["baseline"]!["loss"]!.GetValue<double>();
        Assert.True(validationLoss < baselineLoss, $"learned {validationLoss} vs heuristic {baselineLoss}");
        Assert.Equal("learned", manifest["evaluation"]!["winner"]!.GetValue<string>());
        var weights = await File.ReadAllBytesAsync(Path.Combine(ModelsDirectory, "mask-v1", "weights.bin"));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(weights)), manifest["weights_sha256"]!.GetValue<string>());

        // Heuristic (the default): the trace says so.
        const string task = "add pagination to the REST endpoint that lists invoices";
        var before = MaskEvent(await AskAsync(task));
        Assert.Equal(("heuristic", "v1", "heuristic"),
            (before["policy"]!.GetValue<string>(), before["policy_version"]!.GetValue<string>(), before["policy_setting"]!.GetValue<string>()));

        SetPolicy("learned");
        var after = MaskEvent(await AskAsync(task));
        Assert.Equal(("learned", "mask-v1", "learned"),
            (after["policy"]!.GetValue<string>(), after["policy_version"]!.GetValue<string>(), after["policy_setting"]!.GetValue<string>()));
        Assert.Null(after["warning"]);
        var heuristic = before["weights"]!;
        var learned = after["weights"]!;
        Assert.True(learned["temperature"]!.GetValue<double>() < heuristic["temperature"]!.GetValue<double>() - 0.1,
            $"temperature: learned {learned["temperature"]} vs heuristic {heuristic["temperature"]}");
        Assert.True(learned["rigor"]!.GetValue<double>() > heuristic["rigor"]!.GetValue<double>() + 0.1,
            $"rigor: learned {learned["rigor"]} vs heuristic {heuristic["rigor"]}");
        // Squashed into range: the layer weights never exceed 1 together, k and iterations are whole numbers in bounds.
        Assert.True(learned["alpha"]!.GetValue<double>() + learned["beta"]!.GetValue<double>() + learned["gamma"]!.GetValue<double>() <= 1);
        Assert.InRange(learned["retrieval_k"]!.GetValue<int>(), 1, 24);
        Assert.InRange(learned["max_iterations"]!.GetValue<int>(), 1, 5);

        // auto: used because train's validation comparison says it won; a later evaluation the heuristic won turns it off.
        SetPolicy("auto");
        Assert.Equal("learned", MaskEvent(await AskAsync(task))["policy"]!.GetValue<string>());
        new ModelRegistry(ModelsDirectory).RecordEvaluation("mask-v1",
            new ModelEvaluation(ModelEvaluation.HeuristicWinner, "eval-tasks", "check_pass_rate", 0.4, 0.6, DateTimeOffset.UtcNow));
        var judged = MaskEvent(await AskAsync(task));
        Assert.Equal(("heuristic", "auto"), (judged["policy"]!.GetValue<string>(), judged["policy_setting"]!.GetValue<string>()));
        Assert.Null(judged["warning"]);
    }

    [Fact]
    public async Task Training_twice_with_the_same_seed_gives_the_same_weights_and_models_use_and_rollback_switch_between_them()
    {
        await InitAsync();
        await CorrectRepeatedlyAsync(8);

        var first = await TrainAsync("--seed", "7", "--epochs", "120");
        var second = await TrainAsync("--seed", "7", "--epochs", "120");
        var other = await TrainAsync("--seed", "8", "--epochs", "120");
        Assert.Equal(["mask-v1", "mask-v2", "mask-v3"], new[] { first, second, other }.Select(m => m["version"]!.GetValue<string>()));
        Assert.Equal(first["weights_sha256"]!.GetValue<string>(), second["weights_sha256"]!.GetValue<string>());
        Assert.Equal(
            Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(Path.Combine(ModelsDirectory, "mask-v1", "weights.bin")))),
            Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(Path.Combine(ModelsDirectory, "mask-v2", "weights.bin")))));
        Assert.NotEqual(first["weights_sha256"]!.GetValue<string>(), other["weights_sha256"]!.GetValue<string>());
        Assert.Equal((7, 120), (first["seed"]!.GetValue<int>(), first["epochs"]!.GetValue<int>()));

        // Each training made its model active: v3, with v2, v1 and the heuristic before it.
        var list = JsonNode.Parse((await RunAsync("models", "list", "--json")).Out)!.AsObject();
        Assert.Equal("mask-v3", list["active"]!.GetValue<string>());
        Assert.Equal(["heuristic", "mask-v1", "mask-v2"], list["previous"]!.AsArray().Select(p => p!.GetValue<string>()));
        Assert.Equal(["mask-v1", "mask-v2", "mask-v3"], list["models"]!.AsArray().Select(m => m!["version"]!.GetValue<string>()));
        Assert.Equal([false, false, true], list["models"]!.AsArray().Select(m => m!["active"]!.GetValue<bool>()));

        SetPolicy("learned");
        Assert.Equal("mask-v3", MaskEvent(await AskAsync(Tasks[0]))["policy_version"]!.GetValue<string>());
        var rolled = await RunAsync("models", "rollback");
        Assert.True(rolled.Code == 0, rolled.Error);
        Assert.Contains("mask-v2", rolled.Out, StringComparison.Ordinal);
        Assert.Equal("mask-v2", MaskEvent(await AskAsync(Tasks[0]))["policy_version"]!.GetValue<string>());
        Assert.Equal(0, (await RunAsync("models", "use", "mask-v1")).Code);
        Assert.Equal("mask-v1", MaskEvent(await AskAsync(Tasks[0]))["policy_version"]!.GetValue<string>());
        Assert.Equal(0, (await RunAsync("models", "rollback")).Code);
        Assert.Equal("mask-v2", new ModelRegistry(ModelsDirectory).Active().Version);
        Assert.Equal(0, (await RunAsync("models", "rollback")).Code);
        Assert.Equal(0, (await RunAsync("models", "rollback")).Code);
        Assert.Null(new ModelRegistry(ModelsDirectory).Active().Version);

        // No model active while masks.policy is learned: the heuristic, with the warning in the trace.
        var none = MaskEvent(await AskAsync(Tasks[0]));
        Assert.Equal("heuristic", none["policy"]!.GetValue<string>());
        Assert.Contains("no model is active", none["warning"]!.GetValue<string>(), StringComparison.Ordinal);

        var unknown = await RunAsync("models", "use", "mask-v9");
        Assert.Equal(1, unknown.Code);
        Assert.Equal("error: No model mask-v9; `minime models list` lists them (or use 'heuristic').", unknown.Error.Trim());
        var text = await RunAsync("models", "list");
        Assert.Contains("mask-v3", text.Out, StringComparison.Ordinal);
        Assert.Contains("Active: the heuristic.", text.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Too_little_data_is_one_line_saying_how_much_is_needed()
    {
        await InitAsync();
        await CorrectRepeatedlyAsync(2);
        await AskAsync("a run nobody corrected");

        var train = await RunAsync("train");
        Assert.Equal(1, train.Code);
        var line = Assert.Single(train.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: Not enough training data: 2 corrected or judged runs of 3 (from 2 feedback entries); `minime train` needs at least 6.", line, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(ModelsDirectory, "mask-v1")));
    }

    [Fact]
    public async Task A_damaged_model_falls_back_to_the_heuristic_with_a_warning_in_the_trace()
    {
        await InitAsync();
        await CorrectRepeatedlyAsync(6);
        await TrainAsync("--epochs", "60");
        SetPolicy("learned");
        Assert.Equal("learned", MaskEvent(await AskAsync(Tasks[1]))["policy"]!.GetValue<string>());

        var weights = Path.Combine(ModelsDirectory, "mask-v1", "weights.bin");
        var bytes = await File.ReadAllBytesAsync(weights);
        bytes[10] ^= 0xFF;
        await File.WriteAllBytesAsync(weights, bytes);

        var before = RunIds();
        var ask = await RunAsync("ask", "--dry-run", Tasks[1]);
        Assert.Equal(0, ask.Code);
        Assert.Contains("heuristic-v1 (model mask-v1 cannot be used", ask.Out, StringComparison.Ordinal);
        var runId = Assert.Single(RunIds().Except(before));
        var masks = MaskEvent(runId);
        Assert.Equal(("heuristic", "v1"), (masks["policy"]!.GetValue<string>(), masks["policy_version"]!.GetValue<string>()));
        Assert.Contains("mask-v1/weights.bin is damaged", masks["warning"]!.GetValue<string>(), StringComparison.Ordinal);
        var expected = new HeuristicMaskPolicy().Compute(new TaskProfile(masks["domain"]!.GetValue<string>(),
            masks["domain_confidence"]!.GetValue<double>(), masks["complexity"]!.GetValue<double>(), []));
        Assert.Equal(expected.Temperature, masks["weights"]!["temperature"]!.GetValue<double>());

        var list = JsonNode.Parse((await RunAsync("models", "list", "--json")).Out)!.AsObject();
        Assert.Contains("damaged", list["models"]![0]!["problem"]!.GetValue<string>(), StringComparison.Ordinal);
        var use = await RunAsync("models", "use", "mask-v1");
        Assert.Equal(1, use.Code);
        Assert.Contains("is damaged", use.Error, StringComparison.Ordinal);

        // A manifest that is not JSON is refused the same way.
        await File.WriteAllTextAsync(Path.Combine(ModelsDirectory, "mask-v1", "manifest.json"), "{ not json");
        var broken = MaskEvent(await AskAsync(Tasks[1]));
        Assert.Contains("not a model manifest", broken["warning"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_masks_policy_is_refused_with_the_allowed_values()
    {
        await InitAsync();
        SetPolicy("smart");
        var ask = await RunAsync("ask", "--dry-run", Tasks[0]);
        Assert.Equal(2, ask.Code);
        Assert.Contains("masks.policy", ask.Error, StringComparison.Ordinal);
        Assert.Contains("heuristic", ask.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rejections_verdicts_and_relative_deltas_become_training_targets()
    {
        await InitAsync();
        var rejected = await AskAsync(Tasks[0]);
        var judged = await AskAsync(Tasks[1]);
        var relative = await AskAsync(Tasks[2]);
        var untouched = await AskAsync(Tasks[3]);
        Assert.Equal(0, (await RunAsync("feedback", rejected, "--delta", "{\"kind\": \"action_rejected\", \"tool\": \"write_file\"}")).Code);
        Assert.Equal(0, (await RunAsync("feedback", judged, "--delta", "{\"verdict\": \"bad\"}")).Code);
        Assert.Equal(0, (await RunAsync("feedback", relative, "--delta", "{\"retrievalK\": \"+3\", \"agent_routing\": {\"critic\": 1}}")).Code);
        File.AppendAllText(Path.Combine(_home, "feedback.jsonl"), "not json\n");

        var traces = new TraceStore(Path.Combine(_home, "traces"));
        var data = MaskTrainingData.Load(traces, Path.Combine(_home, "feedback.jsonl"), new MiniMe.Identity.IdentityDocument());
        Assert.Equal((4, 1, 1, 1, 1, 3, 1), (data.Counts.RunsWithMasks, data.Counts.MaskCorrections, data.Counts.ActionCorrections, data.Counts.Verdicts,
            data.Counts.SkippedFeedback, data.Counts.Signalled, data.Counts.Priors));
        float Target(string run, string head) => data.Examples.Single(e => e.RunId == run).Targets[MaskHeads.IndexOf(head)];
        float Weight(string run, string head) => data.Examples.Single(e => e.RunId == run).Weights[MaskHeads.IndexOf(head)];
        double Ran(string run, string field) => MaskEvent(run)["weights"]![field]!.GetValue<double>();

        Assert.Equal(MaskHeads.All[8].Normalize(Ran(rejected, "rigor") + 0.1), Target(rejected, "rigor"), 5);
        Assert.Equal(MaskTrainingData.ImplicitWeight, Weight(rejected, "rigor"));
        Assert.Equal(MaskHeads.All[7].Normalize(Ran(judged, "temperature") - 0.1), Target(judged, "temperature"), 5);
        Assert.Equal(MaskHeads.All[4].Normalize(Ran(relative, "retrieval_k") + 3), Target(relative, "retrieval_k"), 5);
        Assert.Equal(1f, Target(relative, "agent_routing.critic"));
        Assert.Equal(MaskTrainingData.CorrectionWeight, Weight(relative, "retrieval_k"));
        Assert.Equal(MaskTrainingData.PriorWeight, Weight(relative, "temperature"));
        Assert.All(data.Examples.Single(e => e.RunId == untouched).Weights.Take(3), w => Assert.Equal(MaskTrainingData.PriorWeight, w, 5));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_home, recursive: true);
        }
        catch (IOException)
        {
        }
        try
        {
            Directory.Delete(_trust, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
