using MiniMe.Security;

namespace MiniMe.Tools.Allowlist;

/// <summary>
/// Include and exclude globs over paths relative to the tools root; exclude wins. For writes,
/// <see cref="Code"/> lists the build inputs and scripts (see Commands.CodeFiles) that may be written too.
/// </summary>
public sealed class PathRules(IReadOnlyList<Glob> include, IReadOnlyList<Glob> exclude, IReadOnlyList<Glob>? code = null)
{
    public static PathRules None { get; } = new([], []);

    public IReadOnlyList<Glob> Include { get; } = include;
    public IReadOnlyList<Glob> Exclude { get; } = exclude;
    /// <summary>Files that can run code which may nevertheless be written (write.code); they must also be included.</summary>
    public IReadOnlyList<Glob> Code { get; } = code ?? [];

    public Glob? CodeAllowedBy(string relativePath) => Code.FirstOrDefault(g => g.IsMatch(relativePath));

    public bool IsIncluded(string relativePath) => Include.Any(g => g.IsMatch(relativePath));

    public Glob? ExcludedBy(string relativePath) => Exclude.FirstOrDefault(g => g.IsMatch(relativePath));
}

/// <summary>One allowed program: the argument patterns it may run with and the arguments it may never get.</summary>
/// <param name="Program">A bare name looked up on PATH ("git"), or a path (absolute, or relative to the tools root).</param>
/// <param name="Arguments">Patterns for the arguments after the program; one must match.</param>
/// <param name="Deny">Argument globs refused anywhere in the vector, on top of the built-in ones.</param>
/// <param name="Options">Options allowed beyond the ones MiniMe's profile of the program allows (never the ones it refuses).</param>
/// <param name="AllowShellMetacharacters">Arguments may contain ; &amp; | $ ` &lt; &gt; and the like (they are never interpreted: no shell runs).</param>
/// <param name="Line">Where the rule is in allowlist.yaml, for messages.</param>
public sealed record CommandRule(string Program, IReadOnlyList<ArgumentPattern> Arguments, IReadOnlyList<ArgumentGlob> Deny, bool AllowShellMetacharacters, int Line, IReadOnlyList<Commands.OptionSpec>? Options = null)
{
    public IReadOnlyList<Commands.OptionSpec> ExtraOptions => Options ?? [];
}

/// <summary>allowlist.yaml: what tools may read, write and run, even with the user's approval (SPEC 3.6).</summary>
public sealed class ToolAllowlist(string source, PathRules read, PathRules write, IReadOnlyList<CommandRule> commands, IReadOnlyList<string> environment, string contentSha256 = ToolAllowlist.AbsentSha256)
{
    /// <summary>The <see cref="ContentSha256"/> of a workspace with no allowlist.yaml.</summary>
    public const string AbsentSha256 = "absent";

    /// <summary>The file it came from (or a description), for messages.</summary>
    public string Source { get; } = source;
    public PathRules Read { get; } = read;
    public PathRules Write { get; } = write;
    public IReadOnlyList<CommandRule> Commands { get; } = commands;
    /// <summary>Extra environment variable names passed to commands.</summary>
    public IReadOnlyList<string> Environment { get; } = environment;
    /// <summary>SHA-256 (lower-case hex) of the file's text as parsed (UTF-8), or <see cref="AbsentSha256"/> when there is no file.</summary>
    public string ContentSha256 { get; } = contentSha256;

    /// <summary>No file: everything under the root may be read (secrets excepted), nothing written, nothing run.</summary>
    public static ToolAllowlist Missing(string path) =>
        new($"{path} (missing)", new PathRules([new Glob("**")], []), PathRules.None, [], []);
}
