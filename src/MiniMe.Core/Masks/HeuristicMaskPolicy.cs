namespace MiniMe.Masks;

/// <summary>
/// v1 mask policy (SPEC 3.3). With c = domain confidence (0 for general), x = complexity:
/// <list type="bullet">
/// <item>alpha = 0.15 + 0.35c (0 for general); beta = 0.1 + 0.4x; gamma = options.Gamma;
/// all three scaled down together so alpha + beta + gamma &lt;= MaxLayerShare (0.85) &lt;= 1.</item>
/// <item>RetrievalK = round(4 + 8x); domain weight = 0.5c; recency weight = 0.1 + 0.1(1 - x)
/// (small tasks care about the current state, large ones about older design context).</item>
/// <item>rigor = clamp(0.25 + 0.5x + domainRigor * (0.5 + 0.5c)); temperature = clamp(0.7 - 0.5 rigor, 0.1, 0.8).</item>
/// <item>routing: architect = clamp(1.25x - 0.05) (skipped below 0.2, i.e. trivial tasks), builder = 1,
/// critic = 0.2 + 0.8 rigor, integrator = 0.6 + 0.4x; MaxIterations = 1 + round(2x).</item>
/// </list>
/// </summary>
public sealed class HeuristicMaskPolicy : IMaskPolicy
{
    public const string Architect = "architect";
    public const string Builder = "builder";
    public const string Critic = "critic";
    public const string Integrator = "integrator";

    private readonly HeuristicMaskPolicyOptions _options;

    public HeuristicMaskPolicy(HeuristicMaskPolicyOptions? options = null)
    {
        _options = options ?? new HeuristicMaskPolicyOptions();
        if (_options.MaxLayerShare is < 0 or > 1 || double.IsNaN(_options.MaxLayerShare))
        {
            throw new ArgumentOutOfRangeException(nameof(options), "MaxLayerShare must be within [0, 1].");
        }

        if (_options.Gamma < 0 || double.IsNaN(_options.Gamma))
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Gamma must be >= 0.");
        }

        if (_options.MinRetrievalK < 1 || _options.MaxRetrievalK < _options.MinRetrievalK)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Need 1 <= MinRetrievalK <= MaxRetrievalK.");
        }
    }

    /// <inheritdoc />
    public string Name => "heuristic-v1";

    /// <inheritdoc />
    public MaskWeights Compute(TaskProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var isGeneral = !Domains.IsKnown(profile.Domain) ||
                        string.Equals(profile.Domain, Domains.General, StringComparison.OrdinalIgnoreCase);
        var c = isGeneral ? 0 : Unit(profile.DomainConfidence);
        var x = Unit(profile.Complexity);

        var alpha = isGeneral ? 0 : 0.15 + (0.35 * c);
        var beta = 0.1 + (0.4 * x);
        var gamma = _options.Gamma;
        var sum = alpha + beta + gamma;
        if (sum > _options.MaxLayerShare)
        {
            var scale = _options.MaxLayerShare / sum;
            alpha *= scale;
            beta *= scale;
            gamma *= scale;
        }

        var k = (int)Math.Round(_options.MinRetrievalK + ((_options.MaxRetrievalK - _options.MinRetrievalK) * x));
        var domainRigor = isGeneral ? 0 : _options.DomainRigor.GetValueOrDefault(profile.Domain);
        var rigor = Unit(0.25 + (0.5 * x) + (domainRigor * (0.5 + (0.5 * c))));
        var temperature = Math.Clamp(0.7 - (0.5 * rigor), 0.1, 0.8);

        return new MaskWeights
        {
            Alpha = RoundDown(alpha),
            Beta = RoundDown(beta),
            Gamma = RoundDown(gamma),
            RetrievalK = Math.Clamp(k, _options.MinRetrievalK, _options.MaxRetrievalK),
            RetrievalDomainWeight = Round(_options.MaxDomainWeight * c),
            RetrievalRecencyWeight = Round(0.1 + (0.1 * (1 - x))),
            Rigor = Round(rigor),
            Temperature = Round(temperature),
            AgentRouting = new Dictionary<string, double>(StringComparer.Ordinal)
            {
                [Architect] = Round(Unit((1.25 * x) - 0.05)),
                [Builder] = 1.0,
                [Critic] = Round(Unit(0.2 + (0.8 * rigor))),
                [Integrator] = Round(0.6 + (0.4 * x)),
            },
            MaxIterations = 1 + (int)Math.Round(2 * x, MidpointRounding.AwayFromZero),
        };
    }

    private static double Unit(double v) => double.IsNaN(v) ? 0 : Math.Clamp(v, 0, 1);

    private static double Round(double v) => Math.Round(v, 4);

    // Layer weights are rounded down so rounding can never lift alpha + beta + gamma above the cap.
    private static double RoundDown(double v) => Math.Floor(v * 10_000) / 10_000;
}
