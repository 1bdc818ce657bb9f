namespace MiniMe.Agents.Constraints;

/// <summary>
/// tests.missing: the task's effective identity has a testing principle (tag "testing", or "test" in
/// its name) and the change touches files but no test file (a path containing "test" or "spec").
/// Named after the principle; blocking when its magnitude is at least 0.8 or the rigor at least 0.6,
/// else a warning.
/// </summary>
public sealed class MissingTestsRule : IConstraintRule
{
    public string Id => "tests.missing";

    public IEnumerable<Violation> Check(IReadOnlyList<ProposedChange> changes, ConstraintContext context)
    {
        var paths = ConstraintRules.PathChanges(changes).Select(c => c.Path!).ToList();
        if (context.Testing is not { } testing || paths.Count == 0 || paths.Any(IsTestPath)) yield break;
        yield return ConstraintRules.Finding(testing.Principle.Name, Id, "no test file is created or changed; add a test that fails if the behaviour breaks", null,
            blocking: context.Blocks(testing));
    }

    public static bool IsTestPath(string path) =>
        path.Contains("test", StringComparison.OrdinalIgnoreCase) || path.Contains("spec", StringComparison.OrdinalIgnoreCase);
}
