namespace MiniMe.Testing;

/// <summary>Valid answers for the reflection panel's perspectives and synthesis, and which of them a system prompt addresses.</summary>
public static class ReflectionReplies
{
    public const string Synthesis = """{"summary":"The panel is split on the plan.","agreements":["The goal is worth pursuing."],"open_concerns":["skeptic: the evidence is thin."]}""";

    /// <summary>"engineer", "skeptic", ... or "synthesis" for the panel's prompts; null for any other prompt.</summary>
    public static string? PerspectiveOf(string systemText)
    {
        if (systemText.Contains("You are the Synthesis of MiniMe's reflection panel", StringComparison.Ordinal)) return "synthesis";
        const string marker = "You are the ";
        var at = systemText.IndexOf(marker, StringComparison.Ordinal);
        if (at < 0 || !systemText.Contains(" on MiniMe's reflection panel", StringComparison.Ordinal)) return null;
        var start = at + marker.Length;
        var end = systemText.IndexOf(' ', start);
        return systemText[start..end].ToLowerInvariant();
    }

    public static string Verdict(string stance, double confidence, string assessment = "It holds up.", params string[] concerns) =>
        System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["assessment"] = assessment,
            ["stance"] = stance,
            ["concerns"] = concerns,
            ["confidence"] = confidence,
        });

    /// <summary>A responder: each perspective's verdict from <paramref name="verdicts"/> (by name), the synthesis for the synthesis agent.</summary>
    public static ScriptedReply For(string? perspective, IReadOnlyDictionary<string, string> verdicts) => ScriptedReply.Text(
        perspective == "synthesis" ? Synthesis
        : perspective is not null && verdicts.TryGetValue(perspective, out var verdict) ? verdict
        : "I am not on this panel.");
}
