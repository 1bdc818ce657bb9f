using System.Diagnostics;
using Microsoft.Extensions.AI;
using MiniMe.Configuration;

namespace MiniMe.Providers;

public enum CheckStatus
{
    Ok,
    Warning,
    Failed,
}

/// <summary>One line of `minime doctor`: what was checked, how it went, and what to do about it.</summary>
public sealed record DoctorCheck(string Name, CheckStatus Status, string Detail, string? Fix = null);

/// <summary>
/// Checks the configured provider step by step: settings, API key (presence only, never the value),
/// endpoint reachability and model listing, and a tiny test call. Stops at the first step the later
/// ones depend on. Doctor calls are not retried: it reports the state now.
/// </summary>
public static class ProviderDoctor
{
    public static async Task<IReadOnlyList<DoctorCheck>> CheckAsync(
        LlmOptions options, Func<string, string?>? environment = null, HttpMessageHandler? transport = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        environment ??= Environment.GetEnvironmentVariable;
        var checks = new List<DoctorCheck>();
        if (options.Provider == LlmProvider.None)
        {
            checks.Add(new DoctorCheck("provider", CheckStatus.Failed, "llm.provider is none: `minime ask` can only dry-run",
                "set llm.provider in config.yaml (or MINIME_LLM__PROVIDER) to openai, ollama or anthropic, plus llm.model"));
            return checks;
        }

        var probe = Clone(options);
        probe.MaxRetries = 0;
        ProviderSettings settings;
        try
        {
            settings = ProviderSettings.Resolve(probe, environment);
        }
        catch (ConfigException e)
        {
            checks.Add(new DoctorCheck("provider", CheckStatus.Failed, e.Message, "fix the setting named above"));
            return checks;
        }
        checks.Add(new DoctorCheck("provider", CheckStatus.Ok, $"{settings.Provider}, model {settings.Model}, endpoint {settings.Endpoint}"));
        checks.Add(KeyCheck(settings));

        using var connection = ChatClientFactory.Create(settings, transport);
        var models = await Step(() => connection.Models.ListAsync(cancellationToken), settings, cancellationToken).ConfigureAwait(false);
        if (models.Error is { } listError)
        {
            checks.Add(new DoctorCheck("endpoint", CheckStatus.Failed, listError.Message, "start the server or correct llm.endpoint; for a hosted service check the key"));
            return checks;
        }
        var list = models.Value!;
        checks.Add(new DoctorCheck("endpoint", CheckStatus.Ok, $"reachable; {list.Count} model{(list.Count == 1 ? "" : "s")} listed"));
        checks.Add(list.Contains(settings.Model, StringComparer.OrdinalIgnoreCase) || list.Any(m => m.StartsWith(settings.Model + ":", StringComparison.OrdinalIgnoreCase))
            ? new DoctorCheck("model", CheckStatus.Ok, $"{settings.Model} is available")
            : new DoctorCheck("model", CheckStatus.Warning, $"{settings.Model} is not in the server's list" + (list.Count > 0 ? $" (it has: {string.Join(", ", list.Take(8))}{(list.Count > 8 ? ", …" : "")})" : ""),
                "set llm.model to one of the listed models (or pull it, for ollama)"));

        var clock = Stopwatch.StartNew();
        var call = await Step(() => connection.Chat.GetResponseAsync(
            [new ChatMessage(ChatRole.User, "Reply with the single word OK.")],
            new ChatOptions { MaxOutputTokens = 16, Temperature = 0 }, cancellationToken), settings, cancellationToken).ConfigureAwait(false);
        if (call.Error is { } callError)
        {
            checks.Add(new DoctorCheck("test call", CheckStatus.Failed, callError.Message, "check llm.model and the server's logs"));
            return checks;
        }
        var response = call.Value!;
        var text = response.Text.Trim();
        var usage = response.Usage is { } u ? $", {u.InputTokenCount ?? 0}+{u.OutputTokenCount ?? 0} tokens" : ", no token usage reported";
        checks.Add(new DoctorCheck("test call", CheckStatus.Ok, $"answered in {clock.ElapsedMilliseconds} ms: \"{(text.Length > 40 ? text[..40] + "…" : text)}\"{usage}"));
        return checks;
    }

