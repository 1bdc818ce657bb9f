using MiniMe.Configuration;

namespace MiniMe.Agents;

/// <summary>How the team calls the model, bound from the llm and agents sections of config.yaml (prices live in the model pipeline's <see cref="MiniMe.ModelCalls.PriceTable"/>).</summary>
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
    /// <summary>agents.tools: offer the read-only tools to the agents (when the team has a toolbox).</summary>
    public bool ReadOnlyTools { get; init; } = true;
    /// <summary>agents.maxToolCalls: tool calls per agent call.</summary>
    public int MaxToolCalls { get; init; } = 8;
    /// <summary>agents.maxToolResultBytes: what one tool call returns to the model at most.</summary>
    public int MaxToolResultBytes { get; init; } = 16 * 1024;
    /// <summary>agents.currentFileBytes: the current text of the planned files in the Builder's prompt, all files together.</summary>
    public int CurrentFileBytes { get; init; } = 64 * 1024;

    public static AgentTeamOptions From(LlmOptions llm, AgentsOptions? agents = null)
    {
        ArgumentNullException.ThrowIfNull(llm);
        agents ??= new AgentsOptions();
        return new AgentTeamOptions
        {
            ReadOnlyTools = agents.Tools,
            MaxToolCalls = agents.MaxToolCalls,
            MaxToolResultBytes = agents.MaxToolResultBytes,
            CurrentFileBytes = agents.CurrentFileBytes,
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
