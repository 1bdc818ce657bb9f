using System.Text.Json.Nodes;

namespace MiniMe.Hooks;

/// <summary>
/// One thing that happens in a run, as hooks see it: the event's name, the run, and the payload
/// (what a patch can change; fields per event in docs/hooks.md).
/// </summary>
public sealed record HookEvent(string Name, string? RunId, JsonObject Payload)
{
    /// <summary>The tool the event is about (before_tool/after_tool), read from the payload.</summary>
    public string? Tool => Payload["tool"]?.GetValueKind() == System.Text.Json.JsonValueKind.String ? (string?)Payload["tool"] : null;

    /// <summary>The JSON a program hook gets on stdin: {"event": ..., "run_id": ..., ...payload}.</summary>
    public JsonObject ToJson()
    {
        var json = new JsonObject { ["event"] = Name, ["run_id"] = RunId };
        foreach (var (key, value) in Payload) json[key] = value?.DeepClone();
        return json;
    }
}
