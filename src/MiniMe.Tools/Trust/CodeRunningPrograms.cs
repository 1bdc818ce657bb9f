using System.Text.RegularExpressions;
using MiniMe.Tools.Allowlist;

namespace MiniMe.Tools.Trust;

/// <summary>
/// Programs an allowlist rule can turn into "run anything": shells and interpreters (their arguments
/// are code), build tools and package managers (they run the project's own build files and scripts),
/// wrappers that start another program, and subcommands of dotnet and git that build, run or hook.
/// Used to warn before trusting a workspace, not to refuse: the user may mean it.
/// </summary>
internal static partial class CodeRunningPrograms
{
    private static readonly Dictionary<string, string> Programs = new(StringComparer.Ordinal)
    {
        // Shells and interpreters: the arguments (or the files they name) are code.
        ["sh"] = "a shell", ["bash"] = "a shell", ["dash"] = "a shell", ["zsh"] = "a shell", ["ksh"] = "a shell", ["mksh"] = "a shell",
        ["ash"] = "a shell", ["fish"] = "a shell", ["csh"] = "a shell", ["tcsh"] = "a shell", ["busybox"] = "a shell and every other tool",
        ["pwsh"] = "a shell", ["powershell"] = "a shell",
        ["python"] = "an interpreter", ["pypy"] = "an interpreter", ["pypy3"] = "an interpreter", ["perl"] = "an interpreter", ["ruby"] = "an interpreter",
        ["irb"] = "an interpreter", ["node"] = "an interpreter", ["nodejs"] = "an interpreter", ["deno"] = "an interpreter", ["bun"] = "an interpreter",
        ["php"] = "an interpreter", ["lua"] = "an interpreter", ["luajit"] = "an interpreter", ["tclsh"] = "an interpreter", ["wish"] = "an interpreter",
        ["Rscript"] = "an interpreter", ["R"] = "an interpreter", ["julia"] = "an interpreter", ["java"] = "a virtual machine", ["jshell"] = "an interpreter",
        ["groovy"] = "an interpreter", ["scala"] = "an interpreter", ["kotlin"] = "an interpreter", ["csi"] = "an interpreter", ["dotnet-script"] = "an interpreter",
        ["awk"] = "an interpreter (system())", ["gawk"] = "an interpreter (system())", ["mawk"] = "an interpreter (system())", ["nawk"] = "an interpreter (system())",
        ["sed"] = "an editor whose scripts can run commands (GNU sed's e)", ["vim"] = "an editor that runs commands", ["vi"] = "an editor that runs commands",
        ["nvim"] = "an editor that runs commands", ["emacs"] = "an editor that runs commands", ["less"] = "a pager with shell escapes", ["more"] = "a pager with shell escapes",
        // Wrappers: the rest of the arguments is another command.
        ["env"] = "a wrapper that runs another program", ["xargs"] = "a wrapper that runs another program", ["nohup"] = "a wrapper that runs another program",
        ["timeout"] = "a wrapper that runs another program", ["nice"] = "a wrapper that runs another program", ["ionice"] = "a wrapper that runs another program",
        ["stdbuf"] = "a wrapper that runs another program", ["setsid"] = "a wrapper that runs another program", ["time"] = "a wrapper that runs another program",
        ["watch"] = "a wrapper that runs another program", ["flock"] = "a wrapper that runs another program", ["strace"] = "a wrapper that runs another program",
        ["ltrace"] = "a wrapper that runs another program", ["gdb"] = "a debugger that runs programs", ["chroot"] = "a wrapper that runs another program",
        ["sudo"] = "a wrapper that runs programs as another user", ["doas"] = "a wrapper that runs programs as another user", ["su"] = "a wrapper that runs programs as another user",
        ["ssh"] = "a remote shell", ["docker"] = "a container runner", ["podman"] = "a container runner", ["kubectl"] = "a cluster client that runs commands",
        // Build tools and package managers: they run the project's build files and scripts, which tools may be allowed to write.
        ["make"] = "a build tool (runs the Makefile)", ["gmake"] = "a build tool (runs the Makefile)", ["cmake"] = "a build tool", ["ninja"] = "a build tool",
        ["meson"] = "a build tool", ["bazel"] = "a build tool", ["scons"] = "a build tool", ["msbuild"] = "a build tool (runs project targets)",
        ["npm"] = "a package manager (runs package.json scripts)", ["npx"] = "a package runner", ["yarn"] = "a package manager (runs package.json scripts)",
        ["pnpm"] = "a package manager (runs package.json scripts)", ["bunx"] = "a package runner", ["pip"] = "a package manager (runs setup.py)",
        ["pip3"] = "a package manager (runs setup.py)", ["pipx"] = "a package runner", ["poetry"] = "a package manager", ["uv"] = "a package manager and runner",
        ["tox"] = "a test runner (runs tox.ini commands)", ["nox"] = "a test runner (runs noxfile.py)", ["pytest"] = "a test runner (runs conftest.py and tests)",
        ["cargo"] = "a build tool (runs build.rs)", ["go"] = "a build tool (go run, go generate)", ["mvn"] = "a build tool (runs plugins)",
        ["gradle"] = "a build tool (runs build scripts)", ["gradlew"] = "a build tool (runs build scripts)", ["ant"] = "a build tool", ["sbt"] = "a build tool",
        ["rake"] = "a build tool (runs the Rakefile)", ["bundle"] = "a package manager", ["gem"] = "a package manager", ["composer"] = "a package manager (runs scripts)",
        ["mix"] = "a build tool", ["cabal"] = "a build tool", ["stack"] = "a build tool", ["swift"] = "a build tool", ["xcodebuild"] = "a build tool",
    };

