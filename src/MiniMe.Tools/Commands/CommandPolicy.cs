using MiniMe.Tools.Allowlist;
using MiniMe.Tools.Commands.Profiles;
using MiniMe.Tools.Paths;
using MiniMe.Tools.Processes;

namespace MiniMe.Tools.Commands;

/// <summary>A command the allowlist allows: the executable, the vector as proposed and as it will run, and what it may do.</summary>
/// <param name="Executable">Absolute path of the program (found on the sanitized PATH or under the root).</param>
/// <param name="Argv">The argument vector as proposed, program first.</param>
/// <param name="LaunchArguments">The arguments that actually run (git's are rewritten so secrets stay out); shown for approval.</param>
/// <param name="WorkingDirectory">Where it runs, inside the root.</param>
/// <param name="Rule">The allowlist rule that allows it.</param>
/// <param name="RunsCode">It runs code from the repository (build files, tests, scripts, or a program MiniMe has no profile for).</param>
/// <param name="Environment">Variables the program's profile adds (git's hardened configuration).</param>
/// <param name="Notes">What MiniMe changed or wants the user to know, one line each.</param>
public sealed record CommandPlan(
    string Executable,
    IReadOnlyList<string> Argv,
    IReadOnlyList<string> LaunchArguments,
    ConfinedPath WorkingDirectory,
    CommandRule Rule,
    bool RunsCode,
    IReadOnlyDictionary<string, string> Environment,
    IReadOnlyList<string> Notes)
{
    /// <summary>The vector that runs, program first (what the approval shows).</summary>
    public IReadOnlyList<string> LaunchArgv => [Argv[0], .. LaunchArguments];
}

/// <summary>
/// Decides whether an argument vector may run. The program must be allowlisted (by name, or resolving to
/// the same file); no argument may carry shell metacharacters unless the rule allows them or match a deny
/// glob; the arguments must match one of the rule's patterns; and, parsed the way the program parses
/// them (<see cref="ProgramProfile"/>), every option must be one the program's profile allows for that
/// subcommand, one the rule lists under options, or one written literally in the matching pattern —
/// never one the profile refuses. Paths in operands and option values stay inside the root and off
/// secret files; git's operands are rewritten so secret content never prints (<see cref="GitArguments"/>).
/// </summary>
public sealed class CommandPolicy(ToolAllowlist allowlist, PathConfiner confiner, ProgramResolver resolver)
{
    public const int MaxArguments = 256;
    public const int MaxArgumentLength = 32 * 1024;
    private const int ShownOptions = 12;

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

        var cwd = confiner.Check(string.IsNullOrWhiteSpace(workingDirectory) ? "." : workingDirectory, PathAccess.Read);
        if (!Directory.Exists(cwd.FullPath))
            throw new ToolRefusedException($"The working directory '{workingDirectory}' is not a directory inside the tools root.");

