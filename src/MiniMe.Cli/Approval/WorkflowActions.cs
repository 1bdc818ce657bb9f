using System.Text.Json.Nodes;
using MiniMe.Actions;
using MiniMe.Cli.Hosting;
using MiniMe.Tools.Approval;
using MiniMe.Workflows;
using Spectre.Console;

namespace MiniMe.Cli.Approval;

/// <summary>
/// A workflow's tool and human nodes at the terminal: a tool node's action goes through the same
/// approval gate and allowlist as `ask` proposals (never executed without approval; --yes approves,
/// the allowlist still applies); a human node asks for a confirmation, or with --yes goes on, or
/// without a terminal leaves the run waiting (resumable with `minime runs resume RUN_ID --yes`).
/// </summary>
internal sealed class WorkflowActions(CliContext context, Engine engine, ApprovalMode mode) : IWorkflowActions
{
    private readonly SemaphoreSlim _console = new(1, 1);

    public async Task<JsonObject> RunToolAsync(string runId, ActionProposal proposal, CancellationToken cancellationToken)
    {
        await _console.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var outcome = (await ActionApproval.ProcessAsync(context, engine, [proposal], mode, runId, cancellationToken).ConfigureAwait(false)).Single();
            if (outcome.Status is not (OutcomeStatus.Succeeded or OutcomeStatus.Failed) || outcome.Execution is not { } execution)
                throw new WorkflowNodeException($"{proposal.Tool} was not run ({outcome.Status.ToString().ToLowerInvariant()}): {outcome.Message}");
            var result = new JsonObject { ["succeeded"] = execution.Succeeded, ["summary"] = execution.Summary };
            if (proposal.Tool == "run_command")
            {
                result["exit_code"] = execution.ExitCode;
                result["stdout"] = execution.Output["stdout"]?.DeepClone();
                result["stderr"] = execution.Output["stderr"]?.DeepClone();
            }
            else result["output"] = execution.Output.DeepClone();
            return result;
        }
        finally
        {
            _console.Release();
        }
    }

    public async Task<bool?> ApproveAsync(string runId, string nodeId, string message, CancellationToken cancellationToken)
    {
        if (mode == ApprovalMode.Yes) return true;
        if (!context.InputInteractive) return null;
        await _console.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return context.Console.Confirm($"[bold]{Markup.Escape(nodeId)}[/]: {Markup.Escape(message)}", defaultValue: false);
        }
        finally
        {
            _console.Release();
        }
    }
}
