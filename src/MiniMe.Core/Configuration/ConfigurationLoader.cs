using Microsoft.Extensions.Configuration;

namespace MiniMe.Configuration;

/// <summary>
/// Builds the effective configuration: embedded defaults, then config.yaml, then MINIME_ environment
/// variables ("__" nests: MINIME_LLM__PROVIDER), then command-line overrides.
/// </summary>
public static class ConfigurationLoader
{
    public const string EnvironmentPrefix = "MINIME_";

    public static IConfigurationRoot Build(Workspace workspace, IEnumerable<KeyValuePair<string, string?>>? overrides = null)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        var builder = new ConfigurationBuilder();
        if (File.Exists(workspace.ConfigPath))
            builder.AddInMemoryCollection(YamlConfigurationReader.ReadFile(workspace.ConfigPath));
        builder.AddEnvironmentVariables(EnvironmentPrefix);
        if (overrides is not null)
            builder.AddInMemoryCollection(overrides);
        return builder.Build();
    }

    public static MiniMeOptions Load(Workspace workspace, IEnumerable<KeyValuePair<string, string?>>? overrides = null)
    {
        var configuration = Build(workspace, overrides);
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

    private static void Validate(MiniMeOptions options, Workspace workspace)
    {
        var problems = new List<string>();
        if (options.Import.ChunkChars < 200) problems.Add("import.chunkChars must be at least 200");
        if (options.Import.OverlapChars < 0 || options.Import.OverlapChars >= options.Import.ChunkChars)
            problems.Add("import.overlapChars must be between 0 and import.chunkChars");
        if (options.Import.MaxFileBytes < 1) problems.Add("import.maxFileBytes must be positive");
        if (options.Retrieval.DefaultK is < 1 or > 1000) problems.Add("retrieval.defaultK must be between 1 and 1000");
        if (options.Context.BudgetTokens < 100) problems.Add("context.budgetTokens must be at least 100");
        if (!string.Equals(options.Memory.Store, "sqlite", StringComparison.OrdinalIgnoreCase))
            problems.Add($"memory.store '{options.Memory.Store}' is not available; use sqlite");
        if (options.Embeddings.Provider is not ("none" or "onnx"))
            problems.Add($"embeddings.provider '{options.Embeddings.Provider}' is unknown; use none or onnx");
        problems.AddRange(options.Facts.Validate());
        if (problems.Count > 0)
            throw new ConfigException($"{workspace.ConfigPath}: {string.Join("; ", problems)}");
    }
}
