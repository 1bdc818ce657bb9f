namespace MiniMe.Masks.Learned;

/// <summary>One output of the network: its trace name and the range its [0, 1] value is scaled into.</summary>
public sealed record MaskHead(string Name, double Min, double Max, bool Integer = false)
{
    public double Denormalize(double v) => Min + ((Max - Min) * v);

    public double Normalize(double value) => Math.Clamp((value - Min) / (Max - Min), 0, 1);
}

/// <summary>
/// The network's outputs. Heads 0-3 are a softmax over (alpha, beta, gamma, global): the three layer
/// weights are its first three shares, so alpha + beta + gamma = 1 - global &lt; 1 always. Heads 4-12 are
/// sigmoids, each scaled into its field's range; integer fields are rounded. The builder always runs (1).
/// </summary>
public static class MaskHeads
{
    public const int LayerHeads = 4;

    public static IReadOnlyList<MaskHead> All { get; } =
    [
        new("alpha", 0, 1), new("beta", 0, 1), new("gamma", 0, 1), new("global", 0, 1),
        new("retrieval_k", 1, 24, Integer: true),
        new("retrieval_domain_weight", 0, 1),
        new("retrieval_recency_weight", 0, 0.5),
        new("temperature", 0, 1),
        new("rigor", 0, 1),
        new("agent_routing.architect", 0, 1),
        new("agent_routing.critic", 0, 1),
        new("agent_routing.integrator", 0, 1),
        new("max_iterations", 1, 5, Integer: true),
    ];

    public static int Count => All.Count;

    /// <summary>The index of a head by its name (agent routing as "agent_routing.critic"), or -1.</summary>
    public static int IndexOf(string name)
    {
        for (var i = 0; i < All.Count; i++)
            if (string.Equals(All[i].Name, name, StringComparison.Ordinal)) return i;
        return -1;
    }

    /// <summary>Mask weights as the network's [0, 1] outputs (a value outside a head's range is clamped into it).</summary>
    public static double[] Normalize(MaskWeights masks)
    {
        ArgumentNullException.ThrowIfNull(masks);
        var v = new double[Count];
        v[0] = Unit(masks.Alpha);
        v[1] = Unit(masks.Beta);
        v[2] = Unit(masks.Gamma);
        v[3] = Math.Max(0, 1 - v[0] - v[1] - v[2]);
        v[4] = All[4].Normalize(masks.RetrievalK);
        v[5] = All[5].Normalize(masks.RetrievalDomainWeight);
        v[6] = All[6].Normalize(masks.RetrievalRecencyWeight);
        v[7] = All[7].Normalize(masks.Temperature);
        v[8] = All[8].Normalize(masks.Rigor);
        v[9] = All[9].Normalize(masks.AgentRouting.GetValueOrDefault(HeuristicMaskPolicy.Architect, 1));
        v[10] = All[10].Normalize(masks.AgentRouting.GetValueOrDefault(HeuristicMaskPolicy.Critic, 1));
        v[11] = All[11].Normalize(masks.AgentRouting.GetValueOrDefault(HeuristicMaskPolicy.Integrator, 1));
        v[12] = All[12].Normalize(masks.MaxIterations);
        return v;
    }

    /// <summary>The network's [0, 1] outputs as mask weights, rounded like the heuristic's (layer weights down, so their sum stays below 1).</summary>
    public static MaskWeights ToWeights(ReadOnlySpan<float> v)
    {
        if (v.Length != Count) throw new ArgumentException($"Expected {Count} outputs, got {v.Length}.", nameof(v));
        return new MaskWeights
        {
            Alpha = RoundDown(v[0]),
            Beta = RoundDown(v[1]),
            Gamma = RoundDown(v[2]),
            RetrievalK = (int)Math.Round(All[4].Denormalize(v[4]), MidpointRounding.AwayFromZero),
            RetrievalDomainWeight = Round(All[5].Denormalize(v[5])),
            RetrievalRecencyWeight = Round(All[6].Denormalize(v[6])),
            Temperature = Round(All[7].Denormalize(v[7])),
            Rigor = Round(All[8].Denormalize(v[8])),
            AgentRouting = new Dictionary<string, double>(StringComparer.Ordinal)
            {
                [HeuristicMaskPolicy.Architect] = Round(All[9].Denormalize(v[9])),
                [HeuristicMaskPolicy.Builder] = 1.0,
                [HeuristicMaskPolicy.Critic] = Round(All[10].Denormalize(v[10])),
                [HeuristicMaskPolicy.Integrator] = Round(All[11].Denormalize(v[11])),
            },
            MaxIterations = (int)Math.Round(All[12].Denormalize(v[12]), MidpointRounding.AwayFromZero),
        };
    }

    private static double Unit(double v) => double.IsNaN(v) ? 0 : Math.Clamp(v, 0, 1);

    private static double Round(double v) => Math.Round(v, 4);

    private static double RoundDown(double v) => Math.Floor(v * 10_000) / 10_000;
}
