using MiniMe.Identity;

namespace MiniMe.Server.Signals;

/// <summary>The coherence of a set of principles and the two parts it is the mean of.</summary>
public sealed record CoherenceParts(double Score, double Consistency, double Overlap);

/// <summary>
/// How coherent a set of principles is, in [0, 1]: the mean of how evenly they are held (the
/// consistency of their magnitudes) and how much they speak about the same things (the overlap of
/// their words, weighted by magnitude). Deterministic: no model and no embeddings, so the same
/// identity.yaml gives the same score whatever embedding model is configured.
/// <code>
/// w(p)        = p's magnitude, clamped to [0, 1]
/// consistency = 1 − 2·σ(w)      σ: the population standard deviation of the magnitudes (at most 0.5 in [0, 1])
/// terms(p)    = the words of p's name, description and tags: lower-cased, split at every character that
///               is not a letter or digit, words under 3 characters and common English words dropped, a
///               final -ing, -ed or -s taken off (tested, testing, tests: test)
/// sim(p, q)   = cosine of the term-count vectors of p and q (0 when either has no term), in [0, 1]
/// overlap     = Σ_{p&lt;q} w(p)·w(q)·sim(p, q) / Σ_{p&lt;q} w(p)·w(q)   (every pair counts equally when all weigh 0)
/// coherence   = (consistency + overlap) / 2
/// </code>
/// No principles: 0 (nothing to be coherent); one principle: 1 (it cannot disagree with itself). The
/// score and both parts are rounded to 3 decimals.
/// </summary>
public static class PrincipleCoherence
{
    public const string Method = "magnitude-consistency+lexical-overlap";

    private static readonly HashSet<string> StopWords = new(StringComparer.Ordinal)
    {
        "the", "and", "for", "are", "but", "not", "you", "all", "any", "can", "had", "her", "was", "one", "our", "out",
        "has", "have", "him", "his", "how", "its", "may", "new", "now", "own", "she", "too", "use", "who", "why", "yet",
        "that", "this", "with", "from", "they", "them", "then", "than", "what", "when", "where", "which", "while", "will",
        "would", "should", "could", "into", "onto", "over", "under", "each", "every", "some", "such", "only", "also",
        "been", "being", "were", "there", "their", "these", "those", "here", "does", "done", "about", "above", "after",
        "before", "again", "more", "most", "other", "very", "just",
    };

    /// <summary>The score in [0, 1], rounded to 3 decimals.</summary>
    public static double Score(IReadOnlyList<Principle> principles) => Compute(principles).Score;

    public static CoherenceParts Compute(IReadOnlyList<Principle> principles)
    {
        ArgumentNullException.ThrowIfNull(principles);
        if (principles.Count == 0) return new CoherenceParts(0, 0, 0);
        if (principles.Count == 1) return new CoherenceParts(1, 1, 1);
        var weights = principles.Select(p => double.IsFinite(p.Magnitude) ? Math.Clamp(p.Magnitude, 0, 1) : 0).ToList();
        var mean = weights.Average();
        var deviation = Math.Sqrt(weights.Sum(w => (w - mean) * (w - mean)) / weights.Count);
        var consistency = Math.Clamp(1 - 2 * deviation, 0, 1);

        var vectors = principles.Select(Terms).ToList();
        double weighted = 0, weightSum = 0, plain = 0;
        var pairs = 0;
        for (var i = 0; i < vectors.Count; i++)
            for (var j = i + 1; j < vectors.Count; j++)
            {
                var sim = Cosine(vectors[i], vectors[j]);
                var w = weights[i] * weights[j];
                weighted += w * sim;
                weightSum += w;
                plain += sim;
                pairs++;
            }
        var overlap = Math.Clamp(weightSum > 0 ? weighted / weightSum : plain / pairs, 0, 1);
        return new CoherenceParts(Round((consistency + overlap) / 2), Round(consistency), Round(overlap));
    }

    private static double Round(double value) => Math.Round(value, 3, MidpointRounding.AwayFromZero);

    /// <summary>The term counts of a principle's name, description and tags.</summary>
    public static IReadOnlyDictionary<string, int> Terms(Principle principle)
    {
        ArgumentNullException.ThrowIfNull(principle);
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var text in (IEnumerable<string>)[principle.Name, principle.Description, .. principle.Tags])
            foreach (var word in Words(text ?? ""))
                counts[word] = counts.GetValueOrDefault(word) + 1;
        return counts;
    }

    private static IEnumerable<string> Words(string text)
    {
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var inWord = i < text.Length && char.IsLetterOrDigit(text[i]);
            if (inWord && start < 0) start = i;
            else if (!inWord && start >= 0)
            {
                var word = text[start..i].ToLowerInvariant();
                start = -1;
                if (word.Length >= 3 && !StopWords.Contains(word)) yield return Stem(word);
            }
        }
    }

    /// <summary>A final -ing, -ed or -s off, when at least three letters stay (-ss stays: "access").</summary>
    private static string Stem(string word)
    {
        if (word.Length > 5 && word.EndsWith("ing", StringComparison.Ordinal)) return word[..^3];
        if (word.Length > 4 && word.EndsWith("ed", StringComparison.Ordinal)) return word[..^2];
        if (word.Length > 3 && word.EndsWith('s') && !word.EndsWith("ss", StringComparison.Ordinal)) return word[..^1];
        return word;
    }

    private static double Cosine(IReadOnlyDictionary<string, int> a, IReadOnlyDictionary<string, int> b)
    {
        if (a.Count == 0 || b.Count == 0) return 0;
        double dot = 0;
        foreach (var (term, count) in a)
            if (b.TryGetValue(term, out var other)) dot += (double)count * other;
        var norm = Math.Sqrt(a.Values.Sum(c => (double)c * c)) * Math.Sqrt(b.Values.Sum(c => (double)c * c));
        return dot / norm;
    }
}
