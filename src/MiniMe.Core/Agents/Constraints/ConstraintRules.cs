using System.Text.RegularExpressions;
using MiniMe.Identity;

namespace MiniMe.Agents.Constraints;

/// <summary>What the rules check a set of changes against.</summary>
/// <param name="Principles">The task's effective principles.</param>
/// <param name="Rigor">The masks' rigor (0-1): principle checks block at 0.6 and above.</param>
/// <param name="Plan">The Architect's plan, when the Architect ran.</param>
public sealed record ConstraintContext(IReadOnlyList<WeightedPrinciple> Principles, double Rigor, ArchitectPlan? Plan = null)
{
    public WeightedPrinciple? Security { get; } = Principles.FirstOrDefault(p => HasTag(p, "security"));

    public WeightedPrinciple? Testing { get; } = Principles.FirstOrDefault(p => HasTag(p, "testing") || p.Principle.Name.Contains("test", StringComparison.OrdinalIgnoreCase));

    /// <summary>Whether a principle check blocks: the principle's magnitude is at least 0.8 or the rigor at least 0.6.</summary>
    public bool Blocks(WeightedPrinciple principle) => principle.Principle.Magnitude >= 0.8 || Rigor >= 0.6;

    private static bool HasTag(WeightedPrinciple p, string tag) => p.Principle.Tags.Any(t => string.Equals(t, tag, StringComparison.OrdinalIgnoreCase));
}

/// <summary>One deterministic check with one responsibility. It reports each finding as a static <see cref="Violation"/> with its rule id.</summary>
public interface IConstraintRule
{
    /// <summary>The id prefix of its findings, e.g. "secret", "code", "command", "plan".</summary>
    string Id { get; }

    IEnumerable<Violation> Check(IReadOnlyList<ProposedChange> changes, ConstraintContext context);
}

/// <summary>
/// The constraint set the Critic enforces before the model reviews a build, in the order they run.
/// Every regex is source-generated with a match timeout (<see cref="RegexTimeoutMs"/>); a check that
/// times out on some content reports a warning rather than hanging or passing silently.
/// </summary>
public static class ConstraintRules
{
    public const int RegexTimeoutMs = 250;

    public static IReadOnlyList<IConstraintRule> All { get; } =
    [
        new ConfinedPathsRule(),
        new DuplicatePathsRule(),
        new UnifiedDiffRule(),
        new CredentialFilesRule(),
        new HardCodedSecretsRule(),
        new DynamicCodeRule(),
        new ShellStringRule(),
        new OutsidePlanRule(),
        new MissingTestsRule(),
        new PrincipleKeywordsRule(),
    ];

    /// <summary>Runs every rule over <paramref name="changes"/>.</summary>
    public static IReadOnlyList<Violation> Check(IReadOnlyList<ProposedChange> changes, ConstraintContext context)
    {
        ArgumentNullException.ThrowIfNull(changes);
        ArgumentNullException.ThrowIfNull(context);
        var violations = new List<Violation>();
        foreach (var rule in All)
        {
            try
            {
                violations.AddRange(rule.Check(changes, context));
            }
            catch (RegexMatchTimeoutException)
            {
                violations.Add(new Violation("Static checks", $"the {rule.Id} check timed out on this content; review it by hand", null, "static", Blocking: false, RuleId: rule.Id + ".timeout"));
            }
        }
        return violations;
    }

    /// <summary>Paths (of files and patches) as proposed.</summary>
    internal static IEnumerable<ProposedChange> PathChanges(IEnumerable<ProposedChange> changes) => changes.Where(c => c.Kind != ChangeKind.Command && c.Path is not null);

    /// <summary>The static violation shape every rule reports.</summary>
    internal static Violation Finding(string rule, string ruleId, string message, string? location, int? line = null, bool blocking = true) =>
        new(rule, message, location, "static", blocking, ruleId, line);
}
