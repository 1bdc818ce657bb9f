using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using MiniMe.Cli.Approval;
using MiniMe.Cli.Hosting;
using MiniMe.Cli.Rendering;
using MiniMe.Configuration;
using MiniMe.Tools.Approval;
using MiniMe.Tracing;
using MiniMe.Workflows;
using Spectre.Console;

namespace MiniMe.Cli.Commands;

/// <summary>
/// `minime workflow`: declared workflows (docs/workflows.md): validate a manifest (exit 0, or 2 with every
/// problem as file:line:col), list the builtin ones and the workspace's workflows/ folder, show one, run one.
/// </summary>
internal sealed class WorkflowCommand : MiniMeCommand
{
    public WorkflowCommand(CliContext context)
        : base("workflow", "Declared workflows (*.workflow.yaml): validate, list, show and run them (alone: the list)", context)
    {
        Subcommands.Add(new ValidateCommand(context));
        Subcommands.Add(new ListCommand(context));
        Subcommands.Add(new ShowCommand(context));
        Subcommands.Add(new RunCommand(context));
    }

    protected override Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken) =>
        Task.FromResult(WriteList(Context, Catalog(parse), json: false));

    /// <summary>The workspace's workflows; in an initialized workspace a node's model: is checked against the configured models.</summary>
    private static WorkflowCatalog Catalog(ParseResult parse)
    {
        var workspace = Workspace.Resolve(parse.GetValue(GlobalOptions.Home));
        return new(workspace.WorkflowsDirectory, workspace.IsInitialized ? ModelNames(Engine.LoadOptions(workspace)) : null);
    }

    internal static IReadOnlyCollection<string> ModelNames(MiniMeOptions options) => [.. NamedModels.Of(options.Llm).Select(m => m.Name)];

    private static int WriteList(CliContext context, WorkflowCatalog catalog, bool json)
    {
        var entries = catalog.List();
        if (json)
        {
            context.Console.Profile.Out.Writer.WriteLine(new JsonArray([.. entries.Select(e => (JsonNode?)new JsonObject
            {
                ["name"] = e.Name,
                ["source"] = e.Source,
                ["builtin"] = e.Builtin,
                ["description"] = e.Description,
                ["valid"] = e.Problem is null,
                ["problem"] = e.Problem,
            })]).ToJsonString(JsonFormats.Indented));
            return ExitCodes.Ok;
        }
        var table = new Table().Border(TableBorder.Simple).AddColumn("name").AddColumn("source").AddColumn("description");
        foreach (var e in entries)
            table.AddRow(Markup.Escape(e.Name), Markup.Escape(e.Builtin ? "builtin" : Display(e.Source)),
                e.Problem is null ? Markup.Escape(e.Description ?? "") : "[red]invalid:[/] " + Markup.Escape(e.Problem));
        context.Console.Write(table);
        if (entries.All(e => e.Builtin))
            context.Console.MarkupLine("Add your own as [bold]workflows/NAME.workflow.yaml[/] in the workspace (docs/workflows.md).");
        return ExitCodes.Ok;
    }

    private sealed class ValidateCommand : MiniMeCommand
    {
        private readonly Argument<string> _file = new("FILE") { Description = "A *.workflow.yaml manifest, or a workflow's name" };

        public ValidateCommand(CliContext context) : base("validate", "Check a workflow manifest: exit 0, or 2 with every problem as file:line:col: message", context) =>
            Arguments.Add(_file);

        protected override Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            var definition = Catalog(parse).Load(parse.GetValue(_file)!, out _);
            Out.WriteLine($"{definition.Source}: valid workflow '{definition.Name}' ({definition.Nodes.Count} nodes, {definition.Edges.Count} edges, entry {definition.Entry}, exit {definition.Exit})");
            return Task.FromResult(ExitCodes.Ok);
        }
    }

    private sealed class ListCommand : MiniMeCommand
    {
        private readonly Option<bool> _json = new("--json") { Description = "Print a JSON array" };

        public ListCommand(CliContext context) : base("list", "The builtin workflows and those in the workspace's workflows/ folder", context) => Options.Add(_json);

        protected override Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken) =>
            Task.FromResult(WriteList(Context, Catalog(parse), parse.GetValue(_json)));
    }

    private sealed class ShowCommand : MiniMeCommand
    {
        private readonly Argument<string> _name = new("NAME") { Description = "builtin:NAME, a name from `minime workflow list`, or a file" };

        public ShowCommand(CliContext context) : base("show", "Print a workflow's manifest and its nodes and edges", context) => Arguments.Add(_name);

        protected override Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            var definition = Catalog(parse).Load(parse.GetValue(_name)!, out var text);
            var writer = Out.Profile.Out.Writer;
            writer.WriteLine($"# {definition.Name} (version {definition.Version}) from {definition.Source}");
            writer.WriteLine($"# entry {definition.Entry}, exit {definition.Exit}; nodes: {string.Join(", ", definition.Nodes.Select(n => $"{n.Id} ({n.Type}{(n.Agent ?? n.Tool) switch { null => "", var x => " " + x }})"))}");
            writer.WriteLine(text.TrimEnd());
            return Task.FromResult(ExitCodes.Ok);
        }
    }

    internal sealed class RunCommand : MiniMeCommand
    {
        private readonly Argument<string> _workflow = new("WORKFLOW") { Description = "A *.workflow.yaml file, builtin:NAME, or a name from `minime workflow list`" };
        private readonly Argument<string[]> _task = new("TASK") { Description = "What you want done", Arity = ArgumentArity.OneOrMore };
        private readonly Option<string[]> _inputs = InputOption();
        private readonly Option<bool> _yes = ActionApproval.YesOption();

        public RunCommand(CliContext context) : base("run", "Run a workflow on a task; tool nodes and proposals go through approval; checkpointed after every node (`minime runs resume`)", context)
        {
            Arguments.Add(_workflow);
            Arguments.Add(_task);
            Options.Add(_inputs);
            Options.Add(_yes);
        }

        public static Option<string[]> InputOption() => new("--input", "-i")
        {
            Description = "A workflow input, KEY=VALUE (repeat for more)",
            Arity = ArgumentArity.ZeroOrMore,
            AllowMultipleArgumentsPerToken = false,
        };

        protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            ArgumentGuards.RejectOptionLikeTokens(parse, _task);
            await using var engine = OpenEngine(parse);
            return await WorkflowRuns.StartAsync(Context, engine, parse.GetValue(_workflow)!, string.Join(' ', parse.GetValue(_task) ?? []),
                WorkflowRuns.ParseInputs(parse.GetValue(_inputs) ?? []), parse.GetValue(_yes), cancellationToken);
        }
    }
}

