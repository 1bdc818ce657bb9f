using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using MiniMe.Agents;
using MiniMe.Cli.Hosting;
using MiniMe.Configuration;
using MiniMe.Evaluation;
using MiniMe.Masks.Learned;
using MiniMe.Memory.Import;
using MiniMe.Runs;
using MiniMe.Tracing;
using Spectre.Console;

namespace MiniMe.Cli.Commands;

/// <summary>
/// `minime eval tasks`: runs every task of a suite through the agent team `minime ask` uses, each in a
/// temporary workspace of its own (the user's config, identity and models; the task's memory), under the
/// heuristic and/or the learned mask policy, and reports validity, critic and check pass rates, tokens, cost and latency.
/// </summary>
internal sealed class EvalTasksCommand : MiniMeCommand
{
    public const string Heuristic = "heuristic";
    public const string Learned = "learned";

    private readonly Option<string> _suite = new("--suite") { Description = "Folder of task files (*.yaml): task, memory, checks (docs/evaluation.md)", Required = true };
    private readonly Option<string> _policy = new("--policy") { Description = "Mask policy to run each task under: heuristic, learned (the active model) or both (side by side, recorded in the model's manifest)", DefaultValueFactory = _ => Heuristic };
    private readonly Option<bool> _json = new("--json") { Description = "Print the report, with every task's checks, as JSON" };

    public EvalTasksCommand(CliContext context)
        : base("tasks", "Run a suite of tasks through the agent team in isolated workspaces (never your memory) and report validity, critic and check pass rates, tokens, cost and latency", context)
    {
        Options.Add(_suite);
        Options.Add(_policy);
        Options.Add(_json);
        _policy.AcceptOnlyFromAmong(Heuristic, Learned, "both");
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        TaskSuite suite;
        try
        {
            suite = TaskSuiteParser.LoadDirectory(parse.GetValue(_suite)!);
        }
        catch (TaskSuiteException e)
        {
            foreach (var problem in e.Problems) Context.Error.WriteLine("error: " + problem);
            return ExitCodes.Usage;
        }

        var workspace = ResolveWorkspace(parse);
        workspace.EnsureInitialized();
        var options = Engine.LoadOptions(workspace);
        if (!NamedModels.IsConfigured(options.Llm))
            throw new ConfigException("No LLM provider is configured (llm.provider: none): `minime eval tasks` runs the agent team; set llm.provider and llm.model in config.yaml.", category: ErrorCategory.ModelNotConfigured);

        var policy = parse.GetValue(_policy)!;
        string[] policies = policy == "both" ? [Heuristic, Learned] : [policy];
        var registry = new ModelRegistry(workspace.ModelsDirectory);
        string? model = null;
        if (policies.Contains(Learned))
        {
            model = registry.Active().Version
                ?? throw new NotFoundException("No learned mask model is active: train one with `minime train` (or use --policy heuristic).");
            registry.Load(model); // a damaged model is refused here rather than silently replaced by the heuristic in every run
        }

        var runner = new TaskRunner(workspace, Context);
        var results = new List<TaskRun>();
        var total = suite.Tasks.Count * policies.Length;
        var n = 0;
        foreach (var task in suite.Tasks)
        {
            foreach (var p in policies)
            {
                n++;
                Context.Error.WriteLine($"[{n}/{total}] {task.Id} ({p}) ...");
                var run = await runner.RunAsync(task, p, cancellationToken);
                Context.Error.WriteLine($"[{n}/{total}] {task.Id} ({p}): {run.Outcome}{(run.Problem is null ? "" : ": " + run.Problem)}");
                results.Add(run);
            }
        }

        var summaries = policies.Select(p => PolicySummary.Of(p, results.Where(r => r.Policy == p).ToList())).ToList();
        ModelEvaluation? evaluation = null;
        if (policies.Length == 2 && model is not null)
        {
            evaluation = Compare(summaries[1], summaries[0], DateTimeOffset.UtcNow);
            registry.RecordEvaluation(model, evaluation);
        }

        if (parse.GetValue(_json)) Out.Profile.Out.Writer.WriteLine(ToJson(suite, model, summaries, results, evaluation).ToJsonString(JsonFormats.Indented));
        else Render(suite, model, summaries, results, evaluation);
        return results.Any(r => r.Outcome == TaskRun.Error) ? ExitCodes.Error : ExitCodes.Ok;
    }

