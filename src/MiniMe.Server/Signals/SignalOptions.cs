using Microsoft.Extensions.Options;
using MiniMe.Configuration;

namespace MiniMe.Server.Signals;

/// <summary>The signal section of config.yaml (signal: ...), overridable with MINIME_SIGNAL__*.</summary>
public sealed class SignalOptions
{
    public const string Section = "signal";

    /// <summary>
    /// true: GET /v1/badge.svg answers without an API key, with the workspace owner's badge (the JSON
    /// of GET /v1/signal stays behind the key). false (the default): the badge needs a key like all of /v1.
    /// </summary>
    public bool PublishBadge { get; set; }

    /// <summary>Binds the signal section; a bad value fails with where it was set.</summary>
    public static SignalOptions Load(Workspace workspace, IEnumerable<KeyValuePair<string, string?>>? overrides = null)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        return ConfigurationLoader.LoadSection(workspace, Section, new SignalOptionsValidator(), overrides);
    }
}

/// <summary>Every value of <see cref="SignalOptions"/> is valid once bound (a bool); binding itself refuses what is not one.</summary>
public sealed class SignalOptionsValidator : IValidateOptions<SignalOptions>
{
    public ValidateOptionsResult Validate(string? name, SignalOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return ValidateOptionsResult.Success;
    }
}
