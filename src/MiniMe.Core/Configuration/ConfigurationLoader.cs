using Microsoft.Extensions.Configuration;

namespace MiniMe.Configuration;

/// <summary>
/// Builds the effective configuration: embedded defaults, then config.yaml, then MINIME_ environment
/// variables ("__" nests: MINIME_LLM__PROVIDER), then command-line overrides. <see cref="Load"/> first
/// refuses keys no options class binds (<see cref="SettingKeys"/>), in the file and in MINIME_ variables.
/// </summary>
public static class ConfigurationLoader
{
    public const string EnvironmentPrefix = "MINIME_";

    /// <summary>The keys of <see cref="MiniMeOptions"/>; hosts that bind more sections extend it (<see cref="SettingKeys.WithSection{TSection}"/>).</summary>
    public static SettingKeys Keys { get; } = SettingKeys.For<MiniMeOptions>();

    public static IConfigurationRoot Build(Workspace workspace, IEnumerable<KeyValuePair<string, string?>>? overrides = null)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        return Build(File.Exists(workspace.ConfigPath) ? YamlConfigurationReader.ReadDocumentFile(workspace.ConfigPath) : null, overrides);
    }

    private static IConfigurationRoot Build(YamlConfigurationDocument? file, IEnumerable<KeyValuePair<string, string?>>? overrides)
    {
        var builder = new ConfigurationBuilder();
        if (file is not null)
            builder.AddInMemoryCollection(file.Values);
        builder.AddEnvironmentVariables(EnvironmentPrefix);
        if (overrides is not null)
            builder.AddInMemoryCollection(overrides);
        return builder.Build();
    }

    /// <param name="keys">The settings that exist (default <see cref="Keys"/>); any other key in config.yaml or a MINIME_ section variable is an <see cref="UnknownSettingsException"/>.</param>
    public static MiniMeOptions Load(Workspace workspace, IEnumerable<KeyValuePair<string, string?>>? overrides = null, SettingKeys? keys = null)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        var file = File.Exists(workspace.ConfigPath) ? YamlConfigurationReader.ReadDocumentFile(workspace.ConfigPath) : null;
        keys ??= Keys;
        var unknown = new List<string>();
        if (file is not null) unknown.AddRange(keys.CheckDocument(file));
        unknown.AddRange(keys.CheckEnvironment(EnvironmentVariables(), EnvironmentPrefix));
        if (unknown.Count > 0) throw new UnknownSettingsException(unknown);

        var configuration = Build(file, overrides);
        var options = new MiniMeOptions();
        try
        {
            configuration.Bind(options);
        }
        catch (InvalidOperationException e)
        {
            throw new ConfigException($"{workspace.ConfigPath}: {e.Message}", e);
        }
        Validate(options, workspace);
        return options;
    }

    private static IEnumerable<KeyValuePair<string, string?>> EnvironmentVariables()
    {
        foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
            yield return new((string)entry.Key, entry.Value as string);
    }

    private static void Validate(MiniMeOptions options, Workspace workspace)
    {
        var problems = new List<string>();
        if (options.Import.ChunkChars < 200) problems.Add("import.chunkChars must be at least 200");
        if (options.Import.OverlapChars < 0 || options.Import.OverlapChars >= options.Import.ChunkChars)
            problems.Add("import.overlapChars must be between 0 and import.chunkChars");
        if (options.Import.MaxFileBytes < 1) problems.Add("import.maxFileBytes must be positive");
        if (options.Retrieval.DefaultK is < 1 or > 1000) problems.Add("retrieval.defaultK must be between 1 and 1000");
        if (options.Vectors.AnnThreshold < 0) problems.Add("vectors.annThreshold must be 0 or more");
        if (options.Vectors.M is < 4 or > 128) problems.Add("vectors.m must be between 4 and 128");
        if (options.Vectors.EfConstruction is < 8 or > 4096) problems.Add("vectors.efConstruction must be between 8 and 4096");
        if (options.Vectors.EfSearch is < 1 or > 4096) problems.Add("vectors.efSearch must be between 1 and 4096");
        if (options.Context.BudgetTokens < 100) problems.Add("context.budgetTokens must be at least 100");
        problems.AddRange(ValidateMemory(options.Memory));
        if (options.Embeddings.Provider is not ("none" or "onnx"))
            problems.Add($"embeddings.provider '{options.Embeddings.Provider}' is unknown; use none or onnx");
        ValidateLlm(options.Llm, problems);
        if (options.Tools.CommandTimeoutSeconds is < 1 or > 86400) problems.Add("tools.commandTimeoutSeconds must be between 1 and 86400");
        if (options.Tools.MaxOutputBytes < 1024) problems.Add("tools.maxOutputBytes must be at least 1024");
        if (options.Tools.MaxFileBytes < 1) problems.Add("tools.maxFileBytes must be positive");
        if (string.IsNullOrWhiteSpace(options.Tools.Root)) problems.Add("tools.root must name a directory");
        if (options.Tools.Sandbox is not ("auto" or "bwrap" or "none"))
            problems.Add($"tools.sandbox '{options.Tools.Sandbox}' is unknown; use auto, bwrap or none");
        problems.AddRange(options.Facts.Validate());
        if (problems.Count > 0)
            throw new ConfigException($"{workspace.ConfigPath}: {string.Join("; ", problems)}");
    }

    /// <summary>The providers MiniMe can talk to; "none" means dry runs only.</summary>
    public static readonly IReadOnlyList<string> LlmProviders = ["none", "openai", "ollama", "anthropic"];

    private static void ValidateLlm(LlmOptions llm, List<string> problems)
    {
        llm.Provider = llm.Provider.Trim().ToLowerInvariant();
        if (!LlmProviders.Contains(llm.Provider))
            problems.Add($"llm.provider '{llm.Provider}' is unknown; use {string.Join(", ", LlmProviders)}");
        if (llm.Endpoint is { Length: > 0 } endpoint &&
            (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
            problems.Add($"llm.endpoint '{endpoint}' is not an http(s) URL");
        if (llm.TimeoutSeconds is < 1 or > 3600) problems.Add("llm.timeoutSeconds must be between 1 and 3600");
        if (llm.MaxRetries is < 0 or > 10) problems.Add("llm.maxRetries must be between 0 and 10");
        if (llm.RetryBaseDelayMs is < 0 or > 60_000) problems.Add("llm.retryBaseDelayMs must be between 0 and 60000");
        if (llm.MaxRunTokens < 1000) problems.Add("llm.maxRunTokens must be at least 1000");
        if (llm.MaxOutputTokens < 16) problems.Add("llm.maxOutputTokens must be at least 16");
        if (llm.MaxIterations is < 1 or > 10) problems.Add("llm.maxIterations must be between 1 and 10");
        if (llm.MaxRepairAttempts is < 0 or > 5) problems.Add("llm.maxRepairAttempts must be between 0 and 5");
        if (llm.SkipAgentsBelow is < 0 or > 1 || double.IsNaN(llm.SkipAgentsBelow)) problems.Add("llm.skipAgentsBelow must be between 0 and 1");
        if (llm.Temperature is { } t && (t is < 0 or > 2 || double.IsNaN(t))) problems.Add("llm.temperature must be between 0 and 2");
        if (llm.ResponseFormat is not ("json" or "text")) problems.Add($"llm.responseFormat '{llm.ResponseFormat}' is unknown; use json or text");
        foreach (var price in llm.Prices)
        {
            if (string.IsNullOrWhiteSpace(price.Model)) problems.Add("llm.prices: every row needs a model");
            if (price.InputPerMillion < 0 || price.OutputPerMillion < 0) problems.Add($"llm.prices '{price.Model}': prices cannot be negative");
        }
    }

    private static IEnumerable<string> ValidateMemory(MemoryOptions memory)
    {
        var store = memory.Store.Trim().ToLowerInvariant();
        if (store is not ("sqlite" or "postgres"))
            yield return $"memory.store '{memory.Store}' is unknown; use sqlite or postgres";
        if (store == "postgres" && string.IsNullOrWhiteSpace(memory.ConnectionString))
            yield return "memory.store is postgres but memory.connectionString is not set (or set MINIME_MEMORY__CONNECTIONSTRING)";
        if (memory.VectorSearch.Trim().ToLowerInvariant() is not ("auto" or "exact" or "pgvector"))
            yield return $"memory.vectorSearch '{memory.VectorSearch}' is unknown; use auto, exact or pgvector";
    }
}
