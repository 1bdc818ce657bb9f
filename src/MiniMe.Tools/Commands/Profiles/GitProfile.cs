namespace MiniMe.Tools.Commands.Profiles;

/// <summary>
/// git, read-only: the subcommands that only show history and state, each with the options that only
/// change what is shown. Everything that runs a program (pagers, external diff and text-conversion
/// drivers, -c configuration, transports), points git elsewhere, or writes a file is refused.
/// Operands are rewritten by <see cref="GitArguments"/> so secrets never come out.
/// </summary>
internal static class GitProfile
{
    private static readonly DeniedOption[] Global =
    [
        new("-c", "sets configuration, which can run commands (core.pager, core.fsmonitor, alias.*, diff.external)"),
        new("--config-env", "sets configuration, which can run commands"),
        new("-C", "runs git in another directory"),
        new("--git-dir", "points git at another repository"),
        new("--work-tree", "points git at another directory"),
        new("--exec-path", "runs git helpers from another directory"),
        new("--namespace", "points git at other refs"),
        new("--super-prefix", "is internal to git"),
        new("-p|--paginate", "pipes the output through a pager program"),
        new("--attr-source", "reads attributes from elsewhere"),
    ];

    private static readonly DeniedOption[] Anywhere =
    [
        new("--output", "writes output to a file"),
        new("--ext-diff", "runs an external diff program"),
        new("--textconv", "runs text-conversion programs"),
        new("--no-index", "compares files outside the repository"),
        new("-O|--open-files-in-pager", "reads an order file or opens a pager"),
        new("--exec", "runs a command"),
        new("--upload-pack|--receive-pack", "runs a program as a transport helper"),
        new("--template", "installs hooks from a template directory"),
        new("--separate-git-dir", "moves the repository"),
        new("--extcmd|--tool", "runs an external diff or merge tool"),
        new("--show-signature", "runs gpg"),
        new("--contents", "reads another file"),
    ];

    /// <summary>Refused for the commands that print diffs (the same letters mean other things elsewhere: git branch -a).</summary>
    private static readonly DeniedOption[] DiffDenied = [new("-a|--text|--binary", "prints the content of binary files")];

    /// <summary>Options that only change how a diff is shown (shared by diff, log and show).</summary>
    private static readonly string[] DiffOutput =
    [
        "-p|-u|--patch", "-s|--no-patch", "-U|--unified <int>", "--raw", "--patch-with-raw", "--patch-with-stat",
        "--stat", "--numstat", "--shortstat", "--compact-summary", "--summary", "--dirstat",
        "--name-only", "--name-status", "-z", "--full-index", "--abbrev[=<int>]", "--no-abbrev",
        "-R", "-M|--find-renames[=<int>]", "-C|--find-copies[=<int>]", "--find-copies-harder", "-B|--break-rewrites[=<int>]",
        "-D|--irreversible-delete", "-l <int>", "--no-renames", "--rename-empty", "--no-rename-empty",
        "-w|--ignore-all-space", "-b|--ignore-space-change", "--ignore-space-at-eol", "--ignore-blank-lines", "--ignore-cr-at-eol",
        "--minimal", "--patience", "--histogram", "--diff-algorithm <enum:default,myers,minimal,patience,histogram>",
        "--word-diff[=<enum:color,plain,porcelain,none>]", "--color[=<enum:always,never,auto>]", "--no-color",
        "--exit-code", "--quiet", "--check", "--diff-filter <text>", "-S <text>", "-G <text>", "--pickaxe-all", "--pickaxe-regex",
        "-W|--function-context", "--inter-hunk-context <int>", "--no-ext-diff", "--no-textconv", "--ignore-submodules[=<enum:none,untracked,dirty,all>]",
    ];

    private static readonly string[] RevisionWalk =
    [
        "--oneline", "-n|--max-count <int>", ArgumentParser.NumberOption + " <int>", "--skip <int>",
        "--since|--after|--until|--before <text>", "--author|--committer <text>", "--grep <text>",
        "-i|--regexp-ignore-case", "--all-match", "--invert-grep", "-E|--extended-regexp", "-F|--fixed-strings",
        "--all", "--branches", "--tags", "--remotes", "--decorate[=<enum:short,full,auto,no>]", "--no-decorate",
        "--graph", "--format <text>", "--pretty[=<text>]", "--reverse", "--first-parent", "--no-merges", "--merges",
        "--abbrev-commit", "--no-abbrev-commit", "--date <text>", "--relative-date", "--topo-order", "--date-order",
        "--author-date-order", "--left-right", "--cherry-pick", "--boundary", "--ancestry-path", "--simplify-by-decoration",
        "--full-history", "--parents", "--children", "--source",
    ];

