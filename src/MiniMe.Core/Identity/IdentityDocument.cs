namespace MiniMe.Identity;

/// <summary>Where a principle applies.</summary>
public enum PrincipleScope
{
    Global,
    Domain,
    Task,
    Agent,
}

/// <summary>One principle of the user's identity matrix.</summary>
public sealed record Principle
{
    public required string Name { get; init; }
    public string Description { get; init; } = "";
    /// <summary>Importance, 0-1.</summary>
    public double Magnitude { get; init; } = 0.5;
    public PrincipleScope Scope { get; init; } = PrincipleScope.Global;
    /// <summary>For <see cref="PrincipleScope.Domain"/>: the domain it applies to; for Agent: the agent name.</summary>
    public string? Target { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];
}

/// <summary>The voice MiniMe speaks with.</summary>
public sealed record Persona
{
    public string Voice { get; init; } = "calm, direct, pragmatic engineer";
    public string Tone { get; init; } = "plain and precise";
    public IReadOnlyList<string> StyleRules { get; init; } = [];
    public IReadOnlyList<string> Values { get; init; } = [];
}

/// <summary>The content of identity.yaml.</summary>
public sealed record IdentityDocument
{
    public Persona Persona { get; init; } = new();
    public IReadOnlyList<Principle> Principles { get; init; } = [];
}
