using MiniMe.Tools.Allowlist;

namespace MiniMe.Tools.Processes;

/// <summary>
/// Arguments that make an allowed program run something else, read or write outside the root, or
/// load code: refused for that program wherever they appear, whatever the allowlist's patterns say.
/// </summary>
public static class ArgumentSmuggling
{
    public sealed record Rule(ArgumentGlob Glob, string Why);

    private static readonly Dictionary<string, Rule[]> ByProgram = new(StringComparer.Ordinal)
    {
        ["git"] =
        [
            R("-c", "sets configuration that can run commands (core.pager, core.sshCommand, alias.*)"),
            R("-c?*", "sets configuration that can run commands"),
            R("--config-env*", "sets configuration that can run commands"),
            R("--exec-path*", "runs git helpers from another directory"),
            R("--git-dir*", "points git at another repository"),
            R("--work-tree*", "points git at another directory"),
            R("-C", "changes to another directory"),
            R("--upload-pack*", "runs a program as the upload-pack helper"),
            R("--receive-pack*", "runs a program as the receive-pack helper"),
            R("-u", "runs a program as the upload-pack helper"),
            R("--exec*", "runs a command (rebase --exec, archive --exec)"),
            R("-x", "runs a command (rebase -x)"),
            R("--output*", "writes output to a file"),
            R("-o", "writes output to a directory or passes push options"),
            R("--ext-diff", "runs an external diff program"),
            R("--textconv", "runs text-conversion programs"),
            R("-O*", "opens results in a pager program"),
            R("--open-files-in-pager*", "opens results in a pager program"),
            R("--template*", "installs hooks from a template directory"),
            R("--separate-git-dir*", "moves the repository elsewhere"),
            R("--extcmd*", "runs an external diff program"),
            R("--tool*", "runs an external diff or merge tool"),
            R("ext::*", "uses the ext:: transport, which runs a command"),
            R("fd::*", "uses the fd:: transport on inherited file descriptors"),
        ],
        ["dotnet"] =
        [
            R("-p:*", "sets MSBuild properties (PreBuildEvent and similar run commands)"),
            R("/p:*", "sets MSBuild properties"),
            R("-property:*", "sets MSBuild properties"),
            R("/property:*", "sets MSBuild properties"),
            R("--property*", "sets MSBuild properties"),
            R("-l:*", "loads a logger assembly"),
            R("/l:*", "loads a logger assembly"),
            R("-logger*", "loads a logger assembly"),
            R("/logger*", "loads a logger assembly"),
            R("--logger*", "loads a logger assembly (dotnet test --logger is a name, but assemblies load too)"),
            R("-dl*", "loads a distributed logger assembly"),
            R("-distributedlogger*", "loads a distributed logger assembly"),
            R("--test-adapter-path*", "loads test adapter assemblies"),
            R("--diag*", "writes diagnostics to a file"),
            R("@*", "reads more arguments from a response file"),
        ],
        ["npm"] = [R("--script-shell*", "chooses the shell scripts run with"), R("--node-options*", "passes options to node")],
        ["npx"] = [R("--script-shell*", "chooses the shell scripts run with"), R("-c", "runs a command string")],
        ["find"] =
        [
            R("-exec", "runs a command"), R("-execdir", "runs a command"), R("-ok", "runs a command"), R("-okdir", "runs a command"),
            R("-delete", "deletes files"), R("-fprint*", "writes to a file"), R("-fls", "writes to a file"),
        ],
        ["rg"] = [R("--pre*", "runs a preprocessor command"), R("--hostname-bin*", "runs a command")],
        ["tar"] =
        [
            R("--to-command*", "runs a command"), R("--checkpoint-action*", "runs a command"), R("--use-compress-program*", "runs a program"),
            R("-I", "runs a compression program"), R("--rsh-command*", "runs a remote shell"), R("--info-script*", "runs a script"),
            R("--new-volume-script*", "runs a script"), R("-F", "runs a script"),
        ],
    };

    /// <summary>The first built-in rule of <paramref name="programName"/> (a file name, no directory) that refuses <paramref name="argument"/>.</summary>
    public static Rule? Find(string programName, string argument) =>
        ByProgram.TryGetValue(programName, out var rules) ? rules.FirstOrDefault(r => r.Glob.IsMatch(argument)) : null;

    private static Rule R(string glob, string why) => new(new ArgumentGlob(glob), why);
}
