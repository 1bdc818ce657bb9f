using System.CommandLine;
using MiniMe.Cli.Approval;
using MiniMe.Cli.Hosting;
using MiniMe.Cli.Rendering;
using MiniMe.Configuration;
using MiniMe.Runs;
using MiniMe.Tools.Approval;

namespace MiniMe.Cli.Commands;

internal sealed class AskCommand : MiniMeCommand
{
    private readonly Argument<string[]> _task = new("TASK") { Description = "What you want done", Arity = ArgumentArity.OneOrMore };
    private readonly Option<bool> _dryRun = new("--dry-run") { Description = "Classify, compute masks, retrieve and assemble the context; call no model and run nothing" };
    private readonly Option<bool> _yes = ActionApproval.YesOption();
    private readonly Option<bool> _analysisOnly = ActionApproval.AnalysisOnlyOption();
    private readonly Option<string?> _domain = new("--domain") { Description = "Force the task's domain instead of classifying it" };
    private readonly Option<string?> _workflow = new("--workflow") { Description = "Run this workflow (builtin:team, a name from `minime workflow list`, or a file) instead of the built-in team" };
    private readonly Option<string[]> _inputs = WorkflowCommand.RunCommand.InputOption();
    private readonly Option<int?> _budget = NumberOptions.OptionalWhole("--budget", "Context token budget, at least 100 (default: context.budgetTokens)", 100, int.MaxValue);

    public AskCommand(CliContext context) : base("ask", "Plan engineering work with the agent team and show the proposed actions; --dry-run shows the masks, retrieval and context", context)
    {
        Arguments.Add(_task);
        Options.Add(_dryRun);
        Options.Add(_domain);
        Options.Add(_budget);
        Options.Add(_yes);
        Options.Add(_analysisOnly);
        Options.Add(_workflow);
        Options.Add(_inputs);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        ArgumentGuards.RejectOptionLikeTokens(parse, _task);
        var task = string.Join(' ', parse.GetValue(_task) ?? []);
        var dryRun = parse.GetValue(_dryRun);
        await using var engine = OpenEngine(parse);
        if (parse.GetValue(_workflow) is { } workflow && !dryRun)
            return await WorkflowRuns.StartAsync(Context, engine, workflow, task, WorkflowRuns.ParseInputs(parse.GetValue(_inputs) ?? []), parse.GetValue(_yes), cancellationToken);
        string? notice = null;
        if (!dryRun && !NamedModels.IsConfigured(engine.Options.Llm))
        {
            notice = "No LLM provider is configured (llm.provider: none), so this is a dry run. Set llm.provider in config.yaml or MINIME_LLM__PROVIDER (openai, ollama, anthropic) and llm.model to run the agent team; `minime doctor` checks the setup.";
            Context.Error.WriteLine(notice);
        }
        var request = new AskRequest(task, dryRun, parse.GetValue(_domain), parse.GetValue(_budget));
        var withTeam = !dryRun && notice is null;
        if (withTeam && !parse.GetValue(_analysisOnly) && ActionApproval.UntrustedReason(Context, engine) is { } untrusted)
            Context.Error.WriteLine($"Every action the team proposes will be refused: {untrusted}.");
        var pipeline = await engine.AskPipelineAsync(cancellationToken, withTeam);
        foreach (var warning in pipeline.ToolWarnings) Context.Error.WriteLine("warning: " + warning);
        if (!withTeam)
        {
            AskRenderer.Render(Out, await pipeline.RunAsync(request, notice, cancellationToken));
            return ExitCodes.Ok;
        }

        var live = new AgentStreamRenderer(Context.Error);
        AskResult? result = null;
        try
        {
            await foreach (var e in pipeline.StreamAsync(request, notice, cancellationToken))
            {
                if (e is RunFinished finished) result = finished.Result;
                else live.Render(e);
            }
        }
        finally
        {
            live.EndLine();
        }
        TeamRenderer.Render(Out, result ?? throw new InvalidOperationException("The run ended without a result."));
        if (result.Team is not { Proposals.Count: > 0 } team) return ExitCodes.Ok;

        // Every side effect goes through the approval gate and the allowlist; --yes never bypasses the allowlist.
        var mode = ActionApproval.Mode(parse.GetValue(_yes), dryRun: false, parse.GetValue(_analysisOnly));
        var outcomes = await ActionApproval.ProcessAsync(Context, engine, team.Proposals, mode, result.RunId, cancellationToken);
        return outcomes.Any(o => o.Status is OutcomeStatus.Failed or OutcomeStatus.Refused or OutcomeStatus.Invalid or OutcomeStatus.Vetoed) ? ExitCodes.Error : ExitCodes.Ok;
    }
}
