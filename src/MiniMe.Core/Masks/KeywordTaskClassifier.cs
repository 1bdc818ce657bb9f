using System.Globalization;
using System.Text.RegularExpressions;

namespace MiniMe.Masks;

/// <summary>
/// Deterministic keyword classifier. Domain = argmax of weighted keyword hits (diminishing returns
/// per repeated term); confidence = winning share of all hits, damped when the evidence is thin.
/// Complexity = length (log-scaled) + distinct technical terms + step markers + scope words.
/// Works on documents too: input beyond <c>maxChars</c> is ignored.
/// </summary>
public sealed partial class KeywordTaskClassifier : ITaskClassifier
{
    private const double MinDomainScore = 0.5;
    private readonly int _maxChars;
    private readonly Dictionary<string, List<(string Domain, double Weight, string Display)>> _index;
    private readonly Dictionary<string, (double Delta, string Display)> _scope;
    private readonly HashSet<string> _stepWords;
    private readonly int _maxPhraseWords;

    /// <param name="maxChars">Only this many leading characters are read (caps work on large documents).</param>
    public KeywordTaskClassifier(int maxChars = 200_000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxChars, 1);
        _maxChars = maxChars;
        _index = new Dictionary<string, List<(string, double, string)>>(StringComparer.Ordinal);
        foreach (var (domain, terms) in DomainLexicon.Terms)
        {
            foreach (var (term, weight) in terms)
            {
                var key = StemPhrase(term);
                _maxPhraseWords = Math.Max(_maxPhraseWords, key.Count(c => c == ' ') + 1);
                if (!_index.TryGetValue(key, out var list))
                {
                    _index[key] = list = [];
                }

                var existing = list.FindIndex(e => e.Domain == domain);
                if (existing < 0)
                {
                    list.Add((domain, weight, term));
                }
                else if (list[existing].Weight < weight)
                {
                    list[existing] = (domain, weight, term);
                }
            }
        }

        _scope = new Dictionary<string, (double, string)>(StringComparer.Ordinal);
        foreach (var (term, delta) in ComplexityLexicon.ScopeTerms)
        {
            var key = StemPhrase(term);
            _maxPhraseWords = Math.Max(_maxPhraseWords, key.Count(c => c == ' ') + 1);
            _scope.TryAdd(key, (delta, term));
        }

