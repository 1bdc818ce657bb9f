namespace MiniMe.Tools.Commands;

/// <summary>How a program reads its options: the spellings, prefixes and value separators it accepts.</summary>
public enum OptionStyle
{
    /// <summary>getopt_long / git parse-options: --name, --name=value or --name value, -x, -xVALUE or -x VALUE, clusters -abc, "--" ends options. Case-sensitive.</summary>
    Gnu,
    /// <summary>
    /// The dotnet CLI in front of MSBuild: case-insensitive names, '-' or '--' (and '/', which MiniMe refuses
    /// because it is also an absolute path), the value after ':' or '=' or as the next argument, '@file' response files.
    /// </summary>
    MsBuild,
}

/// <summary>What MiniMe does with the operands of a subcommand (see <see cref="GitArguments"/>).</summary>
public enum OperandKind
{
    /// <summary>Operands are checked as paths when they name one (the default for programs MiniMe does not know).</summary>
    Any,
    /// <summary>Only pathspecs (git status, git ls-files).</summary>
    Pathspecs,
    /// <summary>Revisions, then pathspecs (git diff, log, show, blame): revisions are peeled to commits, secrets excluded.</summary>
    RevisionsAndPathspecs,
    /// <summary>Revision names only, printed not shown (git rev-parse).</summary>
    RevisionNames,
    /// <summary>No operands (git branch: an operand would create a branch).</summary>
    None,
}

/// <summary>One subcommand MiniMe knows: the options it may take, what its operands are, and whether it runs repository code.</summary>
/// <param name="RunsCode">It runs code from the repository (build files, tests, scripts): allowed only inside a sandbox unless tools.sandbox is none.</param>
public sealed record SubcommandProfile(string Name, IReadOnlyList<OptionSpec> Options, OperandKind Operands, bool RunsCode, IReadOnlyList<DeniedOption> Denied)
{
    public static SubcommandProfile Create(string name, OperandKind operands, bool runsCode, IEnumerable<string> options, IEnumerable<DeniedOption>? denied = null) =>
        new(name, [.. options.Select(OptionSpec.Parse)], operands, runsCode, [.. denied ?? []]);
}

/// <summary>
/// What MiniMe knows about a program it may run: how it parses options, the global options allowed before
/// a subcommand, each subcommand's allowed options (an allow-list: anything else is refused), and options
/// refused whatever the allowlist says because they run, load or read something else.
/// </summary>
public sealed class ProgramProfile
{
    public ProgramProfile(
        string name,
        OptionStyle style,
        IEnumerable<string> globalOptions,
        IEnumerable<DeniedOption> globalDenied,
        IEnumerable<SubcommandProfile> subcommands,
        IEnumerable<DeniedOption> denied,
        bool hasSubcommands,
        bool runsCodeWithoutSubcommand,
        bool allowEndOfOptions = true)
    {
        Name = name;
        Style = style;
        GlobalOptions = [.. globalOptions.Select(OptionSpec.Parse)];
        GlobalDenied = [.. globalDenied];
        Subcommands = subcommands.ToDictionary(s => s.Name, StringComparer.Ordinal);
        Denied = [.. denied];
        HasSubcommands = hasSubcommands;
        RunsCodeWithoutSubcommand = runsCodeWithoutSubcommand;
        AllowEndOfOptions = allowEndOfOptions;
    }

    public string Name { get; }
    public OptionStyle Style { get; }
    /// <summary>Options allowed before the subcommand (or, for a program without subcommands, anywhere).</summary>
    public IReadOnlyList<OptionSpec> GlobalOptions { get; }
    /// <summary>Refused before the subcommand.</summary>
    public IReadOnlyList<DeniedOption> GlobalDenied { get; }
    public IReadOnlyDictionary<string, SubcommandProfile> Subcommands { get; }
    /// <summary>Refused anywhere after the subcommand (on top of the subcommand's own list).</summary>
    public IReadOnlyList<DeniedOption> Denied { get; }
    /// <summary>The first operand names a subcommand (git status, dotnet build).</summary>
    public bool HasSubcommands { get; }
    public bool RunsCodeWithoutSubcommand { get; }
    /// <summary>Whether "--" may be given (dotnet passes what follows to the test runner or the program).</summary>
    public bool AllowEndOfOptions { get; }

    /// <summary>A program MiniMe knows nothing about: options only where the allowlist names them, and it may run anything.</summary>
    public static ProgramProfile Generic(string name) =>
        new(name, OptionStyle.Gnu, [], [], [], [], hasSubcommands: false, runsCodeWithoutSubcommand: true);
}
