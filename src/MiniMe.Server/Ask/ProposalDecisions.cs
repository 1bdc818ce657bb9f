using System.Text.Json.Nodes;
using MiniMe.Hosting.Users;
using MiniMe.Tools.Approval;
using MiniMe.Tracing;

namespace MiniMe.Server.Ask;

/// <summary>The user's answer to a proposal through the API. Approve may carry edited arguments.</summary>
public sealed record ProposalDecision(bool Approve, JsonObject? EditedArguments, string? Reason);

/// <summary>
/// What deciding did: the stored status and a one-line account (executed, refused, not executed, ...);
/// <paramref name="Command"/> is what an executed run_command printed and how it ended (secrets masked).
/// </summary>
public sealed record ProposalOutcome(string Status, string Message, bool Executed, MiniMe.Tools.CommandOutput? Command = null);

/// <summary>
/// A decision could not begin and nothing ran; the proposal goes back to pending so it can be decided
/// again. Reported as what stopped it (a malformed allowlist is a configuration problem, edited
/// arguments the tool's schema or the allowlist refuse are the caller's).
/// </summary>
public sealed class ProposalNotStartedException : MiniMeException
{
    public ProposalNotStartedException(string message, Exception? inner = null)
        : base((inner as MiniMeException)?.Category ?? ErrorCategory.Internal, message, inner)
    {
    }

    public ProposalNotStartedException(ErrorCategory category, string message)
        : base(category, message)
    {
    }
}

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
/// Records the decision in the run's trace (approval event) and, when a person rejected or edited
/// the proposal, the correction pair in that user's feedback.jsonl (<see cref="ActionCorrections"/>,
/// the shape the terminal prompt writes); nothing runs, and the outcome says so. Each decision is
/// recorded once: the proposal was claimed first (<see cref="ProposalStore.Claim"/>), so a retried or
/// replayed decision of it is refused before it gets here.
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
        var edited = Edited(proposal, decision);
        if (traced)
        {
            user.Traces.Append(proposal.RunId, TraceEventTypes.Approval, new JsonObject
            {
                ["proposal_id"] = proposal.Id,
                ["tool"] = proposal.Proposal.Tool,
                ["decision"] = decision.Approve ? "accept" : "reject",
                ["who"] = Approvers.User,
                ["via"] = Approvers.Api,
                ["edited"] = edited is not null,
                ["reason"] = decision.Reason,
            });
            RecordCorrection(user, proposal, decision);
        }
        if (!decision.Approve)
            return Task.FromResult(new ProposalOutcome(ProposalStatuses.Rejected, decision.Reason is { Length: > 0 } r ? $"rejected: {r}" : "rejected", false));
        return Task.FromResult(new ProposalOutcome(ProposalStatuses.Approved, NotExecuted, false));
    }

    /// <summary>The edited arguments when they differ from the proposed ones; an "edit" that changes nothing is a plain approval.</summary>
    public static JsonObject? Edited(StoredProposal proposal, ProposalDecision decision)
    {
        ArgumentNullException.ThrowIfNull(proposal);
        ArgumentNullException.ThrowIfNull(decision);
        return decision.Approve && decision.EditedArguments is { } edited && !JsonNode.DeepEquals(edited, proposal.Proposal.Arguments) ? edited : null;
    }

    /// <summary>The correction pair of a person's rejection or edit, in the user's feedback.jsonl (the run must exist).</summary>
    public static void RecordCorrection(UserSpace user, StoredProposal proposal, ProposalDecision decision)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(proposal);
        ArgumentNullException.ThrowIfNull(decision);
        if (!decision.Approve)
            ActionCorrections.RecordRejected(user.Feedback, proposal.RunId, proposal.Proposal, proposal.Proposal.Arguments, decision.Reason?.Trim() ?? "");
        else if (Edited(proposal, decision) is { } edited)
            ActionCorrections.RecordEdited(user.Feedback, proposal.RunId, proposal.Proposal, proposal.Proposal.Arguments, edited);
    }
}
