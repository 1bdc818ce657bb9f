using System.Text;
using System.Text.RegularExpressions;

namespace MiniMe.Memory.Import;

/// <summary>What one ignore file says about a path.</summary>
internal enum IgnoreVerdict
{
    NoMatch,
    Ignored,
    /// <summary>A "!pattern" re-included it (overriding a match in a file higher up).</summary>
    Included,
}

/// <summary>
/// One .gitignore (or .minimeignore, or .git/info/exclude) file: git's pattern rules for paths relative to the folder
/// it applies to. Blank lines and "#" comments are skipped; "!" negates; a trailing "/" matches only
/// folders; a pattern with a "/" before its end is anchored to the folder, one without matches a
/// name at any depth; "**" spans folders, "*" and "?" and "[...]" stay within one name; "\" escapes.
/// The last matching pattern wins. Patterns compile to linear-time regexes, so a hostile repository's
/// .gitignore cannot stall an import. (MAB.DotIgnore 3.0.1 was tried and not used: it compiles
/// patterns to backtracking regexes, one 60-character path took over a minute against a
/// 25-character pattern, "/build" also matched "x/build", and a blank line with spaces throws.)
/// </summary>
internal sealed class GitIgnoreFile
{
    private readonly List<Rule> _rules;

    private GitIgnoreFile(string directory, string source, List<Rule> rules)
    {
        Directory = directory;
        Source = source;
        _rules = rules;
    }

    /// <summary>The folder the patterns are relative to.</summary>
    public string Directory { get; }

    /// <summary>The ignore file, for messages.</summary>
    public string Source { get; }

    public int Count => _rules.Count;

    /// <summary>Reads an ignore file; null when it does not exist or cannot be read (then it ignores nothing).</summary>
    public static GitIgnoreFile? Load(string path, string directory)
    {
        try
        {
            return File.Exists(path) ? Parse(File.ReadAllText(path), directory, path) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static GitIgnoreFile Parse(string text, string directory, string source)
    {
        ArgumentNullException.ThrowIfNull(text);
        var rules = new List<Rule>();
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            if (ParseLine(raw.TrimEnd('\r'), number) is { } rule) rules.Add(rule);
        }
        return new GitIgnoreFile(directory, source, rules);
    }

    /// <summary>What the last matching pattern says about a '/'-separated path relative to <see cref="Directory"/>.</summary>
    public IgnoreVerdict Match(string relativePath, bool isDirectory, out string? pattern)
    {
        var name = relativePath[(relativePath.LastIndexOf('/') + 1)..];
        for (var i = _rules.Count - 1; i >= 0; i--)
        {
            var rule = _rules[i];
            if (rule.DirectoryOnly && !isDirectory) continue;
            if (!rule.Regex.IsMatch(rule.Anchored ? relativePath : name)) continue;
            pattern = $"{rule.Text} ({Source}:{rule.Line})";
            return rule.Negated ? IgnoreVerdict.Included : IgnoreVerdict.Ignored;
        }
        pattern = null;
        return IgnoreVerdict.NoMatch;
    }

    private static Rule? ParseLine(string line, int number)
    {
        line = TrimTrailingSpaces(line);
        if (line.Length == 0 || line[0] == '#') return null;
        var text = line;
        var negated = false;
        if (line[0] == '!')
        {
            negated = true;
            line = line[1..];
        }
        else if (line.StartsWith(@"\!", StringComparison.Ordinal) || line.StartsWith(@"\#", StringComparison.Ordinal))
        {
            line = line[1..];
        }
        var directoryOnly = line.EndsWith('/') && !line.EndsWith(@"\/", StringComparison.Ordinal);
        if (directoryOnly) line = line.TrimEnd('/');
        if (line.Length == 0) return null;
        // A slash at the start or in the middle anchors the pattern to the ignore file's folder.
        var anchored = line.Contains('/', StringComparison.Ordinal);
        line = line.TrimStart('/');
        if (line.Length == 0) return null;
        try
        {
            var regex = new Regex("^" + ToRegex(line) + "$", RegexOptions.NonBacktracking | RegexOptions.CultureInvariant);
            return new Rule(text, number, regex, negated, directoryOnly, anchored);
        }
        catch (ArgumentException)
        {
            return null;   // a pattern git cannot match either (a reversed range like [z-a]): it ignores nothing
        }
    }

    /// <summary>Trailing spaces are dropped unless escaped with a backslash.</summary>
    private static string TrimTrailingSpaces(string line)
    {
        var end = line.Length;
        while (end > 0 && line[end - 1] == ' ' && !(end > 1 && line[end - 2] == '\\')) end--;
        return line[..end];
    }

    private static string ToRegex(string pattern)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '\\' when i + 1 < pattern.Length:
                    sb.Append(Regex.Escape(pattern[++i].ToString()));
                    break;
                case '*' when i + 1 < pattern.Length && pattern[i + 1] == '*':
                    var start = i;
                    while (i + 1 < pattern.Length && pattern[i + 1] == '*') i++;
                    var atStart = start == 0 || pattern[start - 1] == '/';
                    var atEnd = i + 1 == pattern.Length || pattern[i + 1] == '/';
                    if (atStart && atEnd)
                    {
                        if (i + 1 == pattern.Length) sb.Append(".*");                 // "abc/**": everything inside
                        else { sb.Append("(?:.*/)?"); i++; }                         // "**/x", "a/**/b": zero or more folders
                    }
                    else
                    {
                        sb.Append("[^/]*");                                           // other "**" is a plain "*"
                    }
                    break;
                case '*':
                    sb.Append("[^/]*");
                    break;
                case '?':
                    sb.Append("[^/]");
                    break;
                case '[' when ClassEnd(pattern, i) is var close and > 0:
                    AppendClass(sb, pattern[(i + 1)..close]);
                    i = close;
                    break;
                default:
                    sb.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }
        return sb.ToString();
    }

    /// <summary>The index of the ']' closing a class opened at <paramref name="open"/> ("[]a]" and "[!]a]" include ']'), or -1.</summary>
    private static int ClassEnd(string pattern, int open)
    {
        var i = open + 1;
        if (i < pattern.Length && pattern[i] is '!' or '^') i++;
        if (i < pattern.Length && pattern[i] == ']') i++;
        for (; i < pattern.Length; i++)
        {
            if (pattern[i] == '\\') i++;
            else if (pattern[i] == ']') return i;
        }
        return -1;
    }

    /// <summary>A "[...]" class ("!" or "^" negates); like every wildcard it never matches the folder separator.</summary>
    private static void AppendClass(StringBuilder sb, string body)
    {
        var negated = body.Length > 0 && body[0] is '!' or '^';
        var first = negated ? 1 : 0;
        sb.Append(negated ? "[^/" : "[");
        for (var i = first; i < body.Length; i++)
        {
            var c = body[i];
            if (c == '\\' && i + 1 < body.Length) AppendClassChar(sb, body[++i]);
            else if (c == '-' && i > first && i + 1 < body.Length) sb.Append('-');
            else AppendClassChar(sb, c);
        }
        sb.Append(negated ? "]" : "-[/]]");
    }

    private static void AppendClassChar(StringBuilder sb, char c)
    {
        if (c is '\\' or ']' or '[' or '^' or '-') sb.Append('\\');
        sb.Append(c);
    }

    private sealed record Rule(string Text, int Line, Regex Regex, bool Negated, bool DirectoryOnly, bool Anchored);
}
