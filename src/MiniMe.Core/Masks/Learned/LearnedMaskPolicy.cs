namespace MiniMe.Masks.Learned;

/// <summary>The v2 policy (SPEC 3.3): a trained <see cref="MaskNetwork"/> over <see cref="MaskFeatures"/>, its outputs squashed into each field's range (<see cref="MaskHeads"/>).</summary>
public sealed class LearnedMaskPolicy(LoadedModel model) : IContextualMaskPolicy
{
    public const string PolicyName = "learned";

    public string Version => model.Manifest.Version;

    /// <inheritdoc />
    public string Name => $"{PolicyName} {Version}";

    /// <inheritdoc />
    public MaskWeights Compute(TaskProfile profile) => Decide(profile, MaskContext.None).Weights;

    public MaskDecision Decide(TaskProfile profile, MaskContext context)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var outputs = model.Network.Predict(MaskFeatures.Of(profile, context));
        return new MaskDecision(MaskHeads.ToWeights(outputs), PolicyName, Version);
    }
}
