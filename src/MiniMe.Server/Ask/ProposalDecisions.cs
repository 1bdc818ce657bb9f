using System.Text.Json.Nodes;
using MiniMe.Hosting.Users;
using MiniMe.Tracing;

namespace MiniMe.Server.Ask;

/// <summary>The user's answer to a proposal through the API. Approve may carry edited arguments.</summary>
public sealed record ProposalDecision(bool Approve, JsonObject? EditedArguments, string? Reason);

/// <summary>What deciding did: the stored status and a one-line account (executed, refused, not executed, ...).</summary>
public sealed record ProposalOutcome(string Status, string Message, bool Executed);

/// <summary>
/// A decision could not begin and nothing ran; the proposal goes back to pending so it can be decided
/// again. Reported as what stopped it (a malformed allowlist is a configuration problem).
/// </summary>
public sealed class ProposalNotStartedException(string message, Exception? inner = null)
    : MiniMeException((inner as MiniMeException)?.Category ?? ErrorCategory.Internal, message, inner);

/// <summary>
/// Carries out a decision: the tool runner (allowlist, execution, audit) plugs in here. The server
/// ships <see cref="RecordingProposalDecider"/>, which records the decision and executes nothing.
/// </summary>
/// <remarks>
/// Throw <see cref="ProposalNotStartedException"/> only when nothing ran (the proposal returns to
/// pending); any other exception ends the proposal as failed.
/// </remarks>
public interface IProposalDecider
{
    Task<ProposalOutcome> DecideAsync(UserSpace user, StoredProposal proposal, ProposalDecision decision, CancellationToken cancellationToken);
}

/// <summary>
/// Records the decision in the run's trace (approval event) and a rejection as a correction pair in
/// the user's feedback; nothing runs, and the outcome says so.
/// </summary>
public sealed class RecordingProposalDecider : IProposalDecider
{
    public const string NotExecuted = "approved; no tool runner is connected to this server, so nothing was executed";

    public Task<ProposalOutcome> DecideAsync(UserSpace user, StoredProposal proposal, ProposalDecision decision, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(proposal);
        ArgumentNullException.ThrowIfNull(decision);
        var traced = user.Traces.Exists(proposal.RunId);
        if (traced)
            user.Traces.Append(proposal.RunId, TraceEventTypes.Approval, new JsonObject
            {
                ["proposal_id"] = proposal.Id,
                ["tool"] = proposal.Proposal.Tool,
                ["decision"] = decision.Approve ? "accept" : "reject",
                ["who"] = "user",
                ["via"] = "api",
                ["edited"] = decision.EditedArguments is not null,
                ["reason"] = decision.Reason,
            });
        if (!decision.Approve)
        {
            if (traced)
                user.Feedback.Record(proposal.RunId, new JsonObject
                {
                    ["action"] = "reject",
                    ["proposal_id"] = proposal.Id,
                    ["tool"] = proposal.Proposal.Tool,
                }, decision.Reason);
            return Task.FromResult(new ProposalOutcome(ProposalStatuses.Rejected, decision.Reason is { Length: > 0 } r ? $"rejected: {r}" : "rejected", false));
        }
        return Task.FromResult(new ProposalOutcome(ProposalStatuses.Approved, NotExecuted, false));
    }
}
