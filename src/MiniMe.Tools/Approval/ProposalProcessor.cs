using MiniMe.Actions;

namespace MiniMe.Tools.Approval;

/// <summary>
/// The entry point for a run's proposals (the agent team's output, or `minime tool run`): each one is
/// checked, shown, decided, executed and audited in order; the outcomes come back in the same order.
/// </summary>
public sealed class ProposalProcessor(ToolRunner runner, IApprovalGate gate, IActionPresenter presenter)
{
    public async Task<IReadOnlyList<ActionOutcome>> ProcessAsync(IReadOnlyList<ActionProposal> proposals, ApprovalMode mode, string runId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(proposals);
        var outcomes = new List<ActionOutcome>(proposals.Count);
        foreach (var proposal in proposals)
            outcomes.Add(await runner.RunAsync(proposal, mode, gate, presenter, runId, cancellationToken).ConfigureAwait(false));
        return outcomes;
    }
}
