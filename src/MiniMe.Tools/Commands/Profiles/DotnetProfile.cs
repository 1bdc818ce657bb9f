namespace MiniMe.Tools.Commands.Profiles;

/// <summary>
/// The dotnet CLI and the MSBuild behind it. Build, test and the like run the repository's build files
/// (targets, props, tasks) and tests run its code, so they are "runs code": sandboxed, and never in
/// the default allowlist. Options are an allow-list of the ones that only choose what to build and how
/// verbosely; anything that sets properties, loads loggers or adapters, reads response files or writes
/// logs with the environment in them is refused, however it is spelt.
/// </summary>
internal static class DotnetProfile
{
    private static readonly DeniedOption[] Anywhere =
    [
        new("-p|--property|-property", "sets MSBuild properties (PreBuildEvent and similar run commands)"),
        new("-rp|-restoreproperty", "sets MSBuild properties for restore"),
        new("-l|--logger|-logger", "loads a logger assembly (only the named built-in loggers of dotnet test are allowed)"),
        new("-dl|-distributedlogger|-fl|-filelogger|-flp|-fileloggerparameters|-clp|-consoleloggerparameters", "loads or configures loggers"),
        new("-bl|-binarylogger", "writes a binary log that records environment variables"),
        new("-pp|-preprocess", "writes the preprocessed project to a file"),
        new("-t|-target", "runs arbitrary targets"),
        new("-irc|-inputresultscaches|-orc|-outputresultscache", "reads or writes build result caches"),
        new("-noautorsp|-noautoresponse", "changes which response files are read"),
        new("--test-adapter-path", "loads test adapter assemblies from a directory"),
        new("--diag|-d|--diagnostics", "writes diagnostic logs with the environment"),
        new("-e|--environment", "sets environment variables for the test process (DOTNET_STARTUP_HOOKS loads code)"),
        new("--collect", "loads data collector assemblies"),
        new("-s|--settings", "reads a runsettings file, which can load adapters and data collectors"),
        new("--source|--add-source|--configfile", "points package restore at other sources"),
        new("--interactive", "prompts for credentials"),
        new("--additionalprobingpath|--depsfile|--runtimeconfig|--additional-deps", "loads assemblies from other places"),
    ];

    private static readonly string[] Build =
    [
        "-c|--configuration <name>", "-f|--framework <name>", "-r|--runtime <name>", "-a|--arch <name>", "--os <name>",
        "-v|--verbosity <enum:q,quiet,m,minimal,n,normal,d,detailed,diag,diagnostic>",
        "--no-restore", "--no-dependencies", "--no-incremental", "--nologo", "-o|--output <path:write>", "--artifacts-path <path:write>",
        "--sc|--self-contained", "--no-self-contained", "--ucr|--use-current-runtime", "--disable-build-servers",
        "-tl|--tl[=<enum:auto,on,off>]", "-warnaserror|-err[=<name>]", "-m|-maxcpucount[=<int>]", "-nr|-nodereuse[=<enum:true,false>]",
    ];

    public static ProgramProfile Profile { get; } = new(
        "dotnet",
        OptionStyle.MsBuild,
        globalOptions: ["--version", "--info", "--list-sdks", "--list-runtimes", "-h|--help"],
        globalDenied: [],
        subcommands:
        [
            SubcommandProfile.Create("build", OperandKind.Any, runsCode: true, Build),
            SubcommandProfile.Create("test", OperandKind.Any, runsCode: true,
                [.. Build, "--filter <text>", "--no-build", "-t|--list-tests", "--logger <enum:trx,console,html>", "--results-directory <path:write>",
                 "--blame", "--blame-hang", "--blame-hang-timeout <text>"]),
            SubcommandProfile.Create("restore", OperandKind.Any, runsCode: true,
                ["-v|--verbosity <enum:q,quiet,m,minimal,n,normal,d,detailed,diag,diagnostic>", "--locked-mode", "--force", "--no-cache", "-r|--runtime <name>", "--disable-build-servers"]),
            SubcommandProfile.Create("clean", OperandKind.Any, runsCode: true,
                ["-c|--configuration <name>", "-f|--framework <name>", "-r|--runtime <name>", "-v|--verbosity <enum:q,quiet,m,minimal,n,normal,d,detailed,diag,diagnostic>", "--nologo", "-o|--output <path:write>"]),
            SubcommandProfile.Create("format", OperandKind.Any, runsCode: true,
                ["--verify-no-changes", "--no-restore", "-v|--verbosity <enum:q,quiet,m,minimal,n,normal,d,detailed,diag,diagnostic>", "--severity <enum:info,warn,error>",
                 "--include <path:read>", "--exclude <path:read>", "--include-generated"]),
            SubcommandProfile.Create("pack", OperandKind.Any, runsCode: true, [.. Build, "--include-symbols", "--include-source", "--no-build"]),
            SubcommandProfile.Create("publish", OperandKind.Any, runsCode: true, [.. Build, "--no-build"]),
            SubcommandProfile.Create("run", OperandKind.Any, runsCode: true,
                ["-c|--configuration <name>", "-f|--framework <name>", "-r|--runtime <name>", "--project <path:read>", "--no-build", "--no-restore",
                 "-v|--verbosity <enum:q,quiet,m,minimal,n,normal,d,detailed,diag,diagnostic>"]),
        ],
        denied: Anywhere,
        hasSubcommands: true,
        runsCodeWithoutSubcommand: false,
        allowEndOfOptions: false);
}
