namespace MiniMe.Agents;

/// <summary>The agents of the default team, by the names the masks' routing weights use.</summary>
public static class AgentNames
{
    public const string Architect = "architect";
    public const string Builder = "builder";
    public const string Critic = "critic";
    public const string Integrator = "integrator";

    public static IReadOnlyList<string> All { get; } = [Architect, Builder, Critic, Integrator];
}
