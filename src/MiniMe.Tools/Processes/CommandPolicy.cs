using MiniMe.Tools.Allowlist;
using MiniMe.Tools.Paths;

namespace MiniMe.Tools.Processes;

/// <summary>A command the allowlist allows: the executable to start and the arguments, checked.</summary>
/// <param name="Executable">Absolute path of the program (found on the sanitized PATH or under the root).</param>
/// <param name="Argv">The argument vector as proposed, program first.</param>
/// <param name="WorkingDirectory">Where it runs, inside the root.</param>
/// <param name="Rule">The allowlist rule that allows it.</param>
public sealed record CommandPlan(string Executable, IReadOnlyList<string> Argv, ConfinedPath WorkingDirectory, CommandRule Rule)
{
    public IReadOnlyList<string> Arguments => [.. Argv.Skip(1)];
}

/// <summary>
/// Decides whether an argument vector may run: the program must be allowlisted (by name, or resolving
/// to the same file), no argument may carry shell metacharacters unless the rule allows them, no
/// argument may match a built-in or allowlisted deny glob, the arguments must match one of the
/// rule's patterns, and arguments naming paths must stay inside the root and off secret files.
/// </summary>
public sealed class CommandPolicy(ToolAllowlist allowlist, PathConfiner confiner, ProgramResolver resolver)
{
    public const int MaxArguments = 256;
    public const int MaxArgumentLength = 32 * 1024;

    public CommandPlan Check(IReadOnlyList<string> argv, string? workingDirectory)
    {
        ArgumentNullException.ThrowIfNull(argv);
        if (argv.Count == 0 || string.IsNullOrWhiteSpace(argv[0]))
            throw new ToolRefusedException("The command is empty; argv must start with a program name.");
        if (argv.Count > MaxArguments)
            throw new ToolRefusedException($"The command has {argv.Count} arguments; at most {MaxArguments}.");
        if (argv.FirstOrDefault(a => a.Length > MaxArgumentLength) is { } huge)
            throw new ToolRefusedException($"An argument is {huge.Length} characters long; at most {MaxArgumentLength}.");
        var program = argv[0];
        if ((ShellMetacharacters.Find(program) ?? (program.Any(char.IsWhiteSpace) ? "whitespace" : null)) is { } inProgram)
            throw new ToolRefusedException($"The program name '{Short(program)}' contains {inProgram}; give the program alone and each argument separately (no shell runs).");

        var executable = resolver.Resolve(program);
        var rules = allowlist.Commands.Where(r => r.Program == program || (executable is not null && resolver.Resolve(r.Program) == executable)).ToList();
        if (rules.Count == 0)
        {
            var allowed = allowlist.Commands.Count == 0 ? "none" : string.Join(", ", allowlist.Commands.Select(r => r.Program).Distinct());
            throw new ToolRefusedException($"The program '{program}' is not allowed by {allowlist.Source} (allowed: {allowed}).");
        }
        if (executable is null)
            throw new ToolRefusedException($"The program '{program}' is allowed but was not found on PATH.");

        var arguments = argv.Skip(1).ToList();
        var name = Path.GetFileNameWithoutExtension(executable);
        CommandRule? allowedBy = null;
        string? lastReason = null;
        foreach (var rule in rules)
        {
            lastReason = Refusal(rule, name, arguments);
            if (lastReason is null) { allowedBy = rule; break; }
        }
        if (allowedBy is null) throw new ToolRefusedException(lastReason!);

        var cwd = confiner.Check(string.IsNullOrWhiteSpace(workingDirectory) ? "." : workingDirectory, PathAccess.Read);
        if (!Directory.Exists(cwd.FullPath))
            throw new ToolRefusedException($"The working directory '{workingDirectory}' is not a directory inside the tools root.");
        foreach (var argument in arguments)
            foreach (var candidate in PathCandidates(argument))
                confiner.CheckArgument(candidate, cwd.FullPath);
        return new CommandPlan(executable, [.. argv], cwd, allowedBy);
    }

    private static string? Refusal(CommandRule rule, string programName, List<string> arguments)
    {
        for (var i = 0; i < arguments.Count; i++)
        {
            var argument = arguments[i];
            if (!rule.AllowShellMetacharacters && ShellMetacharacters.Find(argument) is { } meta)
                return $"Argument {i + 1} ('{Short(argument)}') contains {meta}, a shell metacharacter; refused (commands run without a shell, and the rule for {rule.Program} does not set allowShellMetacharacters).";
            if (argument.Contains('\0'))
                return $"Argument {i + 1} contains a NUL character.";
            if (ArgumentSmuggling.Find(programName, argument) is { } smuggling)
                return $"Argument '{Short(argument)}' is refused for {programName}: it {smuggling.Why}.";
            if (rule.Deny.FirstOrDefault(d => d.IsMatch(argument)) is { } denied)
                return $"Argument '{Short(argument)}' is denied by '{denied}' in the {rule.Program} rule (line {rule.Line}).";
        }
        if (!rule.Arguments.Any(p => p.IsMatch(arguments)))
            return $"The arguments '{Short(string.Join(' ', arguments))}' match none of the patterns allowed for {rule.Program} (line {rule.Line}): {string.Join(" | ", rule.Arguments.Select(p => p.Text.Length == 0 ? "(none)" : p.Text))}.";
        return null;
    }

    /// <summary>The parts of an argument that may name a path: itself, an option's value after '=', a revision's path after ':'.</summary>
    private static IEnumerable<string> PathCandidates(string argument)
    {
        yield return argument;
        var equals = argument.IndexOf('=', StringComparison.Ordinal);
        if (argument.StartsWith('-') && equals > 0) yield return argument[(equals + 1)..];
        var colon = argument.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0 && colon < argument.Length - 1) yield return argument[(colon + 1)..];
    }

    private static string Short(string text) => text.Length <= 80 ? text.Replace("\n", "\\n", StringComparison.Ordinal) : text[..77].Replace("\n", "\\n", StringComparison.Ordinal) + "...";
}
