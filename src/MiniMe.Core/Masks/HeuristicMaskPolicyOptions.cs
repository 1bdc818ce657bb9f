namespace MiniMe.Masks;

/// <summary>Tunables of <see cref="HeuristicMaskPolicy"/>; the defaults are the documented v1 behaviour.</summary>
public sealed record HeuristicMaskPolicyOptions
{
    /// <summary>Constant weight of the agent layer before scaling.</summary>
    public double Gamma { get; init; } = 0.1;

    /// <summary>Upper bound on alpha + beta + gamma; the rest (at least 1 - this) stays with the global layer.</summary>
    public double MaxLayerShare { get; init; } = 0.85;

    public int MinRetrievalK { get; init; } = 4;

    public int MaxRetrievalK { get; init; } = 12;

    /// <summary>Retrieval domain boost at full domain confidence.</summary>
    public double MaxDomainWeight { get; init; } = 0.5;

    /// <summary>Extra rigor per domain (scaled by domain confidence); missing domains add nothing.</summary>
    public IReadOnlyDictionary<string, double> DomainRigor { get; init; } = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase)
    {
        [Domains.Security] = 0.3,
        [Domains.Data] = 0.1,
        [Domains.DevOps] = 0.1,
        [Domains.Testing] = 0.05,
        [Domains.Docs] = -0.1,
    };
}
