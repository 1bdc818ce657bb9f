using System.Text.RegularExpressions;
using MiniMe.Identity;
using MiniMe.Tracing;

namespace MiniMe.Agents;

/// <summary>
/// Deterministic checks of a build, run before the Critic model. A fixed constraint set always
/// applies and always blocks: paths stay inside the repository, no duplicate paths, patches are
/// unified diffs, no secrets in content, no writes to key or credential files. Principle checks
/// apply when the principle is in the task's effective identity: a testing principle requires a
/// test file; a security principle claims the secret and credential checks. A principle check blocks
/// when the principle's magnitude is at least 0.8 or the masks' rigor is at least 0.6; otherwise it
/// is advice.
/// </summary>
public static partial class StaticCritic
{
    public const string PathsRule = "Paths stay in the repository";
    public const string DuplicateRule = "One change per path";
    public const string DiffRule = "Patches are unified diffs";
    public const string SecretsRule = "No secrets in code";
    public const string CredentialFilesRule = "No credential files";

    public static IReadOnlyList<Violation> Check(BuildOutput build, IReadOnlyList<WeightedPrinciple> principles, double rigor)
    {
        ArgumentNullException.ThrowIfNull(build);
        ArgumentNullException.ThrowIfNull(principles);
        var violations = new List<Violation>();
        var security = principles.FirstOrDefault(p => HasTag(p, "security"));
        var testing = principles.FirstOrDefault(p => HasTag(p, "testing") || p.Principle.Name.Contains("test", StringComparison.OrdinalIgnoreCase));

        var paths = build.Files.Select(f => f.Path).Concat(build.Patches.Select(p => p.Path)).ToList();
        foreach (var path in paths.Where(p => !IsConfined(p)).Distinct(StringComparer.Ordinal))
            violations.Add(new Violation(PathsRule, "the path is absolute or climbs out with '..'; use a path relative to the repository root", path, "static"));
        foreach (var path in paths.GroupBy(Normalize, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.First()))
            violations.Add(new Violation(DuplicateRule, "the path is written or patched more than once; merge the changes", path, "static"));
        foreach (var patch in build.Patches.Where(p => !IsUnifiedDiff(p.Diff)))
            violations.Add(new Violation(DiffRule, "the patch needs ---/+++ file headers and at least one @@ hunk", patch.Path, "static"));
        foreach (var (path, content) in build.Files.Select(f => (f.Path, f.Content)).Concat(build.Patches.Select(p => (p.Path, p.Diff))))
            if (SecretRedactor.RedactText(content) != content)
                violations.Add(new Violation(security?.Principle.Name ?? SecretsRule, "the content contains what looks like a secret key or token; read it from the environment instead", path, "static"));
        foreach (var path in paths.Where(IsCredentialFile).Distinct(StringComparer.Ordinal))
            violations.Add(new Violation(security?.Principle.Name ?? CredentialFilesRule, "the change writes a key or credential file", path, "static"));

        if (testing is not null && paths.Count > 0 && !paths.Any(IsTestPath))
            violations.Add(new Violation(testing.Principle.Name, "no test file is created or changed; add a test that fails if the behaviour breaks", null, "static",
                Blocking: testing.Principle.Magnitude >= 0.8 || rigor >= 0.6));
        return violations;
    }

    private static bool HasTag(WeightedPrinciple p, string tag) => p.Principle.Tags.Any(t => string.Equals(t, tag, StringComparison.OrdinalIgnoreCase));

    private static string Normalize(string path) => path.Replace('\\', '/').TrimStart('.', '/');

    private static bool IsConfined(string path)
    {
        if (string.IsNullOrWhiteSpace(path) || Path.IsPathRooted(path) || path.StartsWith('/') || path.StartsWith('\\') || DriveLetter().IsMatch(path) || path.StartsWith('~'))
            return false;
        return !path.Replace('\\', '/').Split('/').Any(segment => segment == "..");
    }

    private static bool IsUnifiedDiff(string diff) =>
        diff.Contains("--- ", StringComparison.Ordinal) && diff.Contains("+++ ", StringComparison.Ordinal) && HunkHeader().IsMatch(diff);

    private static bool IsCredentialFile(string path)
    {
        var name = Path.GetFileName(path.Replace('\\', '/'));
        return name is ".env" || name.StartsWith("id_rsa", StringComparison.Ordinal) || name.StartsWith("id_ed25519", StringComparison.Ordinal) ||
               name.EndsWith(".pem", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".key", StringComparison.OrdinalIgnoreCase) ||
               name.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase);
    }

    private static bool IsTestPath(string path) =>
        path.Contains("test", StringComparison.OrdinalIgnoreCase) || path.Contains("spec", StringComparison.OrdinalIgnoreCase);

    [GeneratedRegex(@"^[A-Za-z]:")]
    private static partial Regex DriveLetter();

    [GeneratedRegex(@"^@@ -\d+(,\d+)? \+\d+(,\d+)? @@", RegexOptions.Multiline)]
    private static partial Regex HunkHeader();
}
