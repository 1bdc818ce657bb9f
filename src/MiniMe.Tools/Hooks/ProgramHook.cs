using System.Text.Json;
using System.Text.Json.Nodes;
using MiniMe.Hooks;
using MiniMe.Tools.Processes;
using MiniMe.Tracing;

namespace MiniMe.Tools.Hooks;

/// <summary>
/// A program hook (config.yaml <c>hooks:</c> or a manifest's): run like run_command runs a command, with
/// an argument vector (no shell), in the workspace's sandbox, in the tools root, with the scrubbed
/// environment and a timeout. It gets the event as one JSON object on stdin and answers one JSON object on
/// stdout: <c>{"decision":"allow"}</c>, <c>{"decision":"deny","reason":"..."}</c> or
/// <c>{"decision":"patch","patch":{...}}</c> (a JSON merge patch of the event's payload). When it cannot be
/// started, times out, exits non-zero or answers anything else, its onError policy decides, and the
/// verdict's reason says what went wrong. In a workspace that is not trusted it is not started at all
/// (onError decides, with that reason).
/// </summary>
public sealed class ProgramHook(HookOptions options, ProcessRunner runner, ProgramResolver programs, IReadOnlyDictionary<string, string> environment,
    string workingDirectory, string? untrusted = null) : IRunHook
{
    /// <summary>Most of a hook's stdout that is read; a verdict is small.</summary>
    public const int MaxOutputBytes = 64 * 1024;

    public HookOptions Options { get; } = options;

    public string Name => Options.DisplayName;

    public bool Handles(HookEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (!string.Equals(e.Name, Options.Event, StringComparison.Ordinal)) return false;
        return Options.Match?.Tool is not { Length: > 0 } tool || string.Equals(tool, e.Tool, StringComparison.Ordinal);
    }

    public async ValueTask<HookVerdict> OnEventAsync(HookEvent e, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (untrusted is not null) return Failed($"not run: {untrusted}");
        if (Options.Program.Count == 0) return Failed("no program");
        var program = programs.Resolve(Options.Program[0]);
        if (program is null) return Failed($"program '{Options.Program[0]}' was not found (not on PATH, or not executable)");
        var spec = new CommandSpec(program, [.. Options.Program.Skip(1)], workingDirectory, environment,
            TimeSpan.FromSeconds(Math.Max(1, Options.TimeoutSeconds)), MaxOutputBytes, e.ToJson().ToJsonString());
        CommandResult result;
        try
        {
            result = await runner.RunAsync(spec, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return Failed($"could not start: {ex.Message}");
        }
        if (result.TimedOut) return Failed($"timed out after {Options.TimeoutSeconds} s");
        if (result.ExitCode != 0) return Failed($"exited with {result.ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "a signal"}{Excerpt(result.Stderr.Text)}");
        return Parse(result.Stdout.Text) ?? Failed($"answered something that is not a verdict{Excerpt(result.Stdout.Text)}; expected one JSON object like {{\"decision\":\"allow\"}}");
    }

    /// <summary>The verdict in <paramref name="stdout"/>, or null when it is not one.</summary>
    public static HookVerdict? Parse(string stdout)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        JsonNode? node;
        try { node = JsonNode.Parse(stdout.Trim()); }
        catch (JsonException) { return null; }
        if (node is not JsonObject answer || answer["decision"] is not JsonValue decision || decision.GetValueKind() != JsonValueKind.String) return null;
        var reason = answer["reason"] is JsonValue r && r.GetValueKind() == JsonValueKind.String ? (string?)r : null;
        return ((string)decision!).ToLowerInvariant() switch
        {
            "allow" => HookVerdict.Allowed,
            "deny" => HookVerdict.Denied(reason ?? "no reason given"),
            "patch" when answer["patch"] is JsonObject patch => new HookVerdict.Patch(patch.DeepClone()),
            _ => null,
        };
    }

    private HookVerdict Failed(string problem)
    {
        var policy = Options.EffectiveOnError;
        var text = $"hook failed: {SecretRedactor.RedactText(problem)} (onError: {(policy == HookErrorPolicy.Deny ? "deny" : "allow")})";
        return policy == HookErrorPolicy.Deny ? HookVerdict.Denied(text) : new HookVerdictNote(text);
    }

    private static string Excerpt(string text)
    {
        var line = text.Trim().ReplaceLineEndings(" ");
        if (line.Length == 0) return "";
        return $": {(line.Length > 200 ? line[..200] + "…" : line)}";
    }
}