        var arguments = argv.Skip(1).ToList();
        var name = Path.GetFileNameWithoutExtension(executable);
        // A program inside the root is whatever was written there, whatever it is called: no profile vouches for it.
        var profile = confiner.IsInsideRoot(Path.GetFullPath(executable)) || confiner.IsInsideRoot(RealPathOf(executable))
            ? ProgramProfile.Generic(name)
            : ProgramProfiles.For(name);
        string? lastReason = null;
        foreach (var rule in rules)
        {
            try
            {
                return Plan(rule, profile, executable, argv, arguments, cwd);
            }
            catch (ToolRefusedException e)
            {
                lastReason = e.Message;
            }
        }
        throw new ToolRefusedException(lastReason!);
    }

    private CommandPlan Plan(CommandRule rule, ProgramProfile profile, string executable, IReadOnlyList<string> argv, List<string> arguments, ConfinedPath cwd)
    {
        for (var i = 0; i < arguments.Count; i++)
        {
            var argument = arguments[i];
            if (!rule.AllowShellMetacharacters && ShellMetacharacters.Find(argument) is { } meta)
                Refuse($"Argument {i + 1} ('{Short(argument)}') contains {meta}, a shell metacharacter; refused (commands run without a shell, and the rule for {rule.Program} does not set allowShellMetacharacters).");
            if (argument.Contains('\0'))
                Refuse($"Argument {i + 1} contains a NUL character.");
            if (ProgramProfiles.RawDenial(profile.Name, argument) is { } why)
                Refuse($"Argument '{Short(argument)}' is refused for {profile.Name}: it {why}.");
            if (rule.Deny.FirstOrDefault(d => d.IsMatch(argument)) is { } denied)
                Refuse($"Argument '{Short(argument)}' is denied by '{denied}' in the {rule.Program} rule (line {rule.Line}).");
        }
        var pattern = rule.Arguments.FirstOrDefault(p => p.IsMatch(arguments))
            ?? throw new ToolRefusedException($"The arguments '{Short(string.Join(' ', arguments))}' match none of the patterns allowed for {rule.Program} (line {rule.Line}): {string.Join(" | ", rule.Arguments.Select(p => p.Text.Length == 0 ? "(none)" : p.Text))}.");

        List<ArgumentToken> globalTokens, tokens;
        SubcommandProfile? subcommand = null;
        string? subcommandWord = null;
        try
        {
            globalTokens = ArgumentParser.Parse(profile.Style, arguments, 0, [.. profile.GlobalOptions, .. rule.ExtraOptions], stopAtOperand: profile.HasSubcommands);
            var next = globalTokens.Count == 0 ? 0 : globalTokens[^1].Index + globalTokens[^1].Width;
            if (profile.HasSubcommands && globalTokens.LastOrDefault() is { Kind: TokenKind.Operand } word)
            {
                globalTokens.RemoveAt(globalTokens.Count - 1);
                subcommandWord = word.Raw;
                subcommand = profile.Subcommands.GetValueOrDefault(word.Raw);
                if (subcommand is null)
                {
                    if (!pattern.IsLiteralAt(word.Index))
                        Refuse($"'{profile.Name} {Short(word.Raw)}' is not a {profile.Name} command MiniMe knows ({string.Join(", ", profile.Subcommands.Keys)}); "
                            + $"write it literally in an args pattern of allowlist.yaml to allow it (MiniMe then allows only the options the rule lists).");
                    subcommand = new SubcommandProfile(word.Raw, [], OperandKind.Any, RunsCode: true, []);
                }
            }
            tokens = subcommand is null ? [] : ArgumentParser.Parse(profile.Style, arguments, next, [.. subcommand.Options, .. rule.ExtraOptions], stopAtOperand: false);
        }
        catch (ArgumentParseException e)
        {
            throw new ToolRefusedException($"{profile.Name}: {e.Message}.");
        }

        foreach (var token in globalTokens) CheckToken(token, profile, null, rule, pattern, cwd, global: true);
        foreach (var token in tokens) CheckToken(token, profile, subcommand, rule, pattern, cwd, global: false);
        if (!profile.AllowEndOfOptions && globalTokens.Concat(tokens).Any(t => t.Kind == TokenKind.EndOfOptions))
            Refuse($"'--' is refused for {profile.Name}: what follows it goes unchecked to the test runner or the program.");

        var notes = new List<string>();
        IReadOnlyList<string> launch = arguments;
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        if (profile.Name == "git")
        {
            var rewritten = globalTokens.Select(t => t.Raw).ToList();
            if (subcommand is not null)
                rewritten.AddRange(GitArguments.Rewrite(subcommand, subcommandWord!, tokens, arguments, confiner, cwd, notes));
            launch = rewritten;
            var hardened = GitProfile.HardenedConfiguration;
            environment["GIT_CONFIG_COUNT"] = hardened.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            for (var i = 0; i < hardened.Count; i++)
            {
                environment[$"GIT_CONFIG_KEY_{i}"] = hardened[i].Key;
                environment[$"GIT_CONFIG_VALUE_{i}"] = hardened[i].Value;
            }
            environment["GIT_OPTIONAL_LOCKS"] = "0";
            environment["GIT_NO_REPLACE_OBJECTS"] = "1";
        }
        else
        {
            foreach (var token in globalTokens.Concat(tokens).Where(t => t.Kind == TokenKind.Operand))
                foreach (var candidate in PathCandidates(token.Raw))
                    confiner.CheckArgument(candidate, cwd.FullPath);
        }
        var runsCode = subcommand?.RunsCode ?? profile.RunsCodeWithoutSubcommand;
        if (runsCode)
            notes.Add(profile.Subcommands.Count > 0 && subcommand is not null && profile.Subcommands.ContainsKey(subcommand.Name)
                ? $"{profile.Name} {subcommand.Name} runs code from this repository (build files{(subcommand.Name is "test" or "run" ? ", and the program itself" : "")})"
                : $"MiniMe has no profile of what {profile.Name} runs: treat it as running arbitrary code");
        return new CommandPlan(executable, [.. argv], launch, cwd, rule, runsCode, environment, notes);
    }

    private void CheckToken(ArgumentToken token, ProgramProfile profile, SubcommandProfile? subcommand, CommandRule rule, ArgumentPattern pattern, ConfinedPath cwd, bool global)
    {
        if (token.Kind != TokenKind.Option) return;
        var where = subcommand is null ? profile.Name : $"{profile.Name} {subcommand.Name}";
        var builtIn = token.Spec is not null && (global ? profile.GlobalOptions : subcommand?.Options ?? []).Contains(token.Spec);
        if (!builtIn && token.Spec is not null && token.Raw.Length > 2 && token.Spec.Names.Count == 1 && token.Spec.Names[0] == token.Raw && token.Raw.StartsWith('-') && !token.Raw.StartsWith("--", StringComparison.Ordinal) && IsBuiltInCluster(token.Raw, global ? profile.GlobalOptions : subcommand?.Options ?? []))
            builtIn = true;
        if (!builtIn)
        {
            var denials = global ? profile.GlobalDenied : [.. profile.Denied, .. subcommand?.Denied ?? []];
            if (Denial(token, profile.Style, denials) is { } why)
                Refuse($"Argument '{Short(token.Raw)}' is refused for {where}: it {why}.");
            var explicitly = pattern.IsLiteralAt(token.Index) || (token.Spec is not null && rule.ExtraOptions.Contains(token.Spec));
            if (!explicitly)
            {
                var known = (global ? profile.GlobalOptions : subcommand?.Options ?? []).Concat(rule.ExtraOptions).Select(o => o.Display).Distinct().ToList();
                var shown = known.Count == 0 ? "none" : string.Join(", ", known.Take(ShownOptions)) + (known.Count > ShownOptions ? $" and {known.Count - ShownOptions} more" : "");
                Refuse($"Argument '{Short(token.Raw)}' is not an option MiniMe allows for {where} (allowed: {shown}); list it under options in the {rule.Program} rule (line {rule.Line}) only if you accept what it does.");
            }
        }
        if (token.Spec?.Value is { } form && token.Value is { } value)
        {
            if (form.Problem(value) is { } problem)
                Refuse($"The value of {token.Spec.Display} ('{Short(value)}') {problem}.");
            if (form is ValueForm.PathValue path)
            {
                if (profile.Style == OptionStyle.MsBuild && value.IndexOfAny([';', '%', '$', '@', '=', ',']) >= 0)
                    Refuse($"The path given to {token.Spec.Display} ('{Short(value)}') contains a character MSBuild would interpret (; % $ @ = ,).");
                var relative = Path.GetRelativePath(confiner.Root, Path.GetFullPath(value, cwd.FullPath));
                confiner.Check(relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? value : relative, path.Access);
            }
            else if (profile.Name != "git")
            {
                foreach (var candidate in PathCandidates(value)) confiner.CheckArgument(candidate, cwd.FullPath);
            }
        }
    }

    private static string RealPathOf(string path) => new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path;

    /// <summary>Whether a cluster such as -sb is made only of the profile's own flags.</summary>
    private static bool IsBuiltInCluster(string raw, IReadOnlyList<OptionSpec> builtIn) =>
        raw.Skip(1).All(c => builtIn.Any(s => s.Arity == OptionArity.None && s.Names.Contains("-" + c, StringComparer.Ordinal)));

    private static string? Denial(ArgumentToken token, OptionStyle style, IReadOnlyList<DeniedOption> denials)
    {
        var name = token.Name ?? token.Raw;
        foreach (var denied in denials)
        {
            foreach (var spelling in denied.Names)
            {
                if (style == OptionStyle.MsBuild)
                {
                    if (ArgumentParser.Normalize(spelling) == ArgumentParser.Normalize(name)) return denied.Why;
                    continue;
                }
                if (spelling == name) return denied.Why;
                // git accepts unambiguous abbreviations of long options (--out for --output) in some commands.
                if (spelling.StartsWith("--", StringComparison.Ordinal) && name.StartsWith("--", StringComparison.Ordinal) && name.Length >= 4 && spelling.StartsWith(name, StringComparison.Ordinal))
                    return denied.Why;
                // A denied short option inside a cluster (-sO).
                if (spelling.Length == 2 && name.Length > 2 && name[0] == '-' && name[1] != '-' && name.Contains(spelling[1], StringComparison.Ordinal))
                    return denied.Why;
            }
        }
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

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void Refuse(string message) => throw new ToolRefusedException(message);

    private static string Short(string text) => text.Length <= 80 ? text.Replace("\n", "\\n", StringComparison.Ordinal) : text[..77].Replace("\n", "\\n", StringComparison.Ordinal) + "...";
}
