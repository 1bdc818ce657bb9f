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
        ValidateModels(options, f);
        return f.Result;
    }

    /// <summary>llm.models entries, and every model name llm.agents and llm.fallbacks refer to.</summary>
    private static void ValidateModels(LlmOptions options, Failures f)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        if (options.Provider != LlmProvider.None) names.Add(NamedModels.DefaultName);
        for (var i = 0; i < options.Models.Count; i++)
        {
            var m = options.Models[i];
            var key = $"llm.models[{i}]";
            if (string.IsNullOrWhiteSpace(m.Name)) f.Add($"{key}.name: every model needs a name (agents, fallbacks and router rules use it)");
            else if (!m.Name.Trim().All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')) f.Add($"{key}.name: '{m.Name}' may only use letters, digits, '-', '_' and '.'");
            else if (m.Name.Trim() == NamedModels.DefaultName && options.Provider != LlmProvider.None)
                f.Add($"{key}.name: 'default' is the model of llm.provider/llm.model already; rename this one or set llm.provider: none");
            else if (!names.Add(m.Name.Trim())) f.Add($"{key}.name: '{m.Name}' is declared twice");
            if (m.Provider == LlmProvider.None) f.Add($"{key}.provider: set openai, ollama or anthropic for model '{m.Name}'");
            else f.Defined($"{key}.provider", m.Provider);
            if (string.IsNullOrWhiteSpace(m.Model)) f.Add($"{key}.model: model '{m.Name}' needs the server's model id (e.g. gpt-4o-mini, llama3.1)");
            if (m.Endpoint is { Length: > 0 } endpoint &&
                (!Uri.TryCreate(endpoint.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
                f.Add($"{key}.endpoint: '{endpoint}' is not an http(s) URL");
            if (m.TimeoutSeconds is { } timeout) f.Range($"{key}.timeoutSeconds", timeout, 1, 3600);
            if (m.InputPerMillion < 0) f.Add($"{key}.inputPerMillion must not be negative ('{m.Name}')");
            if (m.OutputPerMillion < 0) f.Add($"{key}.outputPerMillion must not be negative ('{m.Name}')");
        }
        foreach (var (agent, model) in options.Agents.Assigned())
            if (!names.Contains(model.Trim())) f.Add($"llm.agents.{agent}: {Unknown(model, names)}");
        for (var i = 0; i < options.Fallbacks.Count; i++)
            if (!names.Contains(options.Fallbacks[i].Trim())) f.Add($"llm.fallbacks[{i}]: {Unknown(options.Fallbacks[i], names)}");
    }

    /// <summary>"unknown model 'bgi'; llm.models declares: default, big" (with a did-you-mean when one is close).</summary>
    internal static string Unknown(string model, IReadOnlyCollection<string> names) =>
        names.Count == 0
            ? $"unknown model '{model}'; no model is configured (set llm.provider/llm.model or declare llm.models)"
            : $"unknown model '{model}'; known models: {string.Join(", ", names)}{(SettingKeys.Closest(model.Trim(), [.. names]) is { } close ? $" (did you mean {close}?)" : "")}";
}

/// <summary>router: each rule names a known model and at least one condition.</summary>
public sealed class RouterOptionsValidator(LlmOptions llm) : IValidateOptions<RouterOptions>
{
    public ValidateOptionsResult Validate(string? name, RouterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var f = new Failures();
        var names = NamedModels.Of(llm).Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < options.Rules.Count; i++)
        {
            var rule = options.Rules[i];
            var key = $"router.rules[{i}]";
            if (string.IsNullOrWhiteSpace(rule.Model)) f.Add($"{key}.model: every rule names the model it picks");
            else if (!names.Contains(rule.Model.Trim())) f.Add($"{key}.model: {LlmOptionsValidator.Unknown(rule.Model, names)}");
            var when = rule.When;
            if (when.Agent is null && when.NodeType is null && when.Complexity is null && when.BudgetBelowTokens is null)
                f.Add($"{key}.when: give at least one of agent, nodeType, complexity, budgetBelowTokens");
            if (when.Complexity is { } c) f.Defined($"{key}.when.complexity", c);
            if (when.BudgetBelowTokens is { } b) f.AtLeast($"{key}.when.budgetBelowTokens", b, 1);
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
        f.Range("tools.traceOutputBytes", options.TraceOutputBytes, 0, 16 * 1024 * 1024);
        f.AtLeast("tools.maxFileBytes", options.MaxFileBytes, 1);
        f.Defined("tools.sandbox", options.Sandbox);
        return f.Result;
    }
}

/// <summary>
/// hooks[]: a known event (a misspelt one names the closest), a program (an argument vector, no shell
/// line), a timeout between 1 and 600 seconds, match.tool only on tool events, onError deny or allow.
/// Also checks a workflow manifest's hooks (<paramref name="prefix"/> names where they are).
/// </summary>
public sealed class HookOptionsValidator(string prefix = "hooks") : IValidateOptions<List<MiniMe.Hooks.HookOptions>>
{
    public ValidateOptionsResult Validate(string? name, List<MiniMe.Hooks.HookOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var f = new Failures();
        for (var i = 0; i < options.Count; i++)
        {
            var hook = options[i];
            var at = $"{prefix}[{i}]";
            if (string.IsNullOrWhiteSpace(hook.Event))
                f.Add($"{at}.event: every hook needs an event ({string.Join(", ", MiniMe.Hooks.HookEvents.All)})");
            else if (!MiniMe.Hooks.HookEvents.IsKnown(hook.Event))
                f.Add($"{at}.event: {SettingValues.NotOneOf(hook.Event, MiniMe.Hooks.HookEvents.All)}");
            if (hook.Program.Count == 0 || string.IsNullOrWhiteSpace(hook.Program[0]))
                f.Add($"{at}.program: every hook needs a program, as a list: [\"/usr/bin/env\", \"python3\", \"hook.py\"]");
            else if (hook.Program.Count == 1 && hook.Program[0].Trim().Contains(' ', StringComparison.Ordinal))
                f.Add($"{at}.program: '{hook.Program[0]}' is one string with spaces; hooks run without a shell, so give the program and its arguments as a list");
            f.Range($"{at}.timeoutSeconds", hook.TimeoutSeconds, 1, 600);
            if (hook.OnError is { } policy) f.Defined($"{at}.onError", policy);
            if (hook.Match?.Tool is { } tool && hook.Event is not (MiniMe.Hooks.HookEvents.BeforeTool or MiniMe.Hooks.HookEvents.AfterTool))
                f.Add($"{at}.match.tool: '{tool}' applies only to before_tool and after_tool hooks (event is {hook.Event})");
        }
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

public sealed class MaskOptionsValidator : IValidateOptions<MaskOptions>
{
    public ValidateOptionsResult Validate(string? name, MaskOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var f = new Failures();
        f.Defined("masks.policy", options.Policy);
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
            new RouterOptionsValidator(options.Llm).Validate(name, options.Router),
            new ToolsOptionsValidator().Validate(name, options.Tools),
            new HookOptionsValidator().Validate(name, options.Hooks),
            new AgentsOptionsValidator().Validate(name, options.Agents),
            new MaskOptionsValidator().Validate(name, options.Masks),
        ];
        var failures = results.Where(r => r.Failed).SelectMany(r => r.Failures ?? []).ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
