namespace MiniMe.Identity;

/// <summary>A principle with its effective weight for one task, and the identity layer that contributed it.</summary>
public sealed record WeightedPrinciple(Principle Principle, double Weight, PrincipleScope Layer);
