using System.Text.RegularExpressions;

namespace MiniMe.Agents.Constraints;

/// <summary>path.escape: a path is absolute, has a drive letter or "~", or climbs out with "..". Blocking.</summary>
public sealed partial class ConfinedPathsRule : IConstraintRule
{
    public string Id => "path.escape";

    public IEnumerable<Violation> Check(IReadOnlyList<ProposedChange> changes, ConstraintContext context) =>
        ConstraintRules.PathChanges(changes).Select(c => c.Path!).Where(p => !IsConfined(p)).Distinct(StringComparer.Ordinal)
            .Select(p => ConstraintRules.Finding(StaticCritic.PathsRule, Id, "the path is absolute or climbs out with '..'; use a path relative to the repository root", p));

    public static bool IsConfined(string path)
    {
        if (string.IsNullOrWhiteSpace(path) || Path.IsPathRooted(path) || path.StartsWith('/') || path.StartsWith('\\') || DriveLetter().IsMatch(path) || path.StartsWith('~'))
            return false;
        return !path.Replace('\\', '/').Split('/').Any(segment => segment == "..");
    }

    [GeneratedRegex(@"^[A-Za-z]:", RegexOptions.None, ConstraintRules.RegexTimeoutMs)]
    private static partial Regex DriveLetter();
}

/// <summary>path.duplicate: the same path is written or patched more than once. Blocking.</summary>
public sealed class DuplicatePathsRule : IConstraintRule
{
    public string Id => "path.duplicate";

    public IEnumerable<Violation> Check(IReadOnlyList<ProposedChange> changes, ConstraintContext context) =>
        ConstraintRules.PathChanges(changes).GroupBy(c => ProposedChange.NormalizePath(c.Path!).TrimStart('.', '/'), StringComparer.Ordinal)
            .Where(g => g.Count() > 1)
            .Select(g => ConstraintRules.Finding(StaticCritic.DuplicateRule, Id, "the path is written or patched more than once; merge the changes", g.First().Path));
}

/// <summary>patch.format: a patch lacks ---/+++ headers or an @@ hunk. Blocking.</summary>
public sealed partial class UnifiedDiffRule : IConstraintRule
{
    public string Id => "patch.format";

    public IEnumerable<Violation> Check(IReadOnlyList<ProposedChange> changes, ConstraintContext context) =>
        changes.Where(c => c.Kind == ChangeKind.Patch && !IsUnifiedDiff(c.Text))
            .Select(c => ConstraintRules.Finding(StaticCritic.DiffRule, Id, "the patch needs ---/+++ file headers and at least one @@ hunk", c.Path));

    private static bool IsUnifiedDiff(string diff) =>
        diff.Contains("--- ", StringComparison.Ordinal) && diff.Contains("+++ ", StringComparison.Ordinal) && HunkHeader().IsMatch(diff);

    [GeneratedRegex(@"^@@ -\d+(,\d+)? \+\d+(,\d+)? @@", RegexOptions.Multiline, ConstraintRules.RegexTimeoutMs)]
    private static partial Regex HunkHeader();
}

/// <summary>secret.file: the change writes a key or credential file (.env, id_rsa*, id_ed25519*, *.pem, *.key, *.pfx). Blocking; attributed to the security principle when there is one.</summary>
public sealed class CredentialFilesRule : IConstraintRule
{
    public string Id => "secret.file";

    public IEnumerable<Violation> Check(IReadOnlyList<ProposedChange> changes, ConstraintContext context) =>
        ConstraintRules.PathChanges(changes).Select(c => c.Path!).Where(IsCredentialFile).Distinct(StringComparer.Ordinal)
            .Select(p => ConstraintRules.Finding(context.Security?.Principle.Name ?? StaticCritic.CredentialFilesRule, Id, "the change writes a key or credential file", p));

    public static bool IsCredentialFile(string path)
    {
        var name = Path.GetFileName(path.Replace('\\', '/'));
        return name is ".env" || name.StartsWith(".env.", StringComparison.Ordinal) && !IsEnvTemplate(name) ||
               name.StartsWith("id_rsa", StringComparison.Ordinal) || name.StartsWith("id_ed25519", StringComparison.Ordinal) ||
               name.EndsWith(".pem", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".key", StringComparison.OrdinalIgnoreCase) ||
               name.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>.env.example, .env.sample, .env.template: documentation of the variables, not their values.</summary>
    private static bool IsEnvTemplate(string name) =>
        name.EndsWith(".example", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".sample", StringComparison.OrdinalIgnoreCase) ||
        name.EndsWith(".template", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".dist", StringComparison.OrdinalIgnoreCase);
}