/// <summary>Running, resuming and reporting workflow runs at the terminal (workflow run, ask --workflow, runs resume).</summary>
internal static class WorkflowRuns
{
    public static Dictionary<string, string> ParseInputs(IEnumerable<string> pairs)
    {
        var inputs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) throw new InvalidInputException($"--input '{pair}' is not KEY=VALUE.");
            inputs[pair[..eq]] = pair[(eq + 1)..];
        }
        return inputs;
    }

    private static async Task<MiniMe.Runs.WorkflowRunner> RunnerAsync(Engine engine, CancellationToken cancellationToken) =>
        await engine.Owner.WorkflowRunnerAsync(cancellationToken).ConfigureAwait(false)
        ?? throw new ConfigException("No LLM provider is configured (llm.provider: none), so a workflow cannot run. Set llm.provider and llm.model in config.yaml; `minime doctor` checks the setup.", category: ErrorCategory.ModelNotConfigured);

    public static async Task<int> StartAsync(CliContext context, Engine engine, string workflowName, string task, IReadOnlyDictionary<string, string> inputs, bool yes, CancellationToken cancellationToken)
    {
        var catalog = new WorkflowCatalog(engine.Workspace.WorkflowsDirectory, WorkflowCommand.ModelNames(engine.Options));
        var workflow = catalog.Load(workflowName, out var manifest);
        var bound = WorkflowExecutor.BindInputs(workflow, inputs);
        var runner = await RunnerAsync(engine, cancellationToken).ConfigureAwait(false);
        return await ReportAsync(context, engine, yes, (actions, observer) =>
            runner.StartAsync(workflow, manifest, task, bound, actions, observer, cancellationToken,
                runId => context.Error.WriteLine($"run {runId}: workflow {workflow.Name} ({workflow.Source})")), cancellationToken).ConfigureAwait(false);
    }

    public static async Task<int> ResumeAsync(CliContext context, Engine engine, string runId, bool yes, CancellationToken cancellationToken)
    {
        if (engine.Owner.Checkpoints.Load(runId).Status == "completed")
            throw new InvalidInputException($"Run {runId} already completed; nothing to resume.");
        var runner = await RunnerAsync(engine, cancellationToken).ConfigureAwait(false);
        context.Error.WriteLine($"run {runId}: resuming from its checkpoint");
        return await ReportAsync(context, engine, yes, (actions, observer) => runner.ResumeAsync(runId, actions, observer, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    private static async Task<int> ReportAsync(CliContext context, Engine engine, bool yes,
        Func<IWorkflowActions, MiniMe.Agents.TeamObserver, Task<WorkflowResult>> run, CancellationToken cancellationToken)
    {
        var mode = ActionApproval.Mode(yes, dryRun: false, analysisOnly: false);
        var actions = new WorkflowActions(context, engine, mode);
        var live = new AgentStreamRenderer(context.Error);
        var gate = new Lock();
        WorkflowResult result;
        try
        {
            result = await run(actions, (e, _) =>
            {
                lock (gate) live.Render(e);
                return ValueTask.CompletedTask;
            }).ConfigureAwait(false);
        }
        finally
        {
            live.EndLine();
        }
        var state = result.State;
        var table = new Table().Border(TableBorder.Simple).AddColumn("node").AddColumn("status").AddColumn(new TableColumn("runs").RightAligned()).AddColumn("error");
        foreach (var (id, node) in state.Nodes)
            table.AddRow(Markup.Escape(id), node.Status, node.Runs.ToString(CultureInfo.InvariantCulture), Markup.Escape(node.Error ?? ""));
        context.Console.Write(table);
        context.Console.WriteLine($"run {state.RunId}: {result.Status}; {state.PromptTokens + state.CompletionTokens} tokens in {state.Calls} model calls");
        if (result.Status == "waiting")
        {
            context.Console.WriteLine($"waiting for approval at {string.Join(", ", result.Waiting)}; continue with `minime runs resume {state.RunId}` in a terminal, or add --yes");
            return ExitCodes.Ok;
        }
        if (result.Proposals.Count == 0) return ExitCodes.Ok;
        var outcomes = await ActionApproval.ProcessAsync(context, engine, result.Proposals, mode, state.RunId, cancellationToken).ConfigureAwait(false);
        return outcomes.Any(o => o.Status is OutcomeStatus.Failed or OutcomeStatus.Refused or OutcomeStatus.Invalid) ? ExitCodes.Error : ExitCodes.Ok;
    }
}