    /// <summary>dotnet subcommands that evaluate or build MSBuild projects (their targets run commands), or run code.</summary>
    private static readonly string[] DotnetCode =
        ["build", "test", "run", "msbuild", "pack", "publish", "restore", "clean", "format", "watch", "exec", "fsi", "tool", "vstest", "app.dll"];

    /// <summary>git subcommands that run hooks, configured commands or helpers.</summary>
    private static readonly string[] GitCode =
        ["commit", "merge", "pull", "rebase", "am", "cherry-pick", "revert", "checkout", "switch", "worktree", "bisect", "submodule", "difftool",
         "mergetool", "filter-branch", "config", "grep", "daemon", "instaweb", "send-email"];

    [GeneratedRegex(@"^(python|pypy|perl|ruby|php|lua|node)[0-9.]*$")]
    private static partial Regex VersionedInterpreter();

    /// <summary>Why the rule can run arbitrary code, or null.</summary>
    public static string? Why(CommandRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var name = Path.GetFileName(rule.Program);
        if (name.EndsWith(".exe", StringComparison.OrdinalIgnoreCase)) name = name[..^4];
        if (name == "dotnet")
        {
            var reached = Subcommands(rule, DotnetCode);
            return reached.Count == 0 ? null : $"{List("dotnet", reached.Select(s => s == "app.dll" ? "APP.dll" : s).ToList())} build or run code (MSBuild targets in the project's files, tests, assemblies)";
        }
        if (name == "git")
        {
            var reached = Subcommands(rule, GitCode);
            return reached.Count == 0 ? null : $"{List("git", reached)} can run hooks or configured commands";
        }
        var what = Programs.GetValueOrDefault(name)
            ?? (VersionedInterpreter().IsMatch(name) ? "an interpreter" : null);
        if (what is null) return null;
        return rule.Arguments.All(p => p.Text.Trim() is "" or "--version" or "-V" or "--help" or "version")
            ? null
            : $"{name} is {what}: approving one of its commands can run anything";
    }

    private static string List(string program, List<string> subcommands) =>
        subcommands.Count > 4
            ? $"`{program} {string.Join($"`, `{program} ", subcommands.Take(3))}` and {subcommands.Count - 3} more subcommands"
            : $"`{program} {string.Join($"`, `{program} ", subcommands)}`";

    /// <summary>The subcommands an argument pattern's first word can be.</summary>
    private static List<string> Subcommands(CommandRule rule, string[] subcommands)
    {
        var reached = new List<string>();
        foreach (var pattern in rule.Arguments)
        {
            var words = pattern.Text.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 0) continue;
            // "..." alone allows any arguments; otherwise global options before the subcommand are ignored here.
            var first = words[0] == ArgumentPattern.Rest ? null : new ArgumentGlob(words[0]);
            foreach (var sub in subcommands)
                if ((first is null || first.IsMatch(sub)) && !reached.Contains(sub)) reached.Add(sub);
        }
        return reached;
    }
}
