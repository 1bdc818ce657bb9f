using MiniMe.Security;
using MiniMe.Tools.Paths;

namespace MiniMe.Tools.Commands;

/// <summary>
/// The git operand policy (issue: git prints secrets the path rules refuse to name). For the commands
/// that show content (diff, log, show):
/// <list type="bullet">
/// <item>every revision is peeled to a commit (<c>REV^{commit}</c>), so a blob or tree id cannot print a file's content;</item>
/// <item><c>REV:PATH</c> and <c>:PATH</c> are allowed only when the read rules allow PATH (checked by name: the file may be gone);</item>
/// <item>pathspecs are checked the same way, magic (<c>:(...)</c>) is refused, and exclusion pathspecs for every secret,
/// protected and read-excluded glob are always appended, so their content never appears in a diff or patch;</item>
/// <item>external diff and text-conversion drivers are switched off.</item>
/// </list>
/// The rewritten vector is what runs, and what the approval shows.
/// </summary>
internal static class GitArguments
{
    private static readonly string[] PeelSuffixes = ["^!", "^@"];

    public static List<string> Rewrite(SubcommandProfile subcommand, string subcommandWord, IReadOnlyList<ArgumentToken> tokens, IReadOnlyList<string> arguments,
        PathConfiner confiner, ConfinedPath cwd, List<string> notes)
    {
        var options = new List<string>();
        var before = new List<string>();
        var after = new List<string>();
        var ended = false;
        foreach (var token in tokens)
        {
            switch (token.Kind)
            {
                case TokenKind.EndOfOptions: ended = true; break;
                case TokenKind.Option:
                    options.Add(token.Raw);
                    if (token.ValueIsNextArgument) options.Add(arguments[token.Index + 1]);
                    break;
                default:
                    (ended ? after : before).Add(token.Raw);
                    break;
            }
        }

        var launch = new List<string> { subcommandWord };
        launch.AddRange(options);
        switch (subcommand.Operands)
        {
            case OperandKind.None:
                if (before.Count + after.Count > 0)
                    throw new ToolRefusedException($"git {subcommandWord} takes no operands here ('{before.Concat(after).First()}'): it would create or change something.");
                return launch;
            case OperandKind.RevisionNames:
                if (after.Count > 0) throw new ToolRefusedException($"git {subcommandWord}: paths after '--' are not allowed here.");
                foreach (var name in before) CheckRevisionPath(name, confiner, cwd);
                launch.AddRange(before);
                return launch;
            case OperandKind.Pathspecs:
                foreach (var spec in before.Concat(after)) CheckPathspec(spec, confiner, cwd);
                if (before.Count + after.Count > 0) launch.Add("--");
                launch.AddRange(before.Concat(after));
                return launch;
        }

        // Revisions and pathspecs: before "--", an operand naming an existing path is a pathspec (git's own rule), else a revision.
        var revisions = new List<string>();
        var pathspecs = new List<string>(after);
        foreach (var operand in before)
        {
            if (NamesExistingPath(operand, cwd)) pathspecs.Add(operand);
            else revisions.Add(operand);
        }
        foreach (var spec in pathspecs) CheckPathspec(spec, confiner, cwd);
        foreach (var flag in new[] { "--no-ext-diff", "--no-textconv" })
            if (subcommandWord != "blame" && !options.Contains(flag, StringComparer.Ordinal)) launch.Add(flag);
        foreach (var revision in revisions)
        {
            if (revision.Contains("::", StringComparison.Ordinal) || revision.Contains("://", StringComparison.Ordinal))
                throw new ToolRefusedException($"'{revision}' looks like a transport URL (ext::, fd::, scheme://); git commands here only read this repository.");
            if (revision.Contains(':', StringComparison.Ordinal))
            {
                CheckRevisionPath(revision, confiner, cwd);
                launch.Add(revision);
            }
            else
            {
                launch.Add(Peel(revision));
            }
        }
        if (revisions.Count > 0) notes.Add("revisions are peeled to commits (^{commit}): blob and tree ids cannot print content");
        launch.Add("--");
        if (subcommandWord == "blame")
        {
            if (pathspecs.Count != 1) throw new ToolRefusedException("git blame takes exactly one file.");
            launch.Add(pathspecs[0]);
            return launch;
        }
        if (pathspecs.Count == 0) launch.Add(":(top)");
        else launch.AddRange(pathspecs);
        launch.AddRange(Exclusions(confiner));
        notes.Add("secret, protected and read-excluded files are excluded from the output (exclude pathspecs)");
        return launch;
    }

    /// <summary>Exclusion pathspecs for every glob tools may not read, from the top of the repository.</summary>
    public static IEnumerable<string> Exclusions(PathConfiner confiner)
    {
        foreach (var pattern in SecretPaths.Patterns) yield return $":(top,exclude,glob,icase){pattern}";
        foreach (var pattern in confiner.ProtectedPatterns) yield return $":(top,exclude,glob){pattern}";
        foreach (var glob in confiner.Allowlist.Read.Exclude) yield return $":(top,exclude,glob,icase){glob.Pattern}";
    }

    private static string Peel(string revision)
    {
        foreach (var separator in new[] { "...", ".." })
        {
            var at = revision.IndexOf(separator, StringComparison.Ordinal);
            if (at >= 0)
            {
                var left = revision[..at];
                var right = revision[(at + separator.Length)..];
                return (left.Length > 0 ? Peel(left) : "") + separator + (right.Length > 0 ? Peel(right) : "");
            }
        }
        if (revision.StartsWith('^')) return "^" + Peel(revision[1..]);
        foreach (var suffix in PeelSuffixes)
            if (revision.EndsWith(suffix, StringComparison.Ordinal))
                return Peel(revision[..^suffix.Length]) + suffix;
        return revision + "^{commit}";
    }

    /// <summary>REV:PATH, :PATH and :N:PATH name a file by path: the read rules must allow it, whether or not it exists now.</summary>
    private static void CheckRevisionPath(string revision, PathConfiner confiner, ConfinedPath cwd)
    {
        var colon = revision.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0) return;
        var path = revision[(colon + 1)..];
        if (revision.StartsWith(':') && path.Length > 1 && char.IsAsciiDigit(path[0]) && path[1] == ':') path = path[2..];   // :0:path (index stage)
        if (path.Length == 0) return;   // REV: is the tree at the top
        // REV:./x is relative to the working directory, REV:x to the top of the repository; check both readings.
        if (confiner.LexicalReadRefusal(path, confiner.Root) is { } fromTop)
            throw new ToolRefusedException($"'{revision}' names {fromTop}");
        if (confiner.LexicalReadRefusal(path, cwd.FullPath) is { } fromCwd)
            throw new ToolRefusedException($"'{revision}' names {fromCwd}");
    }

    private static void CheckPathspec(string pathspec, PathConfiner confiner, ConfinedPath cwd)
    {
        if (pathspec.StartsWith(':'))
            throw new ToolRefusedException($"pathspec '{pathspec}': pathspec magic (':...') is not allowed; give plain paths.");
        if (confiner.LexicalReadRefusal(pathspec, cwd.FullPath) is { } reason)
            throw new ToolRefusedException($"pathspec '{pathspec}' names {reason}");
    }

    private static bool NamesExistingPath(string operand, ConfinedPath cwd)
    {
        if (operand.Length == 0 || operand.Any(char.IsControl)) return false;
        var full = Path.GetFullPath(operand, cwd.FullPath);
        return File.Exists(full) || Directory.Exists(full) || new FileInfo(full).LinkTarget is not null;
    }
}
