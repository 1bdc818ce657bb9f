using System.Collections.Frozen;
using MiniMe.Context;
using MiniMe.Masks;

namespace MiniMe.Identity;

/// <summary>
/// Blends the identity layers with the mask weights (SPEC 3.1):
/// P_eff = (1 - a - b - g) P_global + a P_domain + b P_task + g P_agent.
/// Each principle's effective weight = its layer's share * magnitude, where a domain principle only
/// counts when its Target equals the task domain, a task principle only when its tags or name words
/// occur in the task text, and an agent principle only when its Target equals the agent.
/// </summary>
public static class EffectiveIdentity
{
    // Stemmed like the task words so they compare equal.
    private static readonly FrozenSet<string> StopWords = new[]
    {
        "a", "an", "the", "and", "or", "of", "to", "in", "on", "for", "with", "be", "is", "are", "it",
        "by", "at", "as", "not", "no", "do", "don", "always", "never", "prefer", "over", "than", "use", "make",
    }.Select(Stemmer.Stem).ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Effective principles for a task, heaviest first; zero weights are dropped.</summary>
    public static IReadOnlyList<WeightedPrinciple> Compute(
        IdentityDocument identity, TaskProfile profile, MaskWeights weights, string taskText, string? agent = null)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(taskText);

        var a = Unit(weights.Alpha);
        var b = Unit(weights.Beta);
        var g = Unit(weights.Gamma);
        var global = Math.Max(0, 1 - a - b - g);
        var taskWords = new HashSet<string>(TaskText.Parse(taskText, 200_000).Words, StringComparer.Ordinal);

        var result = new List<WeightedPrinciple>();
        foreach (var p in identity.Principles)
        {
            ArgumentNullException.ThrowIfNull(p, nameof(identity));
            var share = p.Scope switch
            {
                PrincipleScope.Global => global,
                PrincipleScope.Domain => Matches(p.Target, profile.Domain) ? a : 0,
                PrincipleScope.Task => OverlapsTask(p, taskWords) ? b : 0,
                PrincipleScope.Agent => agent is not null && Matches(p.Target, agent) ? g : 0,
                _ => 0,
            };
            var weight = share * Unit(p.Magnitude);
            if (weight > 0)
            {
                result.Add(new WeightedPrinciple(p, Math.Round(weight, 4), p.Scope));
            }
        }

        return result
            .OrderByDescending(w => w.Weight)
            .ThenBy(w => w.Principle.Name, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>One <see cref="ContextBlockKind.Principles"/> block per principle ("principle:{name}"), weight = effective weight.</summary>
    public static IReadOnlyList<ContextBlock> ToContextBlocks(IEnumerable<WeightedPrinciple> principles)
    {
        ArgumentNullException.ThrowIfNull(principles);
        return principles
            .Select(w => new ContextBlock(
                "principle:" + w.Principle.Name,
                ContextBlockKind.Principles,
                string.IsNullOrWhiteSpace(w.Principle.Description) ? $"- {w.Principle.Name}" : $"- {w.Principle.Name}: {w.Principle.Description}",
                w.Weight))
            .ToList();
    }

    private static bool Matches(string? target, string value) =>
        target is not null && string.Equals(target.Trim(), value.Trim(), StringComparison.OrdinalIgnoreCase);

    private static bool OverlapsTask(Principle p, HashSet<string> taskWords)
    {
        var words = p.Tags.SelectMany(t => TaskText.Parse(t, 1_000).Words)
            .Concat(TaskText.Parse(p.Name, 1_000).Words)
            .Where(w => w.Length > 1 && !StopWords.Contains(w));
        return words.Any(taskWords.Contains);
    }

    private static double Unit(double v) => double.IsNaN(v) ? 0 : Math.Clamp(v, 0, 1);
}