    /// <summary>Learned wins when its check pass rate is higher; a tie goes to the critic pass rate, then to fewer tokens; otherwise the heuristic.</summary>
    internal static ModelEvaluation Compare(PolicySummary learned, PolicySummary heuristic, DateTimeOffset now)
    {
        var order = learned.CheckPassRate.CompareTo(heuristic.CheckPassRate);
        if (order == 0) order = learned.CriticPassRate.CompareTo(heuristic.CriticPassRate);
        if (order == 0) order = heuristic.Tokens.CompareTo(learned.Tokens);
        return new ModelEvaluation(order > 0 ? ModelEvaluation.LearnedWinner : ModelEvaluation.HeuristicWinner, "eval-tasks", "check_pass_rate",
            learned.CheckPassRate, heuristic.CheckPassRate, now);
    }

    private void Render(TaskSuite suite, string? model, IReadOnlyList<PolicySummary> summaries, IReadOnlyList<TaskRun> runs, ModelEvaluation? evaluation)
    {
        Out.WriteLine($"Suite {suite.Name}: {suite.Tasks.Count} tasks" + (model is null ? "" : $"; learned model {model}"));
        var summary = new Table().Border(TableBorder.Simple).AddColumn("metric");
        foreach (var s in summaries) summary.AddColumn(new TableColumn(s.Policy).RightAligned());
        void Row(string name, Func<PolicySummary, string> value) => summary.AddRow([name, .. summaries.Select(value)]);
        Row("validity rate", s => Percent(s.ValidityRate));
        Row("critic pass rate", s => Percent(s.CriticPassRate));
        Row("check pass rate", s => Percent(s.CheckPassRate));
        Row("tokens", s => s.Tokens.ToString("N0", CultureInfo.InvariantCulture));
        Row("cost (USD)", s => s.Cost.ToString("0.0000", CultureInfo.InvariantCulture));
        Row("mean latency (s)", s => s.MeanLatency.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture));
        Out.Write(summary);

