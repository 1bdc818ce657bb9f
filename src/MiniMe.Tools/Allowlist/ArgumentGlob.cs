using System.Text;
using System.Text.RegularExpressions;

namespace MiniMe.Tools.Allowlist;

/// <summary>A glob over one command-line argument: * is any characters (including '/'), ? one character, the rest literal.</summary>
public sealed class ArgumentGlob
{
    private readonly Regex _regex;

    public ArgumentGlob(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        Pattern = pattern;
        var sb = new StringBuilder("^");
        foreach (var c in pattern)
            sb.Append(c switch { '*' => ".*", '?' => ".", _ => Regex.Escape(c.ToString()) });
        _regex = new Regex(sb.Append('$').ToString(), RegexOptions.CultureInvariant | RegexOptions.NonBacktracking | RegexOptions.Singleline);
    }

    public string Pattern { get; }

    /// <summary>No '*' or '?': the word matches exactly one spelling, so an option written here is allowed as written.</summary>
    public bool IsLiteral => Pattern.IndexOfAny(['*', '?']) < 0;

    public bool IsMatch(string argument) => _regex.IsMatch(argument);

    public override string ToString() => Pattern;
}
