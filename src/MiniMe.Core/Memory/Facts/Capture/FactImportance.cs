using System.Text.RegularExpressions;

namespace MiniMe.Memory.Facts.Capture;

/// <summary>
/// What a captured fact's importance is computed from, each 0-1: <see cref="Novelty"/> (1 minus the highest
/// similarity to a known fact), <see cref="Explicitness"/> (the user asked to remember it, or said it of
/// themselves), <see cref="Recency"/> (about the present, said just now) and <see cref="Weight"/> (a decision or
/// an emotion).
/// </summary>
public sealed record ImportanceFeatures(double Novelty, double Explicitness, double Recency, double Weight);

/// <summary>
/// The importance of a captured fact (docs/facts.md, "Importance"), computed in code, not asked of the model:
/// <code>
/// importance = 0.35 novelty + 0.25 explicitness + 0.15 recency + 0.25 weight   (clamped to [0, 1], 3 decimals)
/// novelty      = 1 - max similarity to a known fact (FactService.KnownSimilarityAsync)
/// explicitness = max(1.0 "remember (that)", "don't forget", "note that";
///                    0.7 "I always|never|usually|prefer|like|love|hate|want|need|am|live|work|use", "my ... is";
///                    0.4 any other first-person statement; 1.0 when the model flags it explicit and the words show it, else 0.7)
/// recency      = tense x 0.5^(age days / 30), tense 1.0 present/future ("now", "currently", "from now on", "these days"),
///                0.3 past ("used to", "previously", "years ago", "when I was"), 0.7 otherwise; age = days since it was said
/// weight       = max(model's decision_weight, model's emotional_weight, 0.6 decision words ("decided", "chose",
///                "going to", "will", "from now on", "must"), 0.6 emotion words ("love", "hate", "afraid", "worried",
///                "excited", "important to me", "can't stand"))
/// </code>
/// Pure: no store, no clock.
/// </summary>
public static partial class FactImportance
{
    public const double NoveltyWeight = 0.35;
    public const double ExplicitnessWeight = 0.25;
    public const double RecencyWeight = 0.15;
    public const double DecisionEmotionWeight = 0.25;
    public const double RecencyHalfLifeDays = 30;

    public static double Score(ImportanceFeatures features)
    {
        ArgumentNullException.ThrowIfNull(features);
        var score = NoveltyWeight * Unit(features.Novelty) + ExplicitnessWeight * Unit(features.Explicitness)
            + RecencyWeight * Unit(features.Recency) + DecisionEmotionWeight * Unit(features.Weight);
        return Math.Round(Math.Clamp(score, 0, 1), 3);
    }

    /// <summary>The features of a statement: <paramref name="said"/> is the user's words it comes from.</summary>
    public static ImportanceFeatures Features(string said, double knownSimilarity, bool modelExplicit, double decisionWeight, double emotionalWeight, double ageDays = 0)
    {
        ArgumentNullException.ThrowIfNull(said);
        return new ImportanceFeatures(
            Novelty: 1 - Unit(knownSimilarity),
            Explicitness: Explicitness(said, modelExplicit),
            Recency: Recency(said, ageDays),
            Weight: Math.Max(Math.Max(Unit(decisionWeight), Unit(emotionalWeight)), CueWeight(said)));
    }

    public static double Explicitness(string said, bool modelExplicit)
    {
        ArgumentNullException.ThrowIfNull(said);
        var cue = RememberCue().IsMatch(said) ? 1.0
            : SelfStatementCue().IsMatch(said) ? 0.7
            : FirstPersonCue().IsMatch(said) ? 0.4
            : 0.0;
        return modelExplicit ? Math.Max(cue, cue >= 0.7 ? 1.0 : 0.7) : cue;
    }

    public static double Recency(string said, double ageDays)
    {
        ArgumentNullException.ThrowIfNull(said);
        var tense = PastCue().IsMatch(said) ? 0.3 : PresentCue().IsMatch(said) ? 1.0 : 0.7;
        return tense * Math.Pow(0.5, Math.Max(0, ageDays) / RecencyHalfLifeDays);
    }

    /// <summary>0.6 when the words say a decision or an emotion, else 0.</summary>
    public static double CueWeight(string said)
    {
        ArgumentNullException.ThrowIfNull(said);
        return DecisionCue().IsMatch(said) || EmotionCue().IsMatch(said) ? 0.6 : 0.0;
    }

    private static double Unit(double value) => double.IsNaN(value) ? 0 : Math.Clamp(value, 0, 1);

    [GeneratedRegex(@"\b(remember( that)?|don'?t forget|do not forget|note that|keep in mind)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex RememberCue();

    [GeneratedRegex(@"\b(i('m| am)? (always|never|usually|prefer|like|love|hate|want|need|live|work|use)|i am|i'm|my \w+( \w+)? (is|are))\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SelfStatementCue();

    [GeneratedRegex(@"\b(i|me|my|mine|myself|we|our)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex FirstPersonCue();

    [GeneratedRegex(@"\b(used to|previously|formerly|years ago|back then|when i was|no longer)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PastCue();

    [GeneratedRegex(@"\b(now|currently|these days|from now on|today|this (week|month|year)|at the moment)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PresentCue();

    [GeneratedRegex(@"\b(decided|decide|chose|choose|going to|will|from now on|must|plan to|committed)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DecisionCue();

    [GeneratedRegex(@"\b(love|hate|afraid|scared|worried|anxious|excited|happy|sad|angry|frustrated|important to me|can'?t stand)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex EmotionCue();
}
