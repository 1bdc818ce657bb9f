using Microsoft.Extensions.Options;

namespace MiniMe.Configuration;

// One IValidateOptions per options class: the rules a bound value must meet beyond its type. Every
// failure starts with the setting's dotted path ("llm.maxRetries must be ...", "llm.provider: ..."),
// which ConfigurationLoader uses to say where the value came from (file:line:column or the variable).
// A validator returns every failure of its class, never only the first.

/// <summary>Collects failures; <see cref="Result"/> is Success when there are none.</summary>
internal sealed class Failures
{
    private readonly List<string> _list = [];

    public void Add(string failure) => _list.Add(failure);

    public void Range(string setting, double value, double min, double max)
    {
        if (double.IsNaN(value) || value < min || value > max) _list.Add($"{setting} must be between {Format(min)} and {Format(max)} (is {Format(value)})");
    }

    public void AtLeast(string setting, double value, double min, string what = "at least")
    {
        if (double.IsNaN(value) || value < min) _list.Add($"{setting} must be {what} {Format(min)} (is {Format(value)})");
    }

    public void Defined<TEnum>(string setting, TEnum value) where TEnum : struct, Enum
    {
        // The non-generic overload: Enum.IsDefined<TEnum> is JIT-compiled anew for every enum at start-up.
        if (!Enum.IsDefined(typeof(TEnum), value)) _list.Add($"{setting}: {SettingValues.NotOneOf(value.ToString(), SettingValues.Names(typeof(TEnum)))}");
    }

    public ValidateOptionsResult Result => _list.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(_list);

    private static string Format(double value) => value.ToString("#,0.###", System.Globalization.CultureInfo.InvariantCulture);
}

public sealed class MemoryOptionsValidator : IValidateOptions<MemoryOptions>
{
    public ValidateOptionsResult Validate(string? name, MemoryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var f = new Failures();
        f.Defined("memory.store", options.Store);
        f.Defined("memory.vectorSearch", options.VectorSearch);
        f.Defined("memory.traces", options.Traces);
        if (options.Traces == TraceStoreKind.Postgres && options.Store != MemoryStoreKind.Postgres)
            f.Add("memory.traces is postgres but memory.store is not; set memory.store: postgres or memory.traces: files");
        if (options.Store == MemoryStoreKind.Postgres && string.IsNullOrWhiteSpace(options.ConnectionString))
            f.Add("memory.store is postgres but memory.connectionString is not set (or set MINIME_MEMORY__CONNECTIONSTRING)");
        return f.Result;
    }
}

public sealed class ImportOptionsValidator : IValidateOptions<ImportOptions>
{
    public ValidateOptionsResult Validate(string? name, ImportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var f = new Failures();
        f.AtLeast("import.chunkChars", options.ChunkChars, 200);
        if (options.OverlapChars < 0 || options.OverlapChars >= options.ChunkChars)
            f.Add($"import.overlapChars must be between 0 and import.chunkChars (is {options.OverlapChars}, chunkChars {options.ChunkChars})");
        f.AtLeast("import.maxFileBytes", options.MaxFileBytes, 1);
        return f.Result;
    }
}

public sealed class RetrievalOptionsValidator : IValidateOptions<RetrievalOptions>
{
    public ValidateOptionsResult Validate(string? name, RetrievalOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var f = new Failures();
        f.Range("retrieval.defaultK", options.DefaultK, 1, 1000);
        f.Defined("retrieval.fusion", options.Fusion);
        f.Defined("retrieval.normalization", options.Normalization);
        f.Range("retrieval.rrfK", options.RrfK, 0, 10_000);
        f.Range("retrieval.denseWeight", options.DenseWeight, 0, 1);
        f.Range("retrieval.identifierDenseWeight", options.IdentifierDenseWeight, 0, 1);
        f.Range("retrieval.denseFloor", options.DenseFloor, -1, 1);
        f.Range("retrieval.denseMinBest", options.DenseMinBest, -1, 1);
        return f.Result;
    }
}

public sealed class ContextOptionsValidator : IValidateOptions<ContextOptions>
{
    public ValidateOptionsResult Validate(string? name, ContextOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var f = new Failures();
        f.AtLeast("context.budgetTokens", options.BudgetTokens, 100);
        return f.Result;
    }
}

public sealed class EmbeddingOptionsValidator : IValidateOptions<EmbeddingOptions>
{
    public ValidateOptionsResult Validate(string? name, EmbeddingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var f = new Failures();
        if (options.Provider is { } provider) f.Defined("embeddings.provider", provider);
        var model = options.EffectiveModel;
        if (!EmbeddingOptions.ModelNames.Contains(model))
            f.Add($"embeddings.model: {SettingValues.NotOneOf(options.Model ?? model, EmbeddingOptions.ModelNames)}");
        if (model == "file" && (string.IsNullOrWhiteSpace(options.ModelPath) || string.IsNullOrWhiteSpace(options.VocabPath)))
            f.Add("embeddings.model is file but embeddings.modelPath or embeddings.vocabPath is not set");
        if (model != "file")
        {
            // modelPath and vocabPath may stay while another model is tried; how to read a file model may not, it would be ignored.
            foreach (var (key, value) in new[] { ("pooling", options.Pooling?.ToString()), ("queryPrefix", options.QueryPrefix), ("documentPrefix", options.DocumentPrefix) })
                if (value is not null && model != "none")
                    f.Add($"embeddings.{key} applies to embeddings.model: file only; {model} has its own (remove it, or set model: file)");
        }
        if (options.Pooling is { } pooling) f.Defined("embeddings.pooling", pooling);
        if (options.MaxTokens is { } maxTokens) f.Range("embeddings.maxTokens", maxTokens, 16, 8192);
        f.Range("embeddings.threads", options.Threads, 0, 256);
        f.Range("embeddings.maxWindows", options.MaxWindows, 1, 1024);
        f.Range("embeddings.batchSize", options.BatchSize, 1, 1024);
        return f.Result;
    }
}