        var table = new Table().Border(TableBorder.Simple).AddColumn("task");
        foreach (var s in summaries) table.AddColumn(s.Policy);
        foreach (var task in suite.Tasks)
            table.AddRow([Markup.Escape(task.Id), .. summaries.Select(s => Markup.Escape(runs.Single(r => r.Task.Id == task.Id && r.Policy == s.Policy).Describe()))]);
        Out.Write(table);
        if (evaluation is not null)
            Out.WriteLine($"Recorded in {model}'s manifest: {evaluation.Winner} wins (check pass rate learned {Percent(evaluation.Learned)} vs heuristic {Percent(evaluation.Heuristic)}).");
    }

    private static string Percent(double rate) => (rate * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    private static JsonObject ToJson(TaskSuite suite, string? model, IReadOnlyList<PolicySummary> summaries, IReadOnlyList<TaskRun> runs, ModelEvaluation? evaluation) => new()
    {
        ["suite"] = suite.Directory,
        ["tasks"] = suite.Tasks.Count,
        ["model"] = model,
        ["policies"] = new JsonArray([.. summaries.Select(s => (JsonNode?)new JsonObject
        {
            ["policy"] = s.Policy,
            ["runs"] = s.Runs,
            ["valid"] = s.Valid,
            ["critic_passed"] = s.CriticPassed,
            ["checks_passed"] = s.ChecksPassed,
            ["validity_rate"] = Math.Round(s.ValidityRate, 6),
            ["critic_pass_rate"] = Math.Round(s.CriticPassRate, 6),
            ["check_pass_rate"] = Math.Round(s.CheckPassRate, 6),
            ["tokens"] = s.Tokens,
            ["cost"] = s.Cost,
            ["mean_latency_ms"] = Math.Round(s.MeanLatency.TotalMilliseconds, 2),
        })]),
        ["results"] = new JsonArray([.. runs.Select(r => (JsonNode?)r.ToJson())]),
        ["evaluation"] = evaluation is null ? null : new JsonObject
        {
            ["winner"] = evaluation.Winner,
            ["metric"] = evaluation.Metric,
            ["learned"] = Math.Round(evaluation.Learned, 6),
            ["heuristic"] = Math.Round(evaluation.Heuristic, 6),
        },
    };

    /// <summary>One task under one policy: in its own temporary workspace, gone afterwards.</summary>
    private sealed class TaskRunner(Workspace user, CliContext context)
    {
        public async Task<TaskRun> RunAsync(EvalTask task, string policy, CancellationToken cancellationToken)
        {
            var temp = Directory.CreateTempSubdirectory("minime-evaltask-");
            var clock = Stopwatch.StartNew();
            try
            {
                var workspace = Seed(temp.FullName);
                var options = Engine.LoadOptions(workspace);
                // Never the user's memory: a SQLite file and trace files in the temporary workspace, no hooks.
                options.Memory.Store = MemoryStoreKind.Sqlite;
                options.Memory.Path = "memory.db";
                options.Memory.Traces = TraceStoreKind.Files;
                options.Hooks.Clear();
                options.Masks.Policy = policy == Learned ? MaskPolicyKind.Learned : MaskPolicyKind.Heuristic;
                await using var engine = new Engine(workspace, options, allowEmptyMemory: true, context.Trust);
                await ImportMemoryAsync(engine, task, temp.FullName, cancellationToken);
                var pipeline = await engine.AskPipelineAsync(cancellationToken, withTeam: true);
                AskResult result;
                try
                {
                    result = await pipeline.RunAsync(new AskRequest(task.Task, DryRun: false, task.Domain), null, cancellationToken);
                }
                catch (MiniMeException e) when (e is AgentOutputException || e.Category == ErrorCategory.BudgetExceeded)
                {
                    return new TaskRun(task, policy, TaskRun.Invalid, null, [], null, clock.Elapsed, FirstLine(e.Message));
                }
                if (result.Team is not { } team || result.Totals is not { } totals)
                    return new TaskRun(task, policy, TaskRun.Invalid, result.PolicyName, [], result.Totals, clock.Elapsed, $"the run ended {result.Status} without the team");
                var checks = TaskChecker.Check(task.Checks, team, totals.TotalTokens);
                return new TaskRun(task, policy, checks.All(c => c.Passed) ? TaskRun.Passed : TaskRun.Failed, result.PolicyName, checks, totals, clock.Elapsed, null)
                {
                    CriticPassed = TaskChecker.CriticPassed(team),
                };
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e) when (e is MiniMeException or IOException or HttpRequestException or UnauthorizedAccessException)
            {
                return new TaskRun(task, policy, TaskRun.Error, null, [], null, clock.Elapsed, FirstLine(e.Message));
            }
            finally
            {
                try
                {
                    temp.Delete(recursive: true);
                }
                catch (IOException)
                {
                }
            }
        }

        /// <summary>The user's config.yaml, identity.yaml, allowlist.yaml and models/ copied into a fresh folder.</summary>
        private Workspace Seed(string root)
        {
            var workspace = new Workspace(root);
            File.Copy(user.ConfigPath, workspace.ConfigPath);
            if (File.Exists(user.IdentityPath)) File.Copy(user.IdentityPath, workspace.IdentityPath);
            if (File.Exists(user.AllowlistPath)) File.Copy(user.AllowlistPath, workspace.AllowlistPath);
            if (Directory.Exists(user.ModelsDirectory)) CopyDirectory(user.ModelsDirectory, workspace.ModelsDirectory);
            return workspace;
        }

        private static void CopyDirectory(string from, string to)
        {
            Directory.CreateDirectory(to);
            foreach (var file in Directory.EnumerateFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
            foreach (var dir in Directory.EnumerateDirectories(from)) CopyDirectory(dir, Path.Combine(to, Path.GetFileName(dir)));
        }

        private static async Task ImportMemoryAsync(Engine engine, EvalTask task, string root, CancellationToken cancellationToken)
        {
            if (task.Memory.Count == 0) return;
            var folder = Directory.CreateDirectory(Path.Combine(root, "task-memory")).FullName;
            foreach (var item in task.Memory)
            {
                var target = Path.Combine(folder, item.Name);
                if (item.File is not null) File.Copy(item.File, target, overwrite: true);
                else await File.WriteAllTextAsync(target, item.Text, cancellationToken);
            }
            var importer = await engine.ImporterAsync(cancellationToken);
            await importer.ImportAsync(new ImportRequest(folder), null, cancellationToken);
            if (await engine.VectorBackfillAsync(cancellationToken) is { } fill) await fill.FillAsync(null, cancellationToken);
        }

        private static string FirstLine(string message)
        {
            var end = message.IndexOfAny(['\r', '\n']);
            return end < 0 ? message : message[..end];
        }
    }
}

/// <summary>One task's run under one policy and what its checks found.</summary>
/// <param name="Outcome">passed, failed (ran, a check failed), invalid (output never schema-valid, or over budget) or error (could not run).</param>
internal sealed record TaskRun(EvalTask Task, string Policy, string Outcome, string? PolicyUsed, IReadOnlyList<CheckResult> Checks, RunTotals? Totals, TimeSpan Elapsed, string? Problem)
{
    public const string Passed = "passed";
    public const string Failed = "failed";
    public const string Invalid = "invalid";
    public const string Error = "error";

    public bool CriticPassed { get; init; }

    public bool Valid => Outcome is Passed or Failed;

    public string Describe() => Outcome switch
    {
        Passed => $"pass ({Checks.Count}/{Checks.Count})",
        Failed => $"FAIL ({Checks.Count(c => c.Passed)}/{Checks.Count}): " + string.Join(", ", Checks.Where(c => !c.Passed).Select(c => $"{c.Kind} {c.Expected}")),
        _ => Outcome + (Problem is null ? "" : ": " + Problem),
    };

    public JsonObject ToJson() => new()
    {
        ["task"] = Task.Id,
        ["policy"] = Policy,
        ["policy_used"] = PolicyUsed,
        ["outcome"] = Outcome,
        ["valid"] = Valid,
        ["critic_passed"] = CriticPassed,
        ["checks"] = new JsonArray([.. Checks.Select(c => (JsonNode?)new JsonObject { ["kind"] = c.Kind, ["expected"] = c.Expected, ["passed"] = c.Passed, ["detail"] = c.Detail })]),
        ["tokens"] = Totals?.TotalTokens ?? 0,
        ["cost"] = Totals?.Cost ?? 0m,
        ["model_calls"] = Totals?.ModelCalls ?? 0,
        ["latency_ms"] = Math.Round(Elapsed.TotalMilliseconds, 2),
        ["error"] = Problem,
    };
}

/// <summary>A policy's column of the report: rates over every run of the suite under it.</summary>
internal sealed record PolicySummary(string Policy, int Runs, int Valid, int CriticPassed, int ChecksPassed, long Tokens, decimal Cost, TimeSpan MeanLatency)
{
    public double ValidityRate => Runs == 0 ? 0 : (double)Valid / Runs;
    public double CriticPassRate => Runs == 0 ? 0 : (double)CriticPassed / Runs;
    public double CheckPassRate => Runs == 0 ? 0 : (double)ChecksPassed / Runs;

    public static PolicySummary Of(string policy, IReadOnlyList<TaskRun> runs) => new(policy, runs.Count,
        runs.Count(r => r.Valid), runs.Count(r => r.CriticPassed), runs.Count(r => r.Outcome == TaskRun.Passed),
        runs.Sum(r => r.Totals?.TotalTokens ?? 0), runs.Sum(r => r.Totals?.Cost ?? 0m),
        runs.Count == 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(runs.Average(r => r.Elapsed.TotalMilliseconds)));
}