    public static ProgramProfile Profile { get; } = new(
        "git",
        OptionStyle.Gnu,
        globalOptions: ["--no-pager", "--no-optional-locks", "--version"],
        globalDenied: Global,
        subcommands:
        [
            SubcommandProfile.Create("status", OperandKind.Pathspecs, runsCode: false,
            [
                "-s|--short", "-b|--branch", "--long", "-v|--verbose", "--porcelain[=<enum:v1,v2>]",
                "-u|--untracked-files[=<enum:no,normal,all>]", "--ignored[=<enum:traditional,no,matching>]",
                "--no-renames", "--renames", "--ahead-behind", "--no-ahead-behind", "--show-stash", "-z", "--null",
                "--ignore-submodules[=<enum:none,untracked,dirty,all>]",
            ]),
            SubcommandProfile.Create("diff", OperandKind.RevisionsAndPathspecs, runsCode: false, [.. DiffOutput, "--cached", "--staged", "--merge-base"], DiffDenied),
            SubcommandProfile.Create("log", OperandKind.RevisionsAndPathspecs, runsCode: false, [.. DiffOutput, .. RevisionWalk], DiffDenied),
            SubcommandProfile.Create("show", OperandKind.RevisionsAndPathspecs, runsCode: false,
                [.. DiffOutput, "--oneline", "--format <text>", "--pretty[=<text>]", "--abbrev-commit", "--no-abbrev-commit", "--date <text>", "--decorate[=<enum:short,full,auto,no>]"], DiffDenied),
            SubcommandProfile.Create("blame", OperandKind.RevisionsAndPathspecs, runsCode: false,
                ["-L <text>", "-w", "-M", "-C", "-e|--show-email", "-s", "-l", "-t", "--date <text>", "--porcelain", "--line-porcelain", "--root", "--show-stats", "-f|--show-name", "-n|--show-number"]),
            SubcommandProfile.Create("ls-files", OperandKind.Pathspecs, runsCode: false,
                ["-c|--cached", "-d|--deleted", "-m|--modified", "-o|--others", "-i|--ignored", "-s|--stage", "-u|--unmerged", "-k|--killed",
                 "--exclude-standard", "--directory", "--no-empty-directory", "-z", "-t", "-v", "--full-name", "--error-unmatch", "--eol"]),
            SubcommandProfile.Create("rev-parse", OperandKind.RevisionNames, runsCode: false,
                ["--show-toplevel", "--show-prefix", "--show-cdup", "--abbrev-ref", "--short[=<int>]", "--verify", "-q|--quiet",
                 "--is-inside-work-tree", "--is-bare-repository", "--symbolic-full-name", "--git-dir", "--absolute-git-dir"]),
            SubcommandProfile.Create("branch", OperandKind.None, runsCode: false,
                ["--list", "-a|--all", "-r|--remotes", "-v|--verbose", "-vv", "--show-current", "--contains <text>", "--no-contains <text>",
                 "--merged", "--no-merged", "--sort <text>", "--format <text>", "--no-color", "--column", "--no-column"]),
        ],
        denied: Anywhere,
        hasSubcommands: true,
        runsCodeWithoutSubcommand: false);

    /// <summary>
    /// Configuration given to every git run, which wins over the repository's own .git/config: no
    /// fsmonitor or hooks program, no pager, no transport at all. Passed as GIT_CONFIG_COUNT/KEY/VALUE.
    /// </summary>
    public static IReadOnlyList<(string Key, string Value)> HardenedConfiguration { get; } =
    [
        ("core.fsmonitor", "false"),
        ("core.hooksPath", "/dev/null"),
        ("core.pager", "cat"),
        ("protocol.allow", "never"),
        ("diff.external", ""),
        ("core.sshCommand", "false"),
    ];
}
