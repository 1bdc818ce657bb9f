using MiniMe.Hosting.Users;
using MiniMe.Server.Facts;
using MiniMe.Tracing;

namespace MiniMe.Server.Goals;

/// <summary>
/// Links a goal only to what the same user has: a fact of theirs, a run in their traces, one of their
/// conversations. The API and the CLI both link through here.
/// </summary>
public sealed class GoalLinkCheck(GoalStore goals, IUserFacts facts)
{
    public async Task<GoalLink> LinkAsync(UserSpace space, string goalId, string kind, string target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(space);
        var cleanKind = GoalLinkKinds.Parse(kind);
        var id = target?.Trim() ?? "";
        goals.Require(space.UserId, goalId);
        switch (cleanKind)
        {
            case GoalLinkKinds.Fact:
                if (!long.TryParse(id, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var factId))
                    throw new InvalidInputException($"Fact '{target}' is not a fact number; `minime facts` lists them.");
                if (await facts.GetAsync(space, factId, cancellationToken).ConfigureAwait(false) is null)
                    throw new NotFoundException($"No fact {factId}; `minime facts` (or GET /v1/memory/facts) lists yours.");
                id = factId.ToString(System.Globalization.CultureInfo.InvariantCulture);
                break;
            case GoalLinkKinds.Run:
                if (!RunId.IsValid(id)) throw new InvalidInputException($"'{target}' is not a valid run id (letters, digits, '-' and '_' only).");
                if (!space.Traces.Exists(id)) throw new NotFoundException($"No run '{id}'; `minime runs` (or GET /v1/runs) lists yours.");
                break;
            default:
                if (!goals.HasConversation(space.UserId, id))
                    throw new NotFoundException($"No conversation '{id}'; GET /v1/conversations lists yours.");
                break;
        }
        var link = goals.AddLink(space.UserId, goalId, cleanKind, id);
        // The evidence graph (docs/evidence.md): what the goal was linked to is used_in the goal; best effort.
        await space.Evidence().RecordAsync(new MiniMe.Evidence.EvidenceNode(cleanKind, id), MiniMe.Evidence.EvidenceRelations.UsedIn,
            new MiniMe.Evidence.EvidenceNode(MiniMe.Evidence.EvidenceKinds.Goal, goalId), cancellationToken).ConfigureAwait(false);
        return link;
    }
}
