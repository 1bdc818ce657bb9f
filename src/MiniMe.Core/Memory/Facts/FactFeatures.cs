using MiniMe.Masks;
using MiniMe.Memory.Lexical;

namespace MiniMe.Memory.Facts;

/// <summary>
/// A claim of the form ATTRIBUTE RELATION VALUE [over OVER] [for CONTEXT]: "my favorite editor is vim",
/// "prefers tabs over spaces for go", "lives in oslo". Words are stems without stopwords.
/// </summary>
internal sealed record FactClaim(
    string Relation,
    string Attribute,
    bool AttributeIsSpecific,
    IReadOnlySet<string> Value,
    string? ValueHead,
    IReadOnlySet<string> Over,
    string Context)
{
    /// <summary>The attribute and value as written (without stopwords), for reasons shown to the user.</summary>
    public string AttributeText { get; init; } = Attribute;
    public string ValueText { get; init; } = string.Join(' ', Value);
}

/// <summary>What the rules look at in one statement: content stems, numbers, negation and the claim.</summary>
internal sealed class FactFeatures
{
    private static readonly HashSet<string> NegationWords = new(StringComparer.Ordinal)
    {
        "no", "not", "never", "none", "nothing", "nobody", "neither", "nor", "without", "cannot",
    };

    /// <summary>Verbs that mean "not VERB": "dislikes tabs" contradicts "likes tabs".</summary>
    private static readonly Dictionary<string, string> Antonyms = new(StringComparer.Ordinal)
    {
        ["dislike"] = "like", ["dislikes"] = "likes", ["disliked"] = "liked",
        ["hate"] = "love", ["hates"] = "loves", ["hated"] = "loved",
        ["avoid"] = "use", ["avoids"] = "uses", ["avoided"] = "used",
    };

    /// <summary>Words that change emphasis, not meaning.</summary>
    private static readonly HashSet<string> Fillers = new(StringComparer.Ordinal)
    {
        "user", "users", "also", "always", "usually", "generally", "really", "strongly", "definitely",
        "actually", "still", "currently", "now", "mostly", "typically", "normally", "much", "very",
    };

    private static readonly HashSet<string> Subjects = new(StringComparer.Ordinal) { "i", "he", "she", "they", "we", "the", "user" };

    private static readonly HashSet<string> Possessives = new(StringComparer.Ordinal) { "my", "our", "their", "his", "her" };

    private static readonly HashSet<string> SpecificMarkers = new(StringComparer.Ordinal)
    {
        "favorite", "favourite", "preferred", "default", "primary", "main", "usual", "go-to", "current",
    };

    private static readonly HashSet<string> OverMarkers = new(StringComparer.Ordinal) { "over", "to", "than", "instead", "vs", "versus" };

    private static readonly HashSet<string> ContextMarkers = new(StringComparer.Ordinal)
    {
        "for", "in", "when", "while", "on", "at", "during", "with", "as", "inside", "within",
    };

    /// <summary>Relations with one value at a time: a different value contradicts.</summary>
    private static readonly (string[] Words, string Relation)[] SingleValued =
    [
        (["lives", "in"], "lives-in"), (["live", "in"], "lives-in"), (["living", "in"], "lives-in"),
        (["based", "in"], "lives-in"), (["located", "in"], "lives-in"),
        (["works", "at"], "works-at"), (["works", "for"], "works-at"), (["work", "at"], "works-at"), (["work", "for"], "works-at"),
        (["born", "in"], "born-in"),
    ];

    private FactFeatures(string key, HashSet<string> content, List<string> numbers, bool negated, FactClaim? claim)
    {
        Key = key;
        Content = content;
        Numbers = numbers;
        Negated = negated;
        Claim = claim;
    }

    public string Key { get; }

    /// <summary>Stems of the meaningful words: no stopwords, negations, fillers or numbers.</summary>
    public IReadOnlySet<string> Content { get; }

    /// <summary>Numbers in order of appearance, normalized ("two" and "2" are both "2").</summary>
    public IReadOnlyList<string> Numbers { get; }

    /// <summary>True when the statement is negated (an odd number of negations).</summary>
    public bool Negated { get; }

    public FactClaim? Claim { get; }

