using System.Text.RegularExpressions;
using MiniMe.Security;
using MiniMe.Tools.Allowlist;

namespace MiniMe.Tools.Trust;

/// <summary>
/// Whether some string matches both a command-line <see cref="ArgumentGlob"/> and a path
/// <see cref="Glob"/>: both are turned into small automata and their product is searched for a
/// common accepted string. Exact for the glob syntax both classes accept, so `scripts/*.sh` overlaps
/// `scripts/**` and `*.sh` overlaps `tools/**` (an argument glob's * crosses '/'), while `--version`
/// overlaps nothing a write rule allows.
/// </summary>
internal static class GlobOverlap
{
    public static bool Overlaps(ArgumentGlob argument, Glob path)
    {
        ArgumentNullException.ThrowIfNull(argument);
        ArgumentNullException.ThrowIfNull(path);
        var left = FromArgumentGlob(argument.Pattern);
        var right = FromPathGlob(path.Pattern);
        var candidates = argument.Pattern.Concat(path.Pattern).Concat("/a\uE000").Distinct().ToArray();
        return Intersect(left, right, candidates);
    }

    private delegate bool CharClass(char c);

    private sealed class Automaton
    {
        public List<List<(CharClass? On, int To)>> Moves { get; } = [[]];
        public int Accept { get; set; }

        public int NewState()
        {
            Moves.Add([]);
            return Moves.Count - 1;
        }

        public void Add(int from, CharClass? on, int to) => Moves[from].Add((on, to));
    }

    private static readonly CharClass Any = _ => true;
    private static readonly CharClass NotSlash = c => c != '/';

    private static CharClass Literal(char expected) => c => c == expected;

    /// <summary>* is any characters ('/' included), ? one character, the rest literal.</summary>
    private static Automaton FromArgumentGlob(string pattern)
    {
        var a = new Automaton();
        var current = 0;
        foreach (var c in pattern)
        {
            var next = a.NewState();
            switch (c)
            {
                case '*':
                    a.Add(current, Any, current);
                    a.Add(current, null, next);
                    break;
                case '?':
                    a.Add(current, Any, next);
                    break;
                default:
                    a.Add(current, Literal(c), next);
                    break;
            }
            current = next;
        }
        a.Accept = current;
        return a;
    }

    /// <summary>The same reading of the pattern as <see cref="Glob"/>: **/ zero or more directories, ** anything, * and ? within a name, [..] a class.</summary>
    private static Automaton FromPathGlob(string pattern)
    {
        var a = new Automaton();
        var current = 0;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            var next = a.NewState();
            switch (c)
            {
                case '*' when i + 1 < pattern.Length && pattern[i + 1] == '*':
                    var atSegmentStart = i == 0 || pattern[i - 1] == '/';
                    var followedBySlash = i + 2 < pattern.Length && pattern[i + 2] == '/';
                    if (atSegmentStart && followedBySlash)
                    {
                        // (?:.*/)? : nothing, or any characters ending in '/'.
                        var inside = a.NewState();
                        a.Add(current, null, next);
                        a.Add(current, null, inside);
                        a.Add(inside, Any, inside);
                        a.Add(inside, Literal('/'), next);
                        i += 2;
                    }
                    else
                    {
                        a.Add(current, Any, current);
                        a.Add(current, null, next);
                        i += 1;
                    }
                    break;
                case '*':
                    a.Add(current, NotSlash, current);
                    a.Add(current, null, next);
                    break;
                case '?':
                    a.Add(current, NotSlash, next);
                    break;
                case '[' when pattern.IndexOf(']', i + 1) is var close and > 0:
                    var body = pattern[(i + 1)..close];
                    var negate = body.StartsWith('!') || body.StartsWith('^');
                    if (negate) body = body[1..];
                    var regex = new Regex("^[" + (negate ? "^/" : "") + body.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("[", @"\[", StringComparison.Ordinal) + "]$", RegexOptions.CultureInvariant);
                    a.Add(current, ch => regex.IsMatch(ch.ToString()), next);
                    i = close;
                    break;
                default:
                    a.Add(current, Literal(c), next);
                    break;
            }
            current = next;
        }
        a.Accept = current;
        return a;
    }

    /// <summary>Breadth-first search of the product automaton; a pair of moves is taken when one candidate character satisfies both.</summary>
    private static bool Intersect(Automaton left, Automaton right, char[] candidates)
    {
        var seen = new HashSet<(int, int)> { (0, 0) };
        var queue = new Queue<(int L, int R)>([(0, 0)]);
        while (queue.Count > 0)
        {
            var (l, r) = queue.Dequeue();
            if (l == left.Accept && r == right.Accept) return true;
            void Visit(int nl, int nr)
            {
                if (seen.Add((nl, nr))) queue.Enqueue((nl, nr));
            }
            foreach (var (on, to) in left.Moves[l])
                if (on is null) Visit(to, r);
            foreach (var (on, to) in right.Moves[r])
                if (on is null) Visit(l, to);
            foreach (var (leftOn, leftTo) in left.Moves[l])
            {
                if (leftOn is null) continue;
                foreach (var (rightOn, rightTo) in right.Moves[r])
                    if (rightOn is not null && candidates.Any(c => leftOn(c) && rightOn(c)))
                        Visit(leftTo, rightTo);
            }
        }
        return false;
    }
}
