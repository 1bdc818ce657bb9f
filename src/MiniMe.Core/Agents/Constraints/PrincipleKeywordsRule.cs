using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using MiniMe.Identity;

namespace MiniMe.Agents.Constraints;

/// <summary>
/// principle.keyword: a principle of the task's effective identity forbids something by name and a
/// line the change introduces contains it. The forbidden terms are read from the principle's name and
/// description: what follows "never use", "never", "avoid", "avoid using", "do not use", "don't use",
/// "must not use", "no use of" or "forbid": a `backticked` or "quoted" term, else up to four words,
/// cut at the first of in/for/when/unless/except/because/and/or/with/without/on/to/if, leading
/// articles dropped ("Avoid the service locator pattern" → "service locator pattern"). A term matches
/// case-insensitively as whole words, with its words joined by nothing, a space, "_" or "-" (so
/// "global state" also finds globalState and global_state). Always a warning, named after the
/// principle, once per principle, term and file.
/// </summary>
public sealed partial class PrincipleKeywordsRule : IConstraintRule
{
    private static readonly HashSet<string> Stops = new(StringComparer.OrdinalIgnoreCase)
        { "in", "for", "when", "unless", "except", "because", "and", "or", "with", "without", "on", "to", "if", "than", "where", "outside", "inside", "at", "as", "so" };

    private static readonly HashSet<string> Articles = new(StringComparer.OrdinalIgnoreCase) { "the", "a", "an", "any" };

    private static readonly HashSet<string> Vague = new(StringComparer.OrdinalIgnoreCase)
        { "it", "this", "that", "them", "these", "those", "anything", "something", "more", "less", "too", "much", "many", "one", "ever" };

    /// <summary>Term patterns by term: the terms come from identity.yaml, so there are few.</summary>
    private static readonly ConcurrentDictionary<string, Regex> Patterns = new(StringComparer.OrdinalIgnoreCase);

    public string Id => "principle.keyword";

    public IEnumerable<Violation> Check(IReadOnlyList<ProposedChange> changes, ConstraintContext context)
    {
        foreach (var principle in context.Principles)
            foreach (var term in ForbiddenTerms(principle.Principle))
            {
                var pattern = Patterns.GetOrAdd(term, TermPattern);
                foreach (var change in changes)
                {
                    var hit = change.AddedLines().FirstOrDefault(l => pattern.IsMatch(l.Text));
                    if (hit.Text is null) continue;
                    yield return ConstraintRules.Finding(principle.Principle.Name, Id,
                        $"{(change.Kind == ChangeKind.Command ? "the command" : $"line {hit.Number}")} uses '{term}', which the principle '{principle.Principle.Name}' rules out",
                        change.Location, change.Kind == ChangeKind.Command ? null : hit.Number, blocking: false);
                }
            }
    }

    /// <summary>The terms a principle forbids by name (see the class summary), in order, without duplicates.</summary>
    public static IReadOnlyList<string> ForbiddenTerms(Principle principle)
    {
        ArgumentNullException.ThrowIfNull(principle);
        var text = principle.Name + ". " + principle.Description;
        var terms = new List<string>();
        foreach (Match m in Trigger().Matches(text))
        {
            var quoted = m.Groups["quoted"];
            var term = quoted.Success ? quoted.Value.Trim() : Trim(m.Groups["words"].Value);
            if (term.Length >= 2 && !Vague.Contains(term) && !terms.Contains(term, StringComparer.OrdinalIgnoreCase)) terms.Add(term);
        }
        return terms;
    }

    private static string Trim(string words)
    {
        var kept = new List<string>();
        foreach (var word in words.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (Stops.Contains(word)) break;
            if (kept.Count == 0 && Articles.Contains(word)) continue;
            kept.Add(word);
        }
        return string.Join(' ', kept).TrimEnd('.', '-');
    }

    private static Regex TermPattern(string term)
    {
        var words = term.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries).Select(Regex.Escape);
        var body = string.Join(@"[\s_-]?", words);
        var start = char.IsLetterOrDigit(term[0]) || term[0] == '_' ? @"\b" : "";
        var end = char.IsLetterOrDigit(term[^1]) || term[^1] == '_' ? @"\b" : "";
        return new Regex(start + body + end, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.NonBacktracking,
            TimeSpan.FromMilliseconds(ConstraintRules.RegexTimeoutMs));
    }

    [GeneratedRegex(
        @"\b(?i:never[ \t]+use|never|avoid(?:[ \t]+using)?|do[ \t]+not[ \t]+use|don['’]t[ \t]+use|must[ \t]+not[ \t]+use|no[ \t]+use[ \t]+of|forbid)[ \t]+" +
        @"(?:`(?<quoted>[^`\r\n]{1,60})`|""(?<quoted>[^""\r\n]{1,60})""|'(?<quoted>[^'\r\n]{1,60})'|(?<words>[A-Za-z0-9_$#+]+(?:\.[A-Za-z0-9_$#+]+)*(?:[ \t]+[A-Za-z0-9_$#+-]+){0,3}))",
        RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, ConstraintRules.RegexTimeoutMs)]
    private static partial Regex Trigger();
}
