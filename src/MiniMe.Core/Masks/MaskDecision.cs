using MiniMe.Masks.Learned;

namespace MiniMe.Masks;

/// <summary>The weights a policy chose and who chose them, for the trace's mask_generation.</summary>
/// <param name="Policy">"heuristic" or "learned".</param>
/// <param name="Version">The heuristic's version ("v1") or the model's ("mask-v3"); null for a policy that has none.</param>
/// <param name="Setting">masks.policy as configured (heuristic, learned, auto), or null for a policy without a setting.</param>
/// <param name="Warning">Why the configured policy was not used (no model, a damaged one), or null.</param>
public sealed record MaskDecision(MaskWeights Weights, string Policy, string? Version, string? Setting = null, string? Warning = null)
{
    /// <summary>The decision of any policy: a contextual one decides itself, another is asked for its weights (its name the policy, no version).</summary>
    public static MaskDecision Of(IMaskPolicy policy, TaskProfile profile, MaskContext context)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return policy is IContextualMaskPolicy contextual ? contextual.Decide(profile, context) : new MaskDecision(policy.Compute(profile), policy.Name, null);
    }
}

/// <summary>A mask policy that also reads the identity context and says which policy and version produced the weights.</summary>
public interface IContextualMaskPolicy : IMaskPolicy
{
    MaskDecision Decide(TaskProfile profile, MaskContext context);
}
