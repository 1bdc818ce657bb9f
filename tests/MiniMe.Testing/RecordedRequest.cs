using System.Text.Json.Nodes;

namespace MiniMe.Testing;

/// <summary>A request the loopback server received, for assertions.</summary>
public sealed record RecordedRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, JsonObject? Body)
{
    public bool Streaming => Body?["stream"] is JsonValue v && v.TryGetValue<bool>(out var s) && s;

    /// <summary>The messages' contents joined, for matching on prompts.</summary>
    public string MessagesText =>
        Body?["messages"] is JsonArray messages
            ? string.Join("\n", messages.Select(m => m?["content"] switch
            {
                JsonValue v when v.TryGetValue<string>(out var s) => s,
                JsonArray parts => string.Join("", parts.Select(p => p?["text"]?.GetValue<string>() ?? "")),
                _ => "",
            }))
            : "";

    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;
}
