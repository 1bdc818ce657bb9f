using System.Text.RegularExpressions;

namespace MiniMe.Agents.Constraints;

/// <summary>
/// code.eval, code.exec, code.function, code.shell-true, code.os-system, code.runtime-exec: a line the
/// change introduces evaluates code or runs a shell from a string: eval(...), exec(...) (Python, PHP,
/// child_process.exec in Node; not a method such as regex.exec or model.eval()), new Function(...),
/// subprocess.*(..., shell=True), os.system/os.popen(...), Runtime.getRuntime().exec(...). Blocking
/// when the argument is anything but one plain string literal (a variable, input(), concatenation,
/// an f-string or a format call can carry input); a warning when it is a constant literal. Comment
/// lines and documentation files (.md, .txt, .rst, .adoc) are not code and are skipped.
/// </summary>
public sealed partial class DynamicCodeRule : IConstraintRule
{
    private static readonly string[] DocumentExtensions = [".md", ".markdown", ".txt", ".rst", ".adoc"];

    private static readonly (string Id, Func<Regex> Pattern, string What)[] Calls =
    [
        ("code.eval", Eval, "eval() runs a string as code"),
        ("code.exec", Exec, "exec() runs a string as code or a shell command"),
        ("code.function", FunctionConstructor, "the Function constructor compiles a string as code"),
        ("code.shell-true", ShellTrue, "subprocess with shell=True runs the string through a shell"),
        ("code.os-system", OsSystem, "os.system/os.popen runs the string through a shell"),
        ("code.runtime-exec", RuntimeExec, "Runtime.exec runs the string as a command"),
    ];

    public string Id => "code";

    public IEnumerable<Violation> Check(IReadOnlyList<ProposedChange> changes, ConstraintContext context)
    {
        foreach (var change in changes.Where(c => c.Kind != ChangeKind.Command && !IsDocument(c.Path!)))
            foreach (var line in change.AddedLines().Where(l => !IsComment(l.Text)))
                foreach (var (id, pattern, what) in Calls)
                {
                    var match = pattern().Match(line.Text);
                    if (!match.Success) continue;
                    var literal = ConstantLiteral().IsMatch(match.Groups["arg"].Value);
                    yield return ConstraintRules.Finding(StaticCritic.DynamicCodeRule, id,
                        literal
                            ? $"line {line.Number}: {what}; the argument is a constant here, prefer a direct call"
                            : $"line {line.Number}: {what} from a value that can carry input; call the function or pass an argument vector instead",
                        change.Location, line.Number, blocking: !literal);
                }
    }

    /// <summary>Whether a call's argument text starts with one plain string literal that ends the argument.</summary>
    public static bool IsConstantLiteral(string argument) => ConstantLiteral().IsMatch(argument);

    private static bool IsDocument(string path) => DocumentExtensions.Any(e => path.EndsWith(e, StringComparison.OrdinalIgnoreCase));

    private static bool IsComment(string line)
    {
        var t = line.TrimStart();
        return t.StartsWith("//", StringComparison.Ordinal) || t.StartsWith('#') || t.StartsWith("/*", StringComparison.Ordinal) ||
               t.StartsWith('*') || t.StartsWith("--", StringComparison.Ordinal) || t.StartsWith("<!--", StringComparison.Ordinal);
    }

    private const RegexOptions Options = RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture;

    [GeneratedRegex(@"(?<![\w.$])eval\s*\((?<arg>.*)", Options, ConstraintRules.RegexTimeoutMs)]
    private static partial Regex Eval();

    [GeneratedRegex(@"(?:(?<![\w.$])|\b(?:child_process|childProcess)\.)exec(?:Sync)?\s*\((?<arg>.*)", Options, ConstraintRules.RegexTimeoutMs)]
    private static partial Regex Exec();

    [GeneratedRegex(@"(?:\bnew\s+|(?<=[=(,:]\s{0,8}))Function\s*\((?<arg>.*)", Options, ConstraintRules.RegexTimeoutMs)]
    private static partial Regex FunctionConstructor();

    [GeneratedRegex(@"\bsubprocess\.\w+\s*\((?<arg>[^\n]{0,500}?)\bshell\s*=\s*True\b", Options, ConstraintRules.RegexTimeoutMs)]
    private static partial Regex ShellTrue();

    [GeneratedRegex(@"\bos\.(?:system|popen)\s*\((?<arg>.*)", Options, ConstraintRules.RegexTimeoutMs)]
    private static partial Regex OsSystem();

    [GeneratedRegex(@"\bRuntime\.getRuntime\(\)\s*\.exec\s*\((?<arg>.*)", Options, ConstraintRules.RegexTimeoutMs)]
    private static partial Regex RuntimeExec();

    // One "..." or '...' literal (no escapes, no {} placeholders, not an f-string), then the end of the argument.
    [GeneratedRegex(@"^\s*(?:""[^""\\{}\n]*""|'[^'\\{}\n]*')\s*(?:[,)]|$)", Options, ConstraintRules.RegexTimeoutMs)]
    private static partial Regex ConstantLiteral();
}