public sealed class VectorOptionsValidator : IValidateOptions<VectorOptions>
{
    public ValidateOptionsResult Validate(string? name, VectorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var f = new Failures();
        f.AtLeast("vectors.annThreshold", options.AnnThreshold, 0);
        f.Range("vectors.m", options.M, 4, 128);
        f.Range("vectors.efConstruction", options.EfConstruction, 8, 4096);
        f.Range("vectors.efSearch", options.EfSearch, 1, 4096);
        return f.Result;
    }
}

public sealed class FactOptionsValidator : IValidateOptions<FactOptions>
{
    public ValidateOptionsResult Validate(string? name, FactOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = options.Validate().ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

public sealed class LlmOptionsValidator : IValidateOptions<LlmOptions>
{
    public ValidateOptionsResult Validate(string? name, LlmOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var f = new Failures();
        f.Defined("llm.provider", options.Provider);
        f.Defined("llm.responseFormat", options.ResponseFormat);
        if (options.Endpoint is { Length: > 0 } endpoint &&
            (!Uri.TryCreate(endpoint.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
            f.Add($"llm.endpoint: '{endpoint}' is not an http(s) URL");
        f.Range("llm.timeoutSeconds", options.TimeoutSeconds, 1, 3600);
        f.Range("llm.maxRetries", options.MaxRetries, 0, 10);
        f.Range("llm.retryBaseDelayMs", options.RetryBaseDelayMs, 0, 60_000);
        f.AtLeast("llm.maxRunTokens", options.MaxRunTokens, 1000);
        f.AtLeast("llm.maxOutputTokens", options.MaxOutputTokens, 16);
        f.Range("llm.maxIterations", options.MaxIterations, 1, 10);
        f.Range("llm.maxRepairAttempts", options.MaxRepairAttempts, 0, 5);
        f.Range("llm.skipAgentsBelow", options.SkipAgentsBelow, 0, 1);
        if (options.Temperature is { } t) f.Range("llm.temperature", t, 0, 2);
        for (var i = 0; i < options.Prices.Count; i++)
        {
            var price = options.Prices[i];
            if (string.IsNullOrWhiteSpace(price.Model)) f.Add($"llm.prices[{i}].model: every row needs a model");
            if (price.InputPerMillion < 0) f.Add($"llm.prices[{i}].inputPerMillion must not be negative ('{price.Model}')");
            if (price.OutputPerMillion < 0) f.Add($"llm.prices[{i}].outputPerMillion must not be negative ('{price.Model}')");
        }
        return f.Result;
    }
}

public sealed class ToolsOptionsValidator : IValidateOptions<ToolsOptions>
{
    public ValidateOptionsResult Validate(string? name, ToolsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var f = new Failures();
        if (string.IsNullOrWhiteSpace(options.Root)) f.Add("tools.root must name a directory");
        f.Range("tools.commandTimeoutSeconds", options.CommandTimeoutSeconds, 1, 86400);
        f.AtLeast("tools.maxOutputBytes", options.MaxOutputBytes, 1024);
        f.AtLeast("tools.maxFileBytes", options.MaxFileBytes, 1);
        f.Defined("tools.sandbox", options.Sandbox);
        return f.Result;
    }
}

public sealed class AgentsOptionsValidator : IValidateOptions<AgentsOptions>
{
    public ValidateOptionsResult Validate(string? name, AgentsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var f = new Failures();
        f.Range("agents.maxToolCalls", options.MaxToolCalls, 0, 64);
        f.AtLeast("agents.maxToolResultBytes", options.MaxToolResultBytes, 256);
        f.AtLeast("agents.currentFileBytes", options.CurrentFileBytes, 0);
        return f.Result;
    }
}

/// <summary>The whole of config.yaml: every section's validator, every failure of each.</summary>
public sealed class MiniMeOptionsValidator : IValidateOptions<MiniMeOptions>
{
    public ValidateOptionsResult Validate(string? name, MiniMeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ValidateOptionsResult[] results =
        [
            new MemoryOptionsValidator().Validate(name, options.Memory),
            new ImportOptionsValidator().Validate(name, options.Import),
            new RetrievalOptionsValidator().Validate(name, options.Retrieval),
            new ContextOptionsValidator().Validate(name, options.Context),
            new EmbeddingOptionsValidator().Validate(name, options.Embeddings),
            new VectorOptionsValidator().Validate(name, options.Vectors),
            new FactOptionsValidator().Validate(name, options.Facts),
            new LlmOptionsValidator().Validate(name, options.Llm),
            new ToolsOptionsValidator().Validate(name, options.Tools),
            new AgentsOptionsValidator().Validate(name, options.Agents),
        ];
        var failures = results.Where(r => r.Failed).SelectMany(r => r.Failures ?? []).ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
