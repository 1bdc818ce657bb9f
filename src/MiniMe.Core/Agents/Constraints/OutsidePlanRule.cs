namespace MiniMe.Agents.Constraints;

/// <summary>
/// plan.protected, plan.sensitive, plan.outside: the Builder's files against the Architect's plan. A
/// file or patch under .git/ or .minime/ (hooks run code; MiniMe's home holds the allowlist and the
/// identity) blocks, planned or not. A CI configuration (.github/workflows, .github/actions,
/// .gitlab-ci.yml, .circleci/, azure-pipelines.yml, Jenkinsfile, .travis.yml, .buildkite/,
/// bitbucket-pipelines.yml, .gitea/ and .forgejo/ workflows, .ci/, .husky/, .githooks/) blocks unless
/// the plan lists it (or a folder holding it); without a plan it blocks too, since nothing asked for it.
/// Any other path the plan does not list is a warning; test files are exempt (the Builder is told to
/// add tests, and the missing-tests rule asks for them). Without a plan only the first two apply. Paths
/// that leave the repository are path.escape's and not judged here.
/// </summary>
public sealed class OutsidePlanRule : IConstraintRule
{
    private static readonly string[] ProtectedFolders = [".git/", ".minime/"];

    private static readonly string[] CiFolders =
        [".github/workflows/", ".github/actions/", ".circleci/", ".buildkite/", ".gitea/workflows/", ".forgejo/workflows/", ".ci/", ".husky/", ".githooks/"];

    private static readonly string[] CiFiles =
        [".gitlab-ci.yml", "azure-pipelines.yml", "jenkinsfile", ".travis.yml", "bitbucket-pipelines.yml", "appveyor.yml", ".drone.yml"];

    public string Id => "plan";

    public IEnumerable<Violation> Check(IReadOnlyList<ProposedChange> changes, ConstraintContext context)
    {
        var planned = context.Plan?.Files.Select(f => ProposedChange.NormalizePath(f.Path)).ToList();
        foreach (var path in ConstraintRules.PathChanges(changes).Select(c => c.Path!).Where(ConfinedPathsRule.IsConfined).Distinct(StringComparer.Ordinal))
        {
            var p = ProposedChange.NormalizePath(path);
            var inPlan = planned is not null && planned.Any(f => Covers(f, p));
            if (IsProtected(p))
                yield return ConstraintRules.Finding(StaticCritic.PlanRule, "plan.protected", "the change writes into .git/ or .minime/, which a build never changes", path);
            else if (IsCi(p) && !inPlan)
                yield return ConstraintRules.Finding(StaticCritic.PlanRule, "plan.sensitive",
                    planned is null ? "the change edits CI configuration that nothing planned" : "the change edits CI configuration the Architect's plan does not list", path);
            else if (planned is not null && !inPlan && !MissingTestsRule.IsTestPath(p))
                yield return ConstraintRules.Finding(StaticCritic.PlanRule, "plan.outside", "the file is not in the Architect's plan; keep the change to the planned files or say why", path, blocking: false);
        }
    }

    /// <summary>The plan lists the path itself, or a folder ("src/Greeter/" or "src/Greeter") that holds it.</summary>
    private static bool Covers(string planned, string path) =>
        string.Equals(planned, path, StringComparison.Ordinal) ||
        planned.Length > 0 && path.StartsWith(planned.EndsWith('/') ? planned : planned + "/", StringComparison.Ordinal);

    public static bool IsProtected(string path)
    {
        var p = "/" + ProposedChange.NormalizePath(path).ToLowerInvariant();
        return ProtectedFolders.Any(f => p.Contains("/" + f, StringComparison.Ordinal));
    }

    public static bool IsCi(string path)
    {
        var p = ProposedChange.NormalizePath(path).ToLowerInvariant();
        return CiFolders.Any(f => p.StartsWith(f, StringComparison.Ordinal)) || CiFiles.Contains(Path.GetFileName(p), StringComparer.Ordinal);
    }
}
