namespace MiniMe.Hooks;

/// <summary>What a program hook does when it fails (cannot start, times out, exits non-zero, answers something that is not a verdict).</summary>
public enum HookErrorPolicy
{
    Deny,
    Allow,
}

/// <summary>
/// One program hook: config.yaml <c>hooks:</c> rows, and the same record in a workflow manifest
/// (<see cref="HookDispatcher"/> is built from a list of them). The program gets the event as JSON on
/// stdin and answers one JSON verdict on stdout (docs/hooks.md).
/// </summary>
public sealed class HookOptions
{
    /// <summary>The event it is told about: one of <see cref="HookEvents.All"/>.</summary>
    public string Event { get; set; } = "";

    /// <summary>The argument vector (no shell): the program (a path, or a name looked up on PATH) and its arguments.</summary>
    public List<string> Program { get; set; } = [];

    /// <summary>Only events that match (for tool events: the tool's name); null: every event of its kind.</summary>
    public HookMatch? Match { get; set; }

    /// <summary>How long the program may run before it is killed and <see cref="OnError"/> applies.</summary>
    public int TimeoutSeconds { get; set; } = 10;

    /// <summary>deny or allow when the program fails; unset: deny for before_* events, allow for after_* events.</summary>
    public HookErrorPolicy? OnError { get; set; }

    /// <summary>The policy that applies: <see cref="OnError"/>, or deny before and allow after.</summary>
    public HookErrorPolicy EffectiveOnError => OnError ?? (HookEvents.IsBefore(Event) ? HookErrorPolicy.Deny : HookErrorPolicy.Allow);

    /// <summary>The name the trace and the user see: the program and its arguments.</summary>
    public string DisplayName => Program.Count == 0 ? "(no program)" : string.Join(' ', Program);
}

/// <summary>Which events of its kind a hook is told about.</summary>
public sealed class HookMatch
{
    /// <summary>The tool's name (write_file, run_command, ...): only that tool's before_tool/after_tool events.</summary>
    public string? Tool { get; set; }
}
