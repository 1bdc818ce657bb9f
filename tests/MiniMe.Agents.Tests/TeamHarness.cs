using Microsoft.Extensions.AI;
using MiniMe.Context;
using MiniMe.Identity;
using MiniMe.Masks;
using MiniMe.ModelCalls;
using MiniMe.Testing;
using MiniMe.Tracing;

namespace MiniMe.Agents.Tests;

/// <summary>An agent team over a <see cref="ScriptedChatClient"/> with a real trace store in a temp directory.</summary>
public sealed class TeamHarness : IDisposable
{
    private readonly TempDirectory _directory = new();

    public TeamHarness()
    {
        Traces = new TraceStore(Path.Combine(_directory.Path, "traces"));
    }

    public const string RunId = "20260101-000000-abcdef";

    public TraceStore Traces { get; }

    public ScriptedChatClient Chat { get; } = new();

    public static AgentTeamOptions DefaultOptions { get; } = new() { Model = "scripted-model", MaxRepairAttempts = 2 };

    public static MaskWeights Masks(double architect = 1, double builder = 1, double critic = 1, double integrator = 1, int maxIterations = 3, double rigor = 0.5) => new()
    {
        Temperature = 0.3,
        Rigor = rigor,
        MaxIterations = maxIterations,
        AgentRouting = new Dictionary<string, double>
        {
            [AgentNames.Architect] = architect,
            [AgentNames.Builder] = builder,
            [AgentNames.Critic] = critic,
            [AgentNames.Integrator] = integrator,
        },
    };

    public static TiktokenTokenCounter Tokens { get; } = new();

    /// <summary><paramref name="inner"/> (a scripted or real provider client) inside the model pipeline, as the engine builds it.</summary>
    public static IChatClient Pipeline(IChatClient inner, PriceTable? prices = null) => ModelPipeline.Build(inner, prices ?? PriceTable.Empty, Tokens);

    public AgentTeam Team(AgentTeamOptions? options = null, PriceTable? prices = null) => new(Pipeline(Chat, prices), options ?? DefaultOptions, Traces);

    public AgentInvoker Invoker(AgentTeamOptions? options = null, PriceTable? prices = null) => new(Pipeline(Chat, prices), options ?? DefaultOptions, Traces);

    public static TeamRequest Request(MaskWeights? masks = null, IReadOnlyList<WeightedPrinciple>? principles = null, long budget = 100_000) => new(
        RunId,
        "Add a greeting helper",
        "You are MiniMe.\nTask: Add a greeting helper",
        masks ?? Masks(),
        principles ?? [],
        new Dictionary<string, IReadOnlyList<WeightedPrinciple>>(),
        new RunMeter(budget));

    public IReadOnlyList<TraceEvent> Events => Traces.Read(RunId);

    public IReadOnlyList<TraceEvent> EventsOf(string type) => [.. Events.Where(e => e.EventType == type)];

    public void Dispose() => _directory.Dispose();
}
