namespace MiniMe.Hooks;

/// <summary>The events hooks are told about, by name (config.yaml hooks[].event, the event JSON's "event").</summary>
public static class HookEvents
{
    public const string BeforeRun = "before_run";
    public const string AfterRun = "after_run";
    public const string BeforeNode = "before_node";
    public const string AfterNode = "after_node";
    public const string BeforeAgentCall = "before_agent_call";
    public const string AfterAgentCall = "after_agent_call";
    public const string BeforeTool = "before_tool";
    public const string AfterTool = "after_tool";

    /// <summary>Every event, in the order a run meets them.</summary>
    public static IReadOnlyList<string> All { get; } =
        [BeforeRun, AfterRun, BeforeNode, AfterNode, BeforeAgentCall, AfterAgentCall, BeforeTool, AfterTool];

    public static bool IsKnown(string name) => All.Contains(name, StringComparer.Ordinal);

    /// <summary>True for the before_* events: a deny stops what was about to happen.</summary>
    public static bool IsBefore(string name) => name.StartsWith("before_", StringComparison.Ordinal);
}
