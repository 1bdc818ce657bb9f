using MiniMe.Hosting.Users;
using MiniMe.Tools;
using MiniMe.Tools.Approval;

namespace MiniMe.Server.Ask;

/// <summary>
/// Carries out an API decision with the tool runner: the same allowlist, path confinement, sandbox,
/// approval and execution events as `minime ask` on the terminal. Tools act on the workspace's
/// project (tools.root), so only the workspace owner's approvals execute; other users' decisions are
/// recorded and nothing runs. In a workspace that is not trusted (`minime trust`) nothing runs either:
/// the runner refuses with the reason and records a refused execution event.
/// </summary>
public sealed class ToolProposalDecider : IProposalDecider
{
    public const string Who = "api";

    private readonly RecordingProposalDecider _recordOnly = new();

    public async Task<ProposalOutcome> DecideAsync(UserSpace user, StoredProposal proposal, ProposalDecision decision, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(proposal);
        ArgumentNullException.ThrowIfNull(decision);
        if (!user.IsOwner)
        {
            var recorded = await _recordOnly.DecideAsync(user, proposal, decision, cancellationToken).ConfigureAwait(false);
            return decision.Approve
                ? recorded with { Message = "approved; tools run only for the workspace owner, so nothing was executed" }
                : recorded;
        }

        ToolHost host;
        try
        {
            host = user.CreateTools();
        }
        catch (Exception e) when (e is MiniMeException or IOException or UnauthorizedAccessException)
        {
            // The allowlist or tools settings could not be loaded: nothing has run, so the proposal stays pending.
            throw new ProposalNotStartedException($"Nothing was run and the proposal is still pending: {e.Message}", e);
        }
        var gate = new DecisionGate(decision);
        var outcome = await host.Runner.RunAsync(proposal.Proposal, ApprovalMode.Interactive, gate, new SilentPresenter(), proposal.RunId, cancellationToken).ConfigureAwait(false);
        if (!host.Runner.Trust.IsTrusted && outcome.Status == OutcomeStatus.Refused)
            return new ProposalOutcome(decision.Approve ? ProposalStatuses.Approved : ProposalStatuses.Rejected, $"not executed: {host.Runner.Trust.Refusal}", Executed: false);
        return outcome.Status switch
        {
            OutcomeStatus.Succeeded => new ProposalOutcome(ProposalStatuses.Approved, $"executed: {outcome.Message}", Executed: true),
            OutcomeStatus.Failed => new ProposalOutcome(ProposalStatuses.Approved, $"failed: {outcome.Message}", Executed: true),
            OutcomeStatus.Refused => new ProposalOutcome(ProposalStatuses.Approved, $"refused by the allowlist: {outcome.Message}", Executed: false),
            OutcomeStatus.Invalid => new ProposalOutcome(ProposalStatuses.Approved, $"invalid: {outcome.Message}", Executed: false),
            OutcomeStatus.Rejected => new ProposalOutcome(ProposalStatuses.Rejected, outcome.Message, Executed: false),
            _ => new ProposalOutcome(ProposalStatuses.Approved, outcome.Message, Executed: false),
        };
    }

    /// <summary>The answer the user already gave through the API.</summary>
    private sealed class DecisionGate(ProposalDecision decision) : IApprovalGate
    {
        public Task<ApprovalDecision> DecideAsync(ApprovalRequest request, CancellationToken cancellationToken) =>
            Task.FromResult<ApprovalDecision>(
                !decision.Approve ? new ApprovalDecision.Reject(Who, decision.Reason is { Length: > 0 } r ? r : "rejected via the API")
                : decision.EditedArguments is { } edited ? new ApprovalDecision.Edit(Who, edited)
                : new ApprovalDecision.Accept(Who));
    }
}
