namespace MiniMe.Configuration;

/// <summary>masks.policy: which mask policy sets a run's weights (docs/learning.md).</summary>
public enum MaskPolicyKind
{
    /// <summary>The v1 heuristic (SPEC 3.3), always.</summary>
    Heuristic,
    /// <summary>The active trained model (`minime models use`); the heuristic, with a warning, when there is none or it does not load.</summary>
    Learned,
    /// <summary>The active trained model only while its latest evaluation says it beat the heuristic; else the heuristic.</summary>
    Auto,
}

/// <summary>masks.*: the mask policy.</summary>
public sealed class MaskOptions
{
    public MaskPolicyKind Policy { get; set; } = MaskPolicyKind.Heuristic;
}
