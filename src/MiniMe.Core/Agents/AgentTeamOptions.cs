using MiniMe.Configuration;

namespace MiniMe.Agents;

/// <summary>How the team calls the model, bound from the llm section of config.yaml (prices live in the model pipeline's <see cref="MiniMe.ModelCalls.PriceTable"/>).</summary>
public sealed record AgentTeamOptions
{
    public string? Model { get; init; }
    public int MaxOutputTokens { get; init; } = 4096;
    public int MaxRunTokens { get; init; } = 100_000;
    public int MaxIterations { get; init; } = 3;
    public int MaxRepairAttempts { get; init; } = 2;
    public double SkipAgentsBelow { get; init; } = 0.2;
    public double? Temperature { get; init; }
    public bool JsonResponseFormat { get; init; } = true;

    public static AgentTeamOptions From(LlmOptions llm)
    {
        ArgumentNullException.ThrowIfNull(llm);
        return new AgentTeamOptions
        {
            Model = llm.Model,
            MaxOutputTokens = llm.MaxOutputTokens,
            MaxRunTokens = llm.MaxRunTokens,
            MaxIterations = llm.MaxIterations,
            MaxRepairAttempts = llm.MaxRepairAttempts,
            SkipAgentsBelow = llm.SkipAgentsBelow,
            Temperature = llm.Temperature,
            JsonResponseFormat = llm.ResponseFormat == LlmResponseFormat.Json,
        };
    }
}
