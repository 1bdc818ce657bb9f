using System.Text;
using System.Text.RegularExpressions;

namespace MiniMe.Security;

/// <summary>
/// A path glob over '/'-separated relative paths: ** is any number of whole directories (including
/// none), * is any characters but '/', ? is one character but '/', [abc] a character class.
/// The whole path must match.
/// </summary>
public sealed class Glob
{
    private readonly Regex _regex;

    public Glob(string pattern, bool ignoreCase = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        Pattern = pattern;
        var options = RegexOptions.CultureInvariant | RegexOptions.NonBacktracking | (ignoreCase ? RegexOptions.IgnoreCase : RegexOptions.None);
        _regex = new Regex("^" + ToRegex(pattern) + "$", options);
    }

    public string Pattern { get; }

    public bool IsMatch(string relativePath) => _regex.IsMatch(relativePath);

    public override string ToString() => Pattern;

    private static string ToRegex(string pattern)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '*' when i + 1 < pattern.Length && pattern[i + 1] == '*':
                    var atSegmentStart = i == 0 || pattern[i - 1] == '/';
                    var followedBySlash = i + 2 < pattern.Length && pattern[i + 2] == '/';
                    if (atSegmentStart && followedBySlash)
                    {
                        sb.Append("(?:.*/)?");   // "**/" : zero or more directories
                        i += 2;
                    }
                    else
                    {
                        sb.Append(".*");         // "dir/**" or a bare "**": anything below
                        i += 1;
                    }
                    break;
                case '*':
                    sb.Append("[^/]*");
                    break;
                case '?':
                    sb.Append("[^/]");
                    break;
                case '[':
                    var close = pattern.IndexOf(']', i + 1);
                    if (close < 0) { sb.Append(@"\["); break; }
                    var body = pattern[(i + 1)..close];
                    var negate = body.StartsWith('!') || body.StartsWith('^');
                    if (negate) body = body[1..];
                    sb.Append('[').Append(negate ? "^/" : "").Append(body.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("[", @"\[", StringComparison.Ordinal)).Append(']');
                    i = close;
                    break;
                default:
                    sb.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }
        return sb.ToString();
    }
}
