namespace MiniMe.Configuration;

/// <summary>One model the engine may call, by the name llm.agents, llm.fallbacks and router rules use.</summary>
/// <param name="Options">llm.* with this model's provider, endpoint, model, key variable and timeout: what a provider client is built from.</param>
/// <param name="Prices">This model's price, when llm.models gives one (else llm.prices by model id).</param>
/// <param name="Key">Where the model is declared, for messages: "llm.models[1]" or "llm" (the default of llm.provider/llm.model).</param>
public sealed record NamedModel(string Name, LlmOptions Options, ModelPrice? Prices, string Key);

/// <summary>
/// The named models of llm.*: llm.provider/endpoint/model is the model <c>default</c> (when a provider
/// is set), followed by every llm.models entry. The default model (agents without a choice, summaries)
/// is <c>default</c> when it exists, else the first of llm.models.
/// </summary>
public static class NamedModels
{
    public const string DefaultName = "default";

    /// <summary>True when some model is configured (llm.provider or llm.models): `ask` runs the team, chat answers.</summary>
    public static bool IsConfigured(LlmOptions llm)
    {
        ArgumentNullException.ThrowIfNull(llm);
        return llm.Provider != LlmProvider.None || llm.Models.Count > 0;
    }

    public static IReadOnlyList<NamedModel> Of(LlmOptions llm)
    {
        ArgumentNullException.ThrowIfNull(llm);
        var models = new List<NamedModel>();
        if (llm.Provider != LlmProvider.None) models.Add(new NamedModel(DefaultName, llm, null, "llm"));
        for (var i = 0; i < llm.Models.Count; i++)
        {
            var m = llm.Models[i];
            var options = Copy(llm);
            options.Provider = m.Provider;
            options.Endpoint = m.Endpoint;
            options.Model = m.Model;
            options.ApiKeyVariable = m.ApiKeyVariable;
            if (m.TimeoutSeconds is { } timeout) options.TimeoutSeconds = timeout;
            var price = m.InputPerMillion is not null || m.OutputPerMillion is not null
                ? new ModelPrice { Model = m.Model ?? m.Name, InputPerMillion = m.InputPerMillion ?? 0, OutputPerMillion = m.OutputPerMillion ?? 0 }
                : null;
            models.Add(new NamedModel(m.Name.Trim(), options, price, $"llm.models[{i}]"));
        }
        return models;
    }

    /// <summary>The model of agents without a choice: <c>default</c>, else the first of llm.models; null when none is configured.</summary>
    public static NamedModel? Default(LlmOptions llm)
    {
        var models = Of(llm);
        return models.FirstOrDefault(m => m.Name == DefaultName) ?? models.FirstOrDefault();
    }

    /// <summary>The name of <see cref="Default"/>.</summary>
    public static string? DefaultOf(LlmOptions llm) => Default(llm)?.Name;

    /// <summary>The band of a 0-1 complexity score (router.rules[].when.complexity).</summary>
    public static TaskComplexity Band(double complexity) =>
        complexity >= 0.65 ? TaskComplexity.High : complexity >= 0.35 ? TaskComplexity.Medium : TaskComplexity.Low;

    /// <summary>A copy of llm.* (the named model's own settings are then set on it).</summary>
    public static LlmOptions Copy(LlmOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        return new LlmOptions
        {
            Provider = o.Provider,
            Endpoint = o.Endpoint,
            Model = o.Model,
            ApiKeyVariable = o.ApiKeyVariable,
            TimeoutSeconds = o.TimeoutSeconds,
            MaxRetries = o.MaxRetries,
            RetryBaseDelayMs = o.RetryBaseDelayMs,
            MaxRunTokens = o.MaxRunTokens,
            MaxOutputTokens = o.MaxOutputTokens,
            MaxIterations = o.MaxIterations,
            MaxRepairAttempts = o.MaxRepairAttempts,
            SkipAgentsBelow = o.SkipAgentsBelow,
            Temperature = o.Temperature,
            ResponseFormat = o.ResponseFormat,
            Prices = o.Prices,
        };
    }
}
