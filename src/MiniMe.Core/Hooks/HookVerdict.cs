using System.Text.Json.Nodes;

namespace MiniMe.Hooks;

/// <summary>A hook's answer to one event.</summary>
public abstract record HookVerdict
{
    public static HookVerdict Allowed { get; } = new Allow();

    public static HookVerdict Denied(string reason) => new Deny(reason);

    /// <summary>Go on as it is.</summary>
    public sealed record Allow : HookVerdict;

    /// <summary>Stop (before_* events): the action is not taken; the reason is shown and traced. After an event a deny is traced only.</summary>
    public sealed record Deny(string Reason) : HookVerdict;

    /// <summary>Go on with the event's payload changed by a JSON merge patch (RFC 7386): an object's members replace, null removes.</summary>
    public sealed record Patch(JsonNode? MergePatch) : HookVerdict;
}