    public static FactFeatures Analyze(string text)
    {
        var words = FactText.Words(text);
        var key = string.Join(' ', words);
        var negations = 0;
        // The sentence without its negations (antonyms replaced by their positive verb), for claim parsing.
        var positive = new List<string>(words.Count);
        foreach (var word in words)
        {
            if (NegationWords.Contains(word) || word.EndsWith("n't", StringComparison.Ordinal))
            {
                negations++;
                continue;
            }
            if (Antonyms.TryGetValue(word, out var opposite))
            {
                negations++;
                positive.Add(opposite);
                continue;
            }
            positive.Add(word);
        }

        var content = new HashSet<string>(StringComparer.Ordinal);
        var numbers = new List<string>();
        foreach (var word in positive)
        {
            if (FactText.TryNumber(word, out var number)) numbers.Add(number);
            else if (StemOf(word) is { } stem) content.Add(stem);
        }
        return new FactFeatures(key, content, numbers, negations % 2 == 1, ParseClaim(positive));
    }

    /// <summary>The stem of a meaningful word, or null for stopwords, fillers and numbers.</summary>
    private static string? StemOf(string word)
    {
        if (word.EndsWith("'s", StringComparison.Ordinal)) word = word[..^2];
        if (word.Length == 0 || Stopwords.Contains(word) || Fillers.Contains(word) || FactText.TryNumber(word, out _)) return null;
        return Stemmer.Stem(word);
    }

    private static FactClaim? ParseClaim(List<string> words)
    {
        var start = 0;
        // "The user prefers", "I prefer": the subject is the user either way.
        while (start < words.Count - 1 && Subjects.Contains(words[start]) && !IsPivotAt(words, start, out _, out _)) start++;
        for (var i = start; i < words.Count; i++)
        {
            if (!IsPivotAt(words, i, out var relation, out var length)) continue;
            var before = words[start..i];
            var after = words[(i + length)..];
            if (relation == "is" && !IsSpecific(before) && IsSpecific(after))
            {
                // "Vim is my favorite editor" is "my favorite editor is vim".
                (before, after) = (after, before);
            }
            return BuildClaim(relation, before, after);
        }
        return null;
    }

    private static bool IsPivotAt(List<string> words, int i, out string relation, out int length)
    {
        var word = words[i];
        foreach (var (pattern, name) in SingleValued)
        {
            if (i + pattern.Length <= words.Count && pattern.Select((w, k) => words[i + k] == w).All(x => x))
            {
                relation = name;
                length = pattern.Length;
                return true;
            }
        }
        length = 1;
        var stem = Stemmer.Stem(word);
        relation = stem is "prefer" or "favor" or "favour" || word == "rather" ? "prefers"
            : word is "is" or "are" ? "is"
            : "";
        return relation.Length > 0;
    }

    private static bool IsSpecific(List<string> words) =>
        words.Any(w => Possessives.Contains(w) || SpecificMarkers.Contains(w) || (w.EndsWith("'s", StringComparison.Ordinal) && w.Length > 2));

    private static FactClaim BuildClaim(string relation, List<string> before, List<string> after)
    {
        var value = new List<string>();
        var valueWords = new List<string>();
        var over = new List<string>();
        var context = new List<string>();
        var target = value;
        foreach (var word in after)
        {
            if (relation == "prefers" && target == value && value.Count > 0 && OverMarkers.Contains(word))
            {
                target = over;
                continue;
            }
            if (target != context && value.Count > 0 && ContextMarkers.Contains(word))
            {
                target = context;
                continue;
            }
            if (StemOf(word) is not { } stem) continue;
            target.Add(stem);
            if (target == value) valueWords.Add(word);
        }
        var attribute = before.Select(StemOf).OfType<string>().ToList();
        var attributeWords = before.Where(w => StemOf(w) is not null);
        return new FactClaim(
            relation,
            string.Join(' ', attribute),
            IsSpecific(before),
            value.ToHashSet(StringComparer.Ordinal),
            value.Count > 0 ? value[^1] : null,
            over.ToHashSet(StringComparer.Ordinal),
            string.Join(' ', context))
        {
            AttributeText = string.Join(' ', attributeWords),
            ValueText = string.Join(' ', valueWords),
        };
    }
}
