using System.Globalization;
using MiniMe.Configuration;

namespace MiniMe.Memory.Facts;

public enum FactRelationKind
{
    Unrelated,
    Duplicate,
    Contradiction,
}

/// <summary>How a new statement relates to a known one, how sure the rules are (0-1), and why.</summary>
public sealed record FactRelation(FactRelationKind Kind, double Confidence, string Reason)
{
    public static FactRelation Unrelated { get; } = new(FactRelationKind.Unrelated, 0, "unrelated");
}

/// <summary>
/// Judges one pair of statements with rules first (same words, negation, numbers, one-valued
/// attributes, swapped preferences), then word overlap (Jaccard of stems) and, when vectors exist,
/// cosine similarity. Pure: no store, no clock.
/// </summary>
internal static class FactJudge
{
    public static FactRelation Compare(FactFeatures incoming, FactFeatures known, double? cosine, FactOptions options)
    {
        if (incoming.Key == known.Key)
            return new(FactRelationKind.Duplicate, 1.0, "same statement");

        var sameNegation = incoming.Negated == known.Negated;
        if (incoming.Content.SetEquals(known.Content) && incoming.Content.Count > 0)
        {
            var sameNumbers = incoming.Numbers.SequenceEqual(known.Numbers);
            if (sameNumbers)
                return sameNegation
                    ? new(FactRelationKind.Duplicate, 0.95, "same words")
                    : new(FactRelationKind.Contradiction, 0.95, "one negates the other");
            if (!sameNegation)
                return new(FactRelationKind.Contradiction, 0.6, "negated, with different numbers");
            if (incoming.Numbers.Count > 0 && known.Numbers.Count > 0)
                return new(FactRelationKind.Contradiction, 0.9,
                    $"same statement, different number ({string.Join(", ", known.Numbers)} -> {string.Join(", ", incoming.Numbers)})");
            return new(FactRelationKind.Duplicate, 0.7, "same words, one adds a number");
        }

        if (sameNegation && CompareClaims(incoming.Claim, known.Claim) is { } claimRelation)
            return claimRelation;

        // Two claims about the same attribute ("prefers vim", "prefers tea") are compared on what they
        // claim; the shared relation word says nothing about whether they are the same fact.
        var jaccard = incoming.Claim is { } a && known.Claim is { } b && a.Relation == b.Relation && a.Attribute == b.Attribute
            ? Jaccard(ClaimWords(a), ClaimWords(b))
            : Jaccard(Words(incoming), Words(known));
        var related = jaccard >= 0.5 || cosine >= options.RelatedCosine;
        if (!sameNegation && related)
            return new(FactRelationKind.Contradiction, 0.6, Describe("one is negated", jaccard, cosine));
        if (!sameNegation)
            return FactRelation.Unrelated;

        if (cosine >= options.DuplicateCosine)
            return new(FactRelationKind.Duplicate, Math.Max(0.85, jaccard), Describe("same meaning", jaccard, cosine));
        if (jaccard > 0 && jaccard >= options.ReviewConfidence)
            return new(FactRelationKind.Duplicate, jaccard, Describe("similar wording", jaccard, cosine));
        if (cosine >= options.RelatedCosine)
            return new(FactRelationKind.Duplicate, Math.Max(0.6, options.ReviewConfidence), Describe("similar meaning", jaccard, cosine));
        return FactRelation.Unrelated;
    }

    /// <summary>Rules for two claims of the same relation about the same attribute; null when they say nothing.</summary>
    private static FactRelation? CompareClaims(FactClaim? a, FactClaim? b)
    {
        if (a is null || b is null || a.Relation != b.Relation || a.Attribute != b.Attribute) return null;
        if (a.Value.Count == 0 || b.Value.Count == 0 || a.Value.SetEquals(b.Value)) return null;
        var what = a.Attribute.Length > 0 ? $"'{a.AttributeText}'" : a.Relation.Replace('-', ' ');
        var change = $"{b.ValueText} -> {a.ValueText}";

        if (a.Relation == "prefers" && (a.Over.Overlaps(b.Value) || b.Over.Overlaps(a.Value)))
            return new(FactRelationKind.Contradiction, 0.95, $"preference reversed ({change})");
        // "prefers tabs for go" and "prefers spaces for python" can both be true.
        if (a.Context.Length > 0 && b.Context.Length > 0 && a.Context != b.Context) return null;
        if (a.Value.IsSubsetOf(b.Value) || b.Value.IsSubsetOf(a.Value))
            return new(FactRelationKind.Duplicate, 0.7, $"same {what}, one value refines the other ({change})");

        var sameContext = a.Context.Length > 0 && a.Context == b.Context;
        if (a.Relation is "lives-in" or "works-at" or "born-in")
            return new(FactRelationKind.Contradiction, 0.9, $"different value for {what} ({change})");
        if (a.Relation == "is" && a.Attribute.Length > 0)
            return a.AttributeIsSpecific || b.AttributeIsSpecific || sameContext
                ? new(FactRelationKind.Contradiction, 0.9, $"different value for {what} ({change})")
                : new(FactRelationKind.Contradiction, 0.6, $"same subject {what}, different value ({change})");
        if (a.Relation == "prefers" && (sameContext || a.Attribute.Length > 0 || a.ValueHead == b.ValueHead))
            return new(FactRelationKind.Contradiction, 0.9, $"different preference ({change})");
        return null;
    }

    private static HashSet<string> Words(FactFeatures f) => f.Content.Concat(f.Numbers.Select(n => "#" + n)).ToHashSet(StringComparer.Ordinal);

    private static HashSet<string> ClaimWords(FactClaim c) =>
        c.Value.Concat(c.Over).Concat(c.Context.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToHashSet(StringComparer.Ordinal);

    private static double Jaccard(HashSet<string> left, HashSet<string> right)
    {
        if (left.Count == 0 || right.Count == 0) return 0;
        var shared = left.Count(right.Contains);
        return (double)shared / (left.Count + right.Count - shared);
    }

    private static string Describe(string what, double jaccard, double? cosine) =>
        cosine is { } c
            ? string.Create(CultureInfo.InvariantCulture, $"{what} (word overlap {jaccard:0.00}, cosine {c:0.00})")
            : string.Create(CultureInfo.InvariantCulture, $"{what} (word overlap {jaccard:0.00})");
}
