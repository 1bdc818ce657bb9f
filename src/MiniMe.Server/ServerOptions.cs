using Microsoft.Extensions.Options;
using MiniMe.Configuration;

namespace MiniMe.Server;

/// <summary>The server section of config.yaml (server: ...), overridable with MINIME_SERVER__*.</summary>
public sealed class ServerOptions
{
    public const string Section = "server";

    /// <summary>Every section config.yaml may hold: the engine's (<see cref="MiniMeOptions"/>) plus this one and the personal layer's (goals, schedules, mcp, signal, reflect).</summary>
    public static SettingKeys SettingKeys { get; } = ConfigurationLoader.Keys.WithSection<ServerOptions>(Section).WithSection<Goals.GoalOptions>(Goals.GoalOptions.Section)
        .WithSection<Schedules.ScheduleOptions>(Schedules.ScheduleOptions.Section).WithSection<Mcp.McpOptions>(Mcp.McpOptions.Section)
        .WithSection<Signals.SignalOptions>(Signals.SignalOptions.Section)
        .WithSection<Reflection.ReflectionOptions>(Reflection.ReflectionOptions.Section);

    /// <summary>Where Kestrel listens. Loopback by default: exposing MiniMe beyond this machine is a choice.</summary>
    public string Urls { get; set; } = "http://127.0.0.1:8002";

    /// <summary>
    /// The certificate https URLs use, relative to the workspace: a PKCS#12 file (.pfx/.p12) or a PEM
    /// certificate (.crt/.pem, its key in <see cref="CertificateKey"/> or in the same file). Unset: the
    /// .NET development certificate (`dotnet dev-certs https`), if one is installed.
    /// </summary>
    public string? Certificate { get; set; }

    /// <summary>The PEM private key of a PEM <see cref="Certificate"/>, relative to the workspace; unset: the key is in the certificate file.</summary>
    public string? CertificateKey { get; set; }

    /// <summary>The environment variable holding the password of the .pfx or of an encrypted PEM key (never the password itself in config.yaml).</summary>
    public string CertificatePasswordVariable { get; set; } = "MINIME_CERTIFICATE_PASSWORD";

    /// <summary>Largest request body for every endpoint but import.</summary>
    public long MaxRequestBytes { get; set; } = 256 * 1024;

    /// <summary>Largest request body for POST /v1/memory/import.</summary>
    public long MaxImportBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>Largest chat message or ask task, in characters.</summary>
    public int MaxMessageChars { get; set; } = 32_000;

    /// <summary>Requests one API key may make per window; anonymous callers are limited per address.</summary>
    public int RateLimitPermits { get; set; } = 120;

    public int RateLimitWindowSeconds { get; set; } = 60;

    /// <summary>Most recent conversation messages sent with a chat turn (the sliding window; see Chat.HistoryPlan).</summary>
    public int HistoryMessages { get; set; } = 20;

    /// <summary>Token budget of the conversation history sent with a chat turn; older messages leave the window first.</summary>
    public int HistoryBudgetTokens { get; set; } = 3000;

    /// <summary>
    /// Once this many messages have left the history window unsummarized (or sooner, when they no longer
    /// fit the token budget), the model folds them with the previous summary into the conversation's
    /// summary, which goes with every turn; until then they stay in the history. 0 turns folding off:
    /// then nothing leaves the history, even over the budget.
    /// </summary>
    public int SummarizeAfterMessages { get; set; } = 6;

    /// <summary>Binds the server section and checks it; bad values fail at start-up, every one named with where it was set.</summary>
    public static ServerOptions Load(Workspace workspace, IEnumerable<KeyValuePair<string, string?>>? overrides = null)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        return ConfigurationLoader.LoadSection(workspace, Section, new ServerOptionsValidator(), overrides);
    }

    /// <summary>Checks options built in code; <paramref name="source"/> prefixes each problem.</summary>
    public void Validate(string source)
    {
        var result = new ServerOptionsValidator().Validate(Options.DefaultName, this);
        if (result.Failed) throw new InvalidSettingsException([.. (result.Failures ?? []).Select(f => $"{source}: {f}")]);
    }
}

/// <summary>The rules of the server section beyond each value's type; every failure at once.</summary>
public sealed class ServerOptionsValidator : IValidateOptions<ServerOptions>
{
    public ValidateOptionsResult Validate(string? name, ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Urls)) problems.Add("server.urls is empty");
        if (options.Certificate is { } certificate && certificate.Trim().Length == 0) problems.Add("server.certificate is empty; remove it to use the development certificate");
        if (options.CertificateKey is not null && string.IsNullOrWhiteSpace(options.Certificate))
            problems.Add("server.certificateKey is set but server.certificate is not; set server.certificate to the PEM certificate the key belongs to");
        if (!IsVariableName(options.CertificatePasswordVariable))
            problems.Add("server.certificatePasswordVariable must name an environment variable (letters, digits and _, such as MINIME_CERTIFICATE_PASSWORD), not hold the password");
        if (options.MaxRequestBytes < 1024) problems.Add("server.maxRequestBytes must be at least 1024");
        if (options.MaxImportBytes < options.MaxRequestBytes) problems.Add("server.maxImportBytes must be at least server.maxRequestBytes");
        if (options.MaxMessageChars < 1) problems.Add("server.maxMessageChars must be positive");
        if (options.RateLimitPermits < 1) problems.Add("server.rateLimitPermits must be positive");
        if (options.RateLimitWindowSeconds < 1) problems.Add("server.rateLimitWindowSeconds must be positive");
        if (options.HistoryMessages < 0) problems.Add("server.historyMessages must not be negative");
        if (options.HistoryBudgetTokens < 0) problems.Add("server.historyBudgetTokens must not be negative");
        if (options.SummarizeAfterMessages < 0) problems.Add("server.summarizeAfterMessages must not be negative");
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    private static bool IsVariableName(string? name) =>
        !string.IsNullOrEmpty(name) && !char.IsAsciiDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}
