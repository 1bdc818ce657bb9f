using System.Text.Json.Nodes;
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
/// <remarks>
/// A rejection runs nothing, so it never needs the tools: it is recorded (approval event, correction
/// pair in the user's feedback.jsonl) whatever the allowlist or the workspace's trust say. An approval
/// with edited arguments first checks them as the approval prompt would (the tool's schema, the
/// allowlist, the change worked out); arguments that do not pass answer 400/403 and leave the
/// proposal pending with nothing recorded. Passed, the runner records one <c>action_edited</c> pair
/// and executes the edited arguments.
/// </remarks>
public sealed class ToolProposalDecider : IProposalDecider
{
    public const string Who = Approvers.Api;

    private readonly RecordingProposalDecider _recordOnly = new();

    public async Task<ProposalOutcome> DecideAsync(UserSpace user, StoredProposal proposal, ProposalDecision decision, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(proposal);
        ArgumentNullException.ThrowIfNull(decision);
        if (!decision.Approve) return await _recordOnly.DecideAsync(user, proposal, decision, cancellationToken).ConfigureAwait(false);
        if (!user.IsOwner)
        {
            var recorded = await _recordOnly.DecideAsync(user, proposal, decision, cancellationToken).ConfigureAwait(false);
            return recorded with { Message = "approved; tools run only for the workspace owner, so nothing was executed" };
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
        var edited = RecordingProposalDecider.Edited(proposal, decision);
        if (edited is not null && host.Runner.Trust.IsTrusted)
            await CheckEditAsync(host.Runner, proposal, edited, cancellationToken).ConfigureAwait(false);
        var gate = new DecisionGate(edited);
        var outcome = await host.Runner.RunAsync(proposal.Proposal, ApprovalMode.Interactive, gate, new SilentPresenter(), proposal.RunId, cancellationToken).ConfigureAwait(false);
        if (!host.Runner.Trust.IsTrusted && outcome.Status == OutcomeStatus.Refused)
        {
            // The runner refused before asking anyone; the person's edit is still a correction.
            if (edited is not null && user.Traces.Exists(proposal.RunId))
                ActionCorrections.RecordEdited(user.Feedback, proposal.RunId, proposal.Proposal, proposal.Proposal.Arguments, edited);
            return new ProposalOutcome(ProposalStatuses.Approved, $"not executed: {host.Runner.Trust.Refusal}", Executed: false);
        }
        return outcome.Status switch
        {
            OutcomeStatus.Succeeded => new ProposalOutcome(ProposalStatuses.Approved, $"executed: {outcome.Message}", Executed: true, outcome.Command),
            OutcomeStatus.Failed => new ProposalOutcome(ProposalStatuses.Approved, $"failed: {outcome.Message}", Executed: true, outcome.Command),
            OutcomeStatus.Refused => new ProposalOutcome(ProposalStatuses.Approved, $"refused by the allowlist: {outcome.Message}", Executed: false),
            OutcomeStatus.Invalid => new ProposalOutcome(ProposalStatuses.Approved, $"invalid: {outcome.Message}", Executed: false),
            OutcomeStatus.Rejected => new ProposalOutcome(ProposalStatuses.Rejected, outcome.Message, Executed: false),
            OutcomeStatus.Vetoed => new ProposalOutcome(ProposalStatuses.Approved, outcome.Message, Executed: false),
            _ => new ProposalOutcome(ProposalStatuses.Approved, outcome.Message, Executed: false),
        };
    }

    /// <summary>Edited arguments the schema or the allowlist refuse change nothing: 400 (invalid) or 403 (refused), still pending.</summary>
    private static async Task CheckEditAsync(ToolRunner runner, StoredProposal proposal, JsonObject edited, CancellationToken cancellationToken)
    {
        var check = await runner.PreviewAsync(proposal.Proposal with { Arguments = edited }, cancellationToken).ConfigureAwait(false);
        if (check.Problem is not { } problem) return;
        var category = problem switch
        {
            OutcomeStatus.Refused => ErrorCategory.Refused,
            OutcomeStatus.Failed => ErrorCategory.Conflict,
            _ => ErrorCategory.InvalidInput,
        };
        var what = problem switch { OutcomeStatus.Refused => "are refused", OutcomeStatus.Failed => "cannot be applied", _ => "are invalid" };
        throw new ProposalNotStartedException(category, $"The edited arguments {what} ({check.Message}); nothing was run and the proposal is still pending.");
    }

    /// <summary>
    /// The answer the user already gave through the API, given once: the edit (when the arguments
    /// changed), then acceptance of the edited action when the runner shows it again.
    /// </summary>
    private sealed class DecisionGate(JsonObject? edited) : IApprovalGate
    {
        private bool _editGiven;

        public Task<ApprovalDecision> DecideAsync(ApprovalRequest request, CancellationToken cancellationToken)
        {
            if (edited is null || _editGiven) return Task.FromResult<ApprovalDecision>(new ApprovalDecision.Accept(Who));
            _editGiven = true;
            return Task.FromResult<ApprovalDecision>(new ApprovalDecision.Edit(Who, edited));
        }
    }
}
