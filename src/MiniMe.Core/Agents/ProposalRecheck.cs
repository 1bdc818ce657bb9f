using System.Text;
using System.Text.Json.Nodes;
using MiniMe.Actions;
using MiniMe.Agents.Constraints;
using MiniMe.Identity;

namespace MiniMe.Agents;

/// <summary>How a final proposal compares with what the Critic reviewed.</summary>
public static class ProposalReviewStatus
{
    /// <summary>The same path with the same content (or diff) as in the reviewed build: not flagged.</summary>
    public const string Reviewed = "reviewed";
    /// <summary>A path the Critic reviewed, with other content (the Integrator rewrote or merged it): flagged.</summary>
    public const string Changed = "changed after review";
    /// <summary>A path that was not in the reviewed build at all: flagged.</summary>
    public const string New = "not reviewed";
    /// <summary>A command: the Builder proposes none, so the Critic never sees commands; they get the static checks only and are flagged when one fires.</summary>
    public const string Command = "command";
}

/// <summary>One final proposal compared with the reviewed build.</summary>
/// <param name="Digest">SHA-256 of what the proposal changes (see <see cref="ProposedChange.Digest"/>).</param>
/// <param name="ReviewedDigest">The digest of the reviewed build's change at the same path, if there was one.</param>
/// <param name="Findings">The static checks' findings on this proposal (only for proposals that differ from what was reviewed).</param>
/// <param name="Review">The note put on the proposal (<see cref="ActionProposal.Review"/>), or null when it is not flagged.</param>
public sealed record ProposalCheck(string ProposalId, string Tool, string? Path, string Status, string Digest, string? ReviewedDigest, IReadOnlyList<Violation> Findings, string? Review)
{
    public bool Flagged => Review is not null;
}

/// <summary>The re-check of the Integrator's proposals: the proposals (flagged ones carry a review note), each comparison, and reviewed paths no proposal carries any more.</summary>
public sealed record RecheckResult(IReadOnlyList<ActionProposal> Proposals, IReadOnlyList<ProposalCheck> Checks, IReadOnlyList<string> Dropped)
{
    public IEnumerable<ProposalCheck> Flagged => Checks.Where(c => c.Flagged);

    public JsonObject ToTrace() => new()
    {
        ["flagged"] = Checks.Count(c => c.Flagged),
        ["proposals"] = new JsonArray([.. Checks.Select(c => (JsonNode?)new JsonObject
        {
            ["id"] = c.ProposalId,
            ["tool"] = c.Tool,
            ["path"] = c.Path,
            ["status"] = c.Status,
            ["digest"] = c.Digest,
            ["reviewed_digest"] = c.ReviewedDigest,
            ["review"] = c.Review,
            ["findings"] = new JsonArray([.. c.Findings.Select(v => (JsonNode?)ViolationJson.From(v))]),
        })]),
        ["dropped"] = new JsonArray([.. Dropped.Select(d => (JsonNode?)d)]),
    };
}

/// <summary>
/// What the user approves must be what the Critic reviewed. After the Integrator, each final proposal
/// is compared by content hash with the last reviewed build (per path; a patch and a whole-file write
/// of the same path differ). A proposal that differs (changed, or a path the build did not have) is
/// re-run through the static checks and flagged: <see cref="ActionProposal.Review"/> says why, and the
/// rationale starts with "[review: ...]" so every approval surface that shows the rationale (the CLI
/// prompt, the ask output, the server's stored proposals) shows it too. A command is flagged only when
/// a static check fires on it.
/// </summary>
public static class ProposalRecheck
{
    public static RecheckResult Run(BuildOutput? reviewed, IReadOnlyList<ActionProposal> proposals, ArchitectPlan? plan, IReadOnlyList<WeightedPrinciple> principles, double rigor)
    {
        ArgumentNullException.ThrowIfNull(proposals);
        ArgumentNullException.ThrowIfNull(principles);
        var reviewedChanges = reviewed is null ? [] : ProposedChange.FromBuild(reviewed);
        var reviewedByKey = reviewedChanges.GroupBy(c => c.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Select(c => c.Digest).ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);
        var findings = StaticCritic.Check(proposals, plan, principles, rigor);

        var checks = new List<ProposalCheck>();
        var result = new List<ActionProposal>();
        var proposedKeys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var proposal in proposals)
        {
            var change = ProposedChange.FromProposal(proposal);
            if (change is null)
            {
                result.Add(proposal);
                continue;
            }
            proposedKeys.Add(change.Key);
            var reviewedDigests = reviewedByKey.GetValueOrDefault(change.Key);
            var status = change.Kind == ChangeKind.Command ? ProposalReviewStatus.Command
                : reviewedDigests is null ? ProposalReviewStatus.New
                : reviewedDigests.Contains(change.Digest) ? ProposalReviewStatus.Reviewed
                : ProposalReviewStatus.Changed;
            var own = status == ProposalReviewStatus.Reviewed ? [] : findings.Where(v => Owns(change, v)).ToList();
            var review = status switch
            {
                ProposalReviewStatus.Reviewed => null,
                ProposalReviewStatus.Command => own.Count == 0 ? null : Note("command checked after review", own),
                _ => Note(status, own),
            };
            checks.Add(new ProposalCheck(proposal.Id, proposal.Tool, change.Path, status, change.Digest,
                reviewedDigests is { Count: > 0 } && status != ProposalReviewStatus.Reviewed ? reviewedDigests.First() : status == ProposalReviewStatus.Reviewed ? change.Digest : null,
                own, review));
            result.Add(review is null ? proposal : proposal with { Review = review, Rationale = $"[review: {review}] {proposal.Rationale}" });
        }
        var dropped = reviewedChanges.Where(c => !proposedKeys.Contains(c.Key)).Select(c => c.Path!).Distinct(StringComparer.Ordinal).ToList();
        return new RecheckResult(result, checks, dropped);
    }

    private static bool Owns(ProposedChange change, Violation v) =>
        v.Location is not null && (string.Equals(v.Location, change.Location, StringComparison.Ordinal) ||
                                   change.Path is not null && string.Equals(ProposedChange.NormalizePath(v.Location), ProposedChange.NormalizePath(change.Path), StringComparison.Ordinal));

    /// <summary>"changed after review" or "changed after review; static checks: secret.keyword-value line 3 (blocking), plan.outside (warning)".</summary>
    private static string Note(string status, IReadOnlyList<Violation> findings)
    {
        if (findings.Count == 0) return status;
        var sb = new StringBuilder(status).Append("; static checks: ");
        sb.AppendJoin(", ", findings.Select(f => $"{f.RuleId ?? f.Rule}{(f.Line is { } line ? $" line {line}" : "")} ({f.Severity})"));
        return sb.ToString();
    }
}

/// <summary>A violation as the trace records it.</summary>
public static class ViolationJson
{
    public static JsonObject From(Violation v)
    {
        ArgumentNullException.ThrowIfNull(v);
        return new JsonObject
        {
            ["rule"] = v.Rule,
            ["rule_id"] = v.RuleId,
            ["message"] = v.Message,
            ["location"] = v.Location,
            ["line"] = v.Line,
            ["source"] = v.Source,
            ["blocking"] = v.Blocking,
            ["severity"] = v.Severity,
        };
    }
}
