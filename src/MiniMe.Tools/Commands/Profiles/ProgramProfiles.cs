using MiniMe.Tools.Allowlist;

namespace MiniMe.Tools.Commands.Profiles;

/// <summary>The programs MiniMe knows (git, dotnet) and raw denies for a few common ones; everything else is <see cref="ProgramProfile.Generic"/>.</summary>
internal static class ProgramProfiles
{
    private static readonly Dictionary<string, ProgramProfile> Known = new(StringComparer.Ordinal)
    {
        ["git"] = GitProfile.Profile,
        ["dotnet"] = DotnetProfile.Profile,
    };

    /// <summary>The profile for an executable's file name (no directory, no extension).</summary>
    public static ProgramProfile For(string programName) => Known.GetValueOrDefault(programName) ?? ProgramProfile.Generic(programName);

    /// <summary>
    /// Arguments refused for programs MiniMe has no profile for, whatever the allowlist says: these make
    /// them run something else. (Unknown programs take options only where the allowlist names them.)
    /// </summary>
    private static readonly Dictionary<string, (ArgumentGlob Glob, string Why)[]> Raw = new(StringComparer.Ordinal)
    {
        ["npm"] = [R("--script-shell*", "chooses the shell scripts run with"), R("--node-options*", "passes options to node")],
        ["npx"] = [R("--script-shell*", "chooses the shell scripts run with"), R("-c", "runs a command string"), R("--call*", "runs a command string")],
        ["find"] = [R("-exec", "runs a command"), R("-execdir", "runs a command"), R("-ok", "runs a command"), R("-okdir", "runs a command"),
                    R("-delete", "deletes files"), R("-fprint*", "writes to a file"), R("-fls", "writes to a file")],
        ["rg"] = [R("--pre*", "runs a preprocessor command"), R("--hostname-bin*", "runs a command")],
        ["tar"] = [R("--to-command*", "runs a command"), R("--checkpoint-action*", "runs a command"), R("--use-compress-program*", "runs a program"),
                   R("-I", "runs a compression program"), R("--rsh-command*", "runs a remote shell"), R("--info-script*", "runs a script"),
                   R("--new-volume-script*", "runs a script"), R("-F", "runs a script")],
    };

    /// <summary>Why <paramref name="argument"/> is refused for a program without a profile, or null.</summary>
    public static string? RawDenial(string programName, string argument) =>
        Raw.TryGetValue(programName, out var rules) && rules.FirstOrDefault(r => r.Glob.IsMatch(argument)) is { Why: { } why } ? why : null;

    private static (ArgumentGlob, string) R(string glob, string why) => (new ArgumentGlob(glob), why);
}
