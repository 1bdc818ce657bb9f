using MiniMe.Identity;

namespace MiniMe.Masks.Learned;

/// <summary>What a mask policy may know about a run besides the task profile: the user's identity.</summary>
/// <param name="Principles">Principles in identity.yaml.</param>
/// <param name="MeanMagnitude">Their mean magnitude (0-1; 0 without principles): how strict the user is.</param>
/// <param name="DomainPrinciples">Principles scoped to the task's domain.</param>
public sealed record MaskContext(int Principles, double MeanMagnitude, int DomainPrinciples)
{
    public static MaskContext None { get; } = new(0, 0, 0);

    public static MaskContext From(IdentityDocument identity, string domain)
    {
        ArgumentNullException.ThrowIfNull(identity);
        var principles = identity.Principles;
        var mean = principles.Count == 0 ? 0 : principles.Average(p => Math.Clamp(double.IsNaN(p.Magnitude) ? 0 : p.Magnitude, 0, 1));
        var inDomain = principles.Count(p => p.Scope == PrincipleScope.Domain && string.Equals(p.Target, domain, StringComparison.OrdinalIgnoreCase));
        return new MaskContext(principles.Count, mean, inDomain);
    }
}

/// <summary>
/// The learned policy's input vector, in this order (docs/learning.md): one-hot of the domain over
/// <see cref="Domains.All"/> (9), domain confidence, complexity, principles / 20 (capped at 1), mean principle
/// magnitude, domain principles / 5 (capped at 1). All in [0, 1].
/// </summary>
public static class MaskFeatures
{
    public static IReadOnlyList<string> Names { get; } =
    [
        .. Domains.All.Select(d => "domain_" + d),
        "domain_confidence", "complexity", "principles", "principle_magnitude", "domain_principles",
    ];

    public static int Count => Names.Count;

    public static float[] Of(TaskProfile profile, MaskContext context)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(context);
        var x = new float[Count];
        var domain = Domains.All.ToList().FindIndex(d => string.Equals(d, profile.Domain, StringComparison.OrdinalIgnoreCase));
        x[domain < 0 ? Domains.All.Count - 1 : domain] = 1;
        var i = Domains.All.Count;
        x[i++] = Unit(profile.DomainConfidence);
        x[i++] = Unit(profile.Complexity);
        x[i++] = Unit(context.Principles / 20.0);
        x[i++] = Unit(context.MeanMagnitude);
        x[i] = Unit(context.DomainPrinciples / 5.0);
        return x;
    }

    private static float Unit(double v) => double.IsNaN(v) ? 0 : (float)Math.Clamp(v, 0, 1);
}
