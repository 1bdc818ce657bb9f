namespace MiniMe.Hooks;

/// <summary>A hook denied a before_run or before_agent_call event: the run (or the model call) does not go on.</summary>
public sealed class HookVetoedException(string eventName, string hook, string reason)
    : MiniMeException(ErrorCategory.Refused, $"vetoed by hook {hook} ({eventName}): {reason}")
{
    public string Event { get; } = eventName;
    public string Hook { get; } = hook;
    public string Reason { get; } = reason;
}
