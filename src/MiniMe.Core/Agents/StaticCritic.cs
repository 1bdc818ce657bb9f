using MiniMe.Actions;
using MiniMe.Agents.Constraints;
using MiniMe.Identity;

namespace MiniMe.Agents;

/// <summary>
/// Deterministic checks of a build, run before the Critic model: the constraint set of
/// <see cref="ConstraintRules"/> (paths stay in the repository, one change per path, patches are
/// unified diffs, no credential files, no hard-coded secrets, no eval/exec/shell of input, no shell
/// strings in commands, files stay in the Architect's plan, tests come with the change, nothing a
/// principle rules out by name). Each finding is a static <see cref="Violation"/> with a rule id, the
/// file, the line where known, and a severity: blocking findings make the build invalid (the Builder
/// revises), warnings are advice. The same checks re-run on the Integrator's proposals
/// (<see cref="ProposalRecheck"/>).
/// </summary>
public static class StaticCritic
{
    public const string PathsRule = "Paths stay in the repository";
    public const string DuplicateRule = "One change per path";
    public const string DiffRule = "Patches are unified diffs";
    public const string SecretsRule = "No secrets in code";
    public const string CredentialFilesRule = "No credential files";
    public const string DynamicCodeRule = "No eval or shell of input";
    public const string ShellRule = "Commands without a shell";
    public const string PlanRule = "Changes follow the plan";

    public static IReadOnlyList<Violation> Check(BuildOutput build, IReadOnlyList<WeightedPrinciple> principles, double rigor) =>
        Check(build, null, principles, rigor);

    /// <summary>The Builder's files and patches, checked against the plan when the Architect ran.</summary>
    public static IReadOnlyList<Violation> Check(BuildOutput build, ArchitectPlan? plan, IReadOnlyList<WeightedPrinciple> principles, double rigor)
    {
        ArgumentNullException.ThrowIfNull(build);
        ArgumentNullException.ThrowIfNull(principles);
        return ConstraintRules.Check(ProposedChange.FromBuild(build), new ConstraintContext(principles, rigor, plan));
    }

    /// <summary>Action proposals (write_file, apply_patch, run_command), checked as one change set.</summary>
    public static IReadOnlyList<Violation> Check(IReadOnlyList<ActionProposal> proposals, ArchitectPlan? plan, IReadOnlyList<WeightedPrinciple> principles, double rigor)
    {
        ArgumentNullException.ThrowIfNull(proposals);
        ArgumentNullException.ThrowIfNull(principles);
        return ConstraintRules.Check(ProposedChange.FromProposals(proposals), new ConstraintContext(principles, rigor, plan));
    }
}
