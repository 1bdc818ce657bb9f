using System.Text.RegularExpressions;

namespace MiniMe.Agents.Constraints;

/// <summary>
/// command.shell, command.program, command.operators: a proposed command hands a string to a shell.
/// MiniMe runs commands as an argument vector with no shell, and the allowlist judges the program and
/// its arguments; a shell string defeats both. Blocking: a shell or interpreter with a command-string
/// flag (bash/sh/zsh/dash/ksh/fish -c, cmd /c or /k, powershell/pwsh -Command or -EncodedCommand,
/// python -c, node -e) and a program name that is a whole command line (it holds a space or a shell
/// operator). A warning: an argument holding shell operators (&amp;&amp;, ||, |, ;, $(...), backticks,
/// redirections) with spaces around them, which would reach the program as literal text.
/// </summary>
public sealed partial class ShellStringRule : IConstraintRule
{
    private static readonly Dictionary<string, string[]> CommandStringFlags = new(StringComparer.OrdinalIgnoreCase)
    {
        ["bash"] = ["-c"], ["sh"] = ["-c"], ["zsh"] = ["-c"], ["dash"] = ["-c"], ["ksh"] = ["-c"], ["fish"] = ["-c", "--command"],
        ["cmd"] = ["/c", "/k", "/r"],
        ["powershell"] = ["-c", "-command", "-encodedcommand", "-e", "-ec"],
        ["pwsh"] = ["-c", "-command", "-encodedcommand", "-e", "-ec"],
        ["python"] = ["-c"], ["python3"] = ["-c"], ["node"] = ["-e", "--eval", "-p", "--print"],
        ["perl"] = ["-e", "-E"], ["ruby"] = ["-e"],
    };

    public string Id => "command";

    public IEnumerable<Violation> Check(IReadOnlyList<ProposedChange> changes, ConstraintContext context)
    {
        foreach (var change in changes.Where(c => c.Kind == ChangeKind.Command && c.Argv.Count > 0))
        {
            var argv = change.Argv;
            var program = ProgramName(argv[0]);
            if (CommandStringFlags.TryGetValue(program, out var flags) && argv.Skip(1).Any(a => flags.Contains(a, StringComparer.OrdinalIgnoreCase) || IsCombinedFlag(program, a)))
            {
                yield return ConstraintRules.Finding(StaticCritic.ShellRule, "command.shell",
                    $"'{program}' runs a command string; propose the program and its arguments directly (one proposal per command)", change.Location);
                continue;
            }
            if (argv[0].Any(char.IsWhiteSpace) || Operators().IsMatch(" " + argv[0] + " "))
            {
                yield return ConstraintRules.Finding(StaticCritic.ShellRule, "command.program",
                    "the program name is a whole command line; put the program first and each argument in its own argv entry", change.Location);
                continue;
            }
            var index = argv.Skip(1).ToList().FindIndex(a => Operators().IsMatch(" " + a + " ") && a.Any(char.IsWhiteSpace));
            if (index >= 0)
                yield return ConstraintRules.Finding(StaticCritic.ShellRule, "command.operators",
                    $"argument {index + 1} holds shell operators, but no shell runs it: the program gets them as text; split it into separate commands", change.Location, blocking: false);
        }
    }

    /// <summary>"/usr/bin/bash" → "bash", "cmd.exe" → "cmd", "python3.12" → "python3".</summary>
    private static string ProgramName(string program)
    {
        var name = Path.GetFileName(program.Replace('\\', '/'));
        if (name.EndsWith(".exe", StringComparison.OrdinalIgnoreCase)) name = name[..^4];
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        return name.StartsWith("python3", StringComparison.OrdinalIgnoreCase) ? "python3" : dot > 0 ? name[..dot] : name;
    }

    /// <summary>bash -lc, sh -ec: a short-option cluster that includes c.</summary>
    private static bool IsCombinedFlag(string program, string argument) =>
        program is "bash" or "sh" or "zsh" or "dash" or "ksh" && argument.Length > 2 && argument[0] == '-' && argument[1] != '-' && argument.Contains('c', StringComparison.Ordinal) && argument.Skip(1).All(char.IsAsciiLetter);

    // An operator with whitespace (or the ends) around it: " && ", " | ", " ; ", " > ", and $( or backticks anywhere.
    [GeneratedRegex(@"\s(?:&&|\|\||\||;|>>?|<|2>&1)\s|\$\(|`", RegexOptions.CultureInvariant, ConstraintRules.RegexTimeoutMs)]
    private static partial Regex Operators();
}
