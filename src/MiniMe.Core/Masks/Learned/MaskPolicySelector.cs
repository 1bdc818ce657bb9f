using MiniMe.Configuration;

namespace MiniMe.Masks.Learned;

/// <summary>
/// The mask policy runs use, chosen by masks.policy at every run: heuristic; learned (the active model of
/// models/active.json); or auto (the active model only while its latest evaluation says it won). A model
/// that is missing or does not load (damaged weights, a foreign manifest) falls back to the heuristic with a
/// warning, told to <paramref name="warn"/> once per distinct problem and written into every such run's trace.
/// The loaded model is kept while its files stay as they were.
/// </summary>
public sealed class MaskPolicySelector(ModelRegistry registry, MaskPolicyKind setting, HeuristicMaskPolicy? heuristic = null, Action<string>? warn = null)
    : IContextualMaskPolicy
{
    public const string HeuristicName = "heuristic";
    public const string HeuristicVersion = "v1";

    private readonly HeuristicMaskPolicy _heuristic = heuristic ?? new HeuristicMaskPolicy();
    private readonly Lock _gate = new();
    private readonly HashSet<string> _warned = new(StringComparer.Ordinal);
    private (string Version, string Stamp, LearnedMaskPolicy? Policy, string? Problem, bool Won)? _cached;

    public MaskPolicyKind Setting => setting;

    /// <summary>What the next run would use: "heuristic-v1", "learned mask-v3", or the heuristic and why.</summary>
    public string Name
    {
        get
        {
            var (policy, warning) = Resolve(quiet: true);
            return policy?.Name ?? (warning is null ? _heuristic.Name : $"{_heuristic.Name} ({warning})");
        }
    }

    public MaskWeights Compute(TaskProfile profile) => Decide(profile, MaskContext.None).Weights;

    public MaskDecision Decide(TaskProfile profile, MaskContext context)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var settingName = SettingValues.Name(setting);
        var (policy, warning) = Resolve(quiet: false);
        if (policy is not null) return policy.Decide(profile, context) with { Setting = settingName };
        return new MaskDecision(_heuristic.Compute(profile), HeuristicName, HeuristicVersion, settingName, warning);
    }

    private (LearnedMaskPolicy? Policy, string? Warning) Resolve(bool quiet)
    {
        if (setting == MaskPolicyKind.Heuristic) return (null, null);
        var active = registry.Active().Version;
        if (active is null)
            return setting == MaskPolicyKind.Learned
                ? (null, Warn("masks.policy is learned but no model is active; using the heuristic (train one with `minime train`)", quiet))
                : (null, null);
        var (policy, problem, won) = Load(active);
        if (policy is null)
            return (null, Warn($"model {active} cannot be used ({problem}); using the heuristic (`minime models rollback` or `minime train`)", quiet));
        return setting == MaskPolicyKind.Auto && !won ? (null, null) : (policy, null);
    }

    private (LearnedMaskPolicy? Policy, string? Problem, bool Won) Load(string version)
    {
        var stamp = Stamp(version);
        lock (_gate)
        {
            if (_cached is { } c && c.Version == version && c.Stamp == stamp) return (c.Policy, c.Problem, c.Won);
            try
            {
                var model = registry.Load(version);
                _cached = (version, stamp, new LearnedMaskPolicy(model), null, model.Manifest.Evaluation?.LearnedWon == true);
            }
            catch (Exception e) when (e is MaskModelException or IOException or UnauthorizedAccessException)
            {
                _cached = (version, stamp, null, e.Message, false);
            }
            return (_cached.Value.Policy, _cached.Value.Problem, _cached.Value.Won);
        }
    }

    /// <summary>The model folder's files' sizes and write times: a retrained, edited or damaged model is read again.</summary>
    private string Stamp(string version)
    {
        var dir = new DirectoryInfo(registry.PathOf(version));
        if (!dir.Exists) return "missing";
        return string.Join('|', dir.EnumerateFiles().OrderBy(f => f.Name, StringComparer.Ordinal)
            .Select(f => $"{f.Name}:{f.Length}:{f.LastWriteTimeUtc.Ticks}"));
    }

    private string Warn(string message, bool quiet)
    {
        if (!quiet)
        {
            bool first;
            lock (_gate) first = _warned.Add(message);
            if (first) warn?.Invoke(message);
        }
        return message;
    }
}
