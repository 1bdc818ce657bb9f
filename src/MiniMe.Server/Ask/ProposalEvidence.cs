using MiniMe.Evidence;
using MiniMe.Hosting.Users;

namespace MiniMe.Server.Ask;

/// <summary>
/// The evidence of the approval gate (docs/evidence.md): each stored proposal proposed_by its run; each decision
/// (decision:PROPOSAL_ID) derived_from its proposal and approved_by the user who decided, with the verdict
/// (approved, rejected, failed) as the edge's detail. Best effort: never fails the ask or the decision.
/// </summary>
public static class ProposalEvidence
{
    public static Task ProposedAsync(UserSpace space, IEnumerable<StoredProposal> proposals, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(space);
        ArgumentNullException.ThrowIfNull(proposals);
        var edges = proposals.Select(p => new EvidenceEdge(
            new EvidenceNode(EvidenceKinds.Proposal, p.Id), EvidenceRelations.ProposedBy, new EvidenceNode(EvidenceKinds.Run, p.RunId ?? ""),
            p.CreatedAt, p.Proposal.Tool)).ToList();
        return space.Evidence().RecordAsync(edges, cancellationToken);
    }

    public static Task DecidedAsync(UserSpace space, StoredProposal decided, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(space);
        ArgumentNullException.ThrowIfNull(decided);
        var graph = space.Evidence();
        var decision = new EvidenceNode(EvidenceKinds.Decision, decided.Id);
        var at = decided.DecidedAt ?? DateTimeOffset.UtcNow;
        return graph.RecordAsync(
        [
            new EvidenceEdge(decision, EvidenceRelations.DerivedFrom, new EvidenceNode(EvidenceKinds.Proposal, decided.Id), at, decided.Proposal.Tool),
            new EvidenceEdge(decision, EvidenceRelations.ApprovedBy, graph.Owner, at, decided.Status),
        ], cancellationToken);
    }
}
