using MiniMe.Tracing;

namespace MiniMe.Tools.Processes;

/// <summary>
/// The environment a command gets: a short list of harmless variables (locale, home, .NET's own
/// locations) plus the allowlist's extras, never anything whose name or value looks like a secret;
/// PATH is the sanitized search path. Pagers and credential prompts are switched off.
/// </summary>
public static class EnvironmentScrubber
{
    private static readonly string[] Passed =
    [
        "HOME", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "LC_NUMERIC", "LC_TIME", "TZ", "USER", "LOGNAME", "TMPDIR",
        "DOTNET_ROOT", "DOTNET_CLI_HOME", "NUGET_PACKAGES", "DOTNET_CLI_TELEMETRY_OPTOUT", "DOTNET_NOLOGO", "DOTNET_SKIP_FIRST_TIME_EXPERIENCE",
    ];

    private static readonly Dictionary<string, string> Fixed = new(StringComparer.Ordinal)
    {
        ["GIT_TERMINAL_PROMPT"] = "0",
        ["GIT_PAGER"] = "cat",
        ["PAGER"] = "cat",
        ["GIT_CONFIG_NOSYSTEM"] = "1",
    };

    public static Dictionary<string, string> Build(string path, IEnumerable<string> extraNames, Func<string, string?>? source = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        source ??= Environment.GetEnvironmentVariable;
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in Passed.Concat(extraNames ?? []).Distinct(StringComparer.Ordinal))
        {
            if (name == "PATH" || SecretRedactor.IsSecretKey(name)) continue;
            if (source(name) is not { } value) continue;
            if (SecretRedactor.RedactText(value) != value) continue;
            environment[name] = value;
        }
        foreach (var (name, value) in Fixed) environment[name] = value;
        environment["PATH"] = path;
        return environment;
    }
}