    /// <summary>
    /// Every configured model: today's checks of llm.provider when llm.models is absent; else one line per
    /// named model ("model NAME": provider, model, endpoint, reachability and a test call), failed when
    /// any of its checks failed.
    /// </summary>
    public static async Task<IReadOnlyList<DoctorCheck>> CheckModelsAsync(
        LlmOptions options, Func<string, string?>? environment = null, HttpMessageHandler? transport = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Models.Count == 0) return await CheckAsync(options, environment, transport, cancellationToken).ConfigureAwait(false);
        var models = NamedModels.Of(options);
        var checks = await Task.WhenAll(models.Select(m => CheckModelAsync(m, environment, transport, cancellationToken))).ConfigureAwait(false);
        return checks;
    }

    private static async Task<DoctorCheck> CheckModelAsync(NamedModel model, Func<string, string?>? environment, HttpMessageHandler? transport, CancellationToken cancellationToken)
    {
        var name = $"model {model.Name}";
        var what = $"{SettingValues.Name(model.Options.Provider)} {model.Options.Model}{(model.Options.Endpoint is { Length: > 0 } e ? $" at {e}" : "")}";
        var steps = await CheckAsync(model.Options, environment, transport, cancellationToken).ConfigureAwait(false);
        if (steps.FirstOrDefault(c => c.Status == CheckStatus.Failed) is { } failed)
            return new DoctorCheck(name, CheckStatus.Failed, $"{what}: {failed.Detail}", $"{failed.Fix} ({model.Key})");
        // A missing key is only a warning for a local server; the test call that answered shows none is needed.
        var warnings = steps.Where(c => c.Status == CheckStatus.Warning && c.Name != "api key").ToList();
        var call = steps.LastOrDefault(c => c.Name == "test call")?.Detail ?? "ok";
        return new DoctorCheck(name, warnings.Count > 0 ? CheckStatus.Warning : CheckStatus.Ok,
            $"{what}: reachable, test call {call}" + string.Concat(warnings.Select(w => $"; {w.Detail}")),
            warnings.Count > 0 ? string.Join("; ", warnings.Select(w => w.Fix)) : null);
    }

    /// <summary>
    /// Doctor's endpoint step alone, quickly: one attempt to list the models within <paramref name="timeout"/>.
    /// Null when the endpoint answers (or no provider is configured); else the failure, one line (`minime serve` warns with it).
    /// </summary>
    public static async Task<LlmUnavailableException?> ProbeEndpointAsync(
        LlmOptions options, TimeSpan timeout, Func<string, string?>? environment = null, HttpMessageHandler? transport = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Provider == LlmProvider.None) return null;
        var probe = Clone(options);
        probe.MaxRetries = 0;
        probe.TimeoutSeconds = Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds));
        var settings = ProviderSettings.Resolve(probe, environment ?? Environment.GetEnvironmentVariable);
        using var connection = ChatClientFactory.Create(settings, transport);
        var models = await Step(() => connection.Models.ListAsync(cancellationToken), settings, cancellationToken).ConfigureAwait(false);
        if (models.Error is { } error && TimedOut(error))   // the advice for a slow model call (raise llm.timeoutSeconds) does not fit a probe
            return new LlmUnavailableException($"The {settings.Provider} endpoint {settings.Endpoint} did not answer within {probe.TimeoutSeconds} s; is it starting, or behind a slow network? `minime doctor` checks it at length.", error.InnerException);
        return models.Error;
    }

    private static bool TimedOut(Exception error)
    {
        for (var e = error.InnerException; e is not null; e = e.InnerException)
            if (e is Polly.Timeout.TimeoutRejectedException or TimeoutException or OperationCanceledException) return true;
        return false;
    }

    public static bool IsHealthy(IEnumerable<DoctorCheck> checks) => checks.All(c => c.Status != CheckStatus.Failed);

    private static DoctorCheck KeyCheck(ProviderSettings settings)
    {
        if (settings.HasApiKey) return new DoctorCheck("api key", CheckStatus.Ok, $"{settings.KeyVariable} is set");
        return settings.Kind == LlmProvider.Ollama
            ? new DoctorCheck("api key", CheckStatus.Ok, "not needed for ollama")
            : new DoctorCheck("api key", CheckStatus.Warning, $"{settings.KeyVariable} is not set; fine for a local server without authentication",
                $"export {settings.KeyVariable}=... if the server requires a key");
    }

    private static async Task<(T? Value, LlmUnavailableException? Error)> Step<T>(Func<Task<T>> action, ProviderSettings settings, CancellationToken cancellationToken)
    {
        try
        {
            return (await action().ConfigureAwait(false), null);
        }
        catch (Exception e) when (ProviderErrors.Translate(e, settings, cancellationToken) is { } translated)
        {
            return (default, translated);
        }
    }

    /// <summary>llm.* as configured, with the per-call timeout at most a minute (a check should not wait longer).</summary>
    private static LlmOptions Clone(LlmOptions o)
    {
        var probe = NamedModels.Copy(o);
        probe.TimeoutSeconds = Math.Min(o.TimeoutSeconds, 60);
        return probe;
    }
}