        _stepWords = new HashSet<string>(ComplexityLexicon.StepWords.Select(Stemmer.Stem), StringComparer.Ordinal);
    }

    /// <inheritdoc />
    public TaskProfile Classify(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parsed = TaskText.Parse(text, _maxChars);
        var signals = new List<string>();

        // Count term occurrences (unigrams, phrases, whole compound identifiers).
        var termCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        var scopeHits = new HashSet<string>(StringComparer.Ordinal);
        var steps = 0;
        var words = parsed.Words;
        for (var i = 0; i < words.Count; i++)
        {
            if (_stepWords.Contains(words[i]))
            {
                steps++;
            }

            var phrase = words[i];
            for (var n = 1; n <= _maxPhraseWords && i + n <= words.Count; n++)
            {
                if (n > 1)
                {
                    phrase = phrase + " " + words[i + n - 1];
                }

                if (_index.ContainsKey(phrase))
                {
                    termCounts[phrase] = termCounts.GetValueOrDefault(phrase) + 1;
                }

                if (_scope.ContainsKey(phrase))
                {
                    scopeHits.Add(phrase);
                }
            }
        }

        foreach (var compound in parsed.Compounds)
        {
            if (_index.ContainsKey(compound))
            {
                termCounts[compound] = termCounts.GetValueOrDefault(compound) + 1;
            }

            if (_scope.ContainsKey(compound))
            {
                scopeHits.Add(compound);
            }
        }

        var (domain, confidence) = PickDomain(termCounts, parsed.RawWordCount, signals);
        var complexity = ScoreComplexity(text, parsed.RawWordCount, termCounts.Count, steps, scopeHits, signals);
        return new TaskProfile(domain, confidence, complexity, signals);
    }

    private (string Domain, double Confidence) PickDomain(Dictionary<string, int> termCounts, int wordCount, List<string> signals)
    {
        var scores = new Dictionary<string, double>(StringComparer.Ordinal);
        var hits = new Dictionary<string, List<(string Display, double Contribution)>>(StringComparer.Ordinal);
        foreach (var (term, count) in termCounts)
        {
            // Diminishing returns: the 1st occurrence counts fully, the k-th adds ln-scaled.
            var factor = 1 + Math.Log(count);
            foreach (var (d, w, display) in _index[term])
            {
                scores[d] = scores.GetValueOrDefault(d) + (w * factor);
                if (!hits.TryGetValue(d, out var l))
                {
                    hits[d] = l = [];
                }

                l.Add((display, w * factor));
            }
        }

        var total = scores.Values.Sum();
        string? best = null;
        var bestScore = 0.0;
        foreach (var d in Domains.All)
        {
            var s = scores.GetValueOrDefault(d);
            if (s > bestScore)
            {
                best = d;
                bestScore = s;
            }
        }

        if (best is null || bestScore < MinDomainScore)
        {
            // No (or only weak) evidence: general, more sure the more text we saw without hits.
            var conf = Math.Clamp(0.3 + (0.1 * Math.Log(1 + wordCount)) - bestScore, 0.1, 0.9);
            signals.Add(best is null
                ? $"domain general: no domain keywords in {wordCount} words"
                : $"domain general: only weak hits (best {best} {F(bestScore)})");
            return (Domains.General, Round(conf));
        }

        // Share of all keyword mass, damped by the amount of evidence (1 strong hit ~ 0.5).
        var share = bestScore / total;
        var evidence = 1 - Math.Exp(-bestScore / 1.5);
        var confidence = Round(Math.Clamp(share * evidence, 0, 1));
        var top = hits[best].OrderByDescending(h => h.Contribution).ThenBy(h => h.Display, StringComparer.Ordinal)
            .Take(6).Select(h => h.Display);
        signals.Add($"domain {best}: {string.Join(", ", top)} (score {F(bestScore)} of {F(total)})");
        var runnerUp = scores.Where(kv => kv.Key != best).OrderByDescending(kv => kv.Value).FirstOrDefault();
        if (runnerUp.Key is not null && runnerUp.Value > 0)
        {
            signals.Add($"runner-up {runnerUp.Key}: score {F(runnerUp.Value)}");
        }

        return (best, confidence);
    }

    private double ScoreComplexity(string text, int wordCount, int distinctTerms, int stepWords, HashSet<string> scopeHits, List<string> signals)
    {
        // Length: log-scaled, ~0.09 for 5 words, ~0.18 for 30, 0.3 at 300+.
        var length = 0.3 * Math.Min(1, Math.Log(1 + wordCount) / Math.Log(301));
        signals.Add($"complexity +{F(length)}: {wordCount} words");

        // Distinct technical terms: saturating.
        var terms = 0.25 * (1 - Math.Exp(-distinctTerms / 6.0));
        if (distinctTerms > 0)
        {
            signals.Add($"complexity +{F(terms)}: {distinctTerms} distinct technical terms");
        }

        // Multi-step markers: "then", ";", numbered list items.
        var head = text.Length > _maxChars ? text[.._maxChars] : text;
        var numbered = NumberedItem().Count(head);
        var semicolons = head.Count(c => c == ';');
        var stepCount = stepWords + numbered + semicolons;
        var stepsScore = 0.2 * (1 - Math.Exp(-stepCount / 3.0));
        if (stepCount > 0)
        {
            signals.Add($"complexity +{F(stepsScore)}: {stepCount} step markers ({stepWords} then/next, {numbered} numbered, {semicolons} ';')");
        }

        // Scope words.
        var scope = 0.0;
        foreach (var hit in scopeHits.Order(StringComparer.Ordinal))
        {
            var (delta, display) = _scope[hit];
            scope += delta;
            signals.Add($"complexity {(delta >= 0 ? "+" : "")}{F(delta)}: '{display}'");
        }

        scope = Math.Clamp(scope, -0.4, 0.45);
        return Round(Math.Clamp(length + terms + stepsScore + scope, 0, 1));
    }

    private static string StemPhrase(string term) =>
        string.Join(' ', TaskText.Parse(term, int.MaxValue).Words);

    private static double Round(double v) => Math.Round(v, 3);

    private static string F(double v) => v.ToString("0.00", CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^\s*\d{1,3}[.)]\s+\S", RegexOptions.Multiline, matchTimeoutMilliseconds: 1000)]
    private static partial Regex NumberedItem();
}
