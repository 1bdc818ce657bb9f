using System.Text.Json.Nodes;
using MiniMe.Tracing;

namespace MiniMe.Replay;

/// <summary>What changed between a recorded request and the replay's (both canonical, redacted): a few short lines.</summary>
public static class RequestDiff
{
    /// <summary>Characters of context shown around the first differing character of a message.</summary>
    private const int Window = 40;

    private const int MaxLines = 6;

    public static IReadOnlyList<string> Describe(JsonObject recorded, JsonObject actual)
    {
        ArgumentNullException.ThrowIfNull(recorded);
        ArgumentNullException.ThrowIfNull(actual);
        var lines = new List<string>();
        foreach (var key in recorded.Select(p => p.Key).Union(actual.Select(p => p.Key)).Where(k => k != "messages"))
        {
            var (was, now) = (recorded[key], actual[key]);
            if (JsonNode.DeepEquals(was, now)) continue;
            lines.Add(key == "tools" ? Tools(was, now) : $"{key}: {Short(was)} -> {Short(now)}");
        }
        var before = recorded["messages"] as JsonArray ?? [];
        var after = actual["messages"] as JsonArray ?? [];
        if (before.Count != after.Count) lines.Add($"messages: {before.Count} -> {after.Count}");
        for (var i = 0; i < Math.Min(before.Count, after.Count) && lines.Count < MaxLines; i++)
        {
            if (JsonNode.DeepEquals(before[i], after[i])) continue;
            var (roleWas, roleNow) = (before[i]?["role"]?.ToString(), after[i]?["role"]?.ToString());
            if (roleWas != roleNow)
            {
                lines.Add($"message {i}: role {roleWas} -> {roleNow}");
                continue;
            }
            lines.Add($"message {i} ({roleNow}): " + TextDiff(Text(before[i]), Text(after[i])));
        }
        if (lines.Count == 0) lines.Add("the request differs only in content the recording does not show (redacted secrets)");
        return lines.Count > MaxLines ? [.. lines.Take(MaxLines), $"… and {lines.Count - MaxLines} more"] : lines;
    }

    private static string Tools(JsonNode? was, JsonNode? now)
    {
        static HashSet<string> Names(JsonNode? tools) => [.. (tools as JsonArray ?? []).Select(t => t?["name"]?.ToString() ?? "")];
        var (a, b) = (Names(was), Names(now));
        var added = b.Except(a).Order(StringComparer.Ordinal).ToList();
        var removed = a.Except(b).Order(StringComparer.Ordinal).ToList();
        return added.Count + removed.Count == 0
            ? "tools: a tool's description or schema changed"
            : "tools:" + (added.Count > 0 ? " added " + string.Join(", ", added) : "") + (removed.Count > 0 ? " removed " + string.Join(", ", removed) : "");
    }

    private static string Text(JsonNode? message) => (message?["contents"] as JsonArray ?? []).Select(c => c is JsonObject o && o["text"] is JsonValue t
        ? t.ToString()
        : c?.ToJsonString(JsonFormats.Line) ?? "").Aggregate("", (all, next) => all.Length == 0 ? next : all + "\n" + next);

    /// <summary>The first differing character with a little context either side: «was» -> «now».</summary>
    public static string TextDiff(string was, string now)
    {
        ArgumentNullException.ThrowIfNull(was);
        ArgumentNullException.ThrowIfNull(now);
        var at = 0;
        while (at < was.Length && at < now.Length && was[at] == now[at]) at++;
        var tail = 0;
        while (tail < was.Length - at && tail < now.Length - at && was[^(tail + 1)] == now[^(tail + 1)]) tail++;
        var start = Math.Max(0, at - Window);
        string Part(string s) => (start > 0 ? "…" : "") + Flat(s[start..Math.Min(s.Length, Math.Max(at, s.Length - tail) + Window / 2)])
            + (Math.Max(at, s.Length - tail) + Window / 2 < s.Length ? "…" : "");
        return $"at char {at}: «{Part(was)}» -> «{Part(now)}»";
    }

    private static string Flat(string s) => s.Replace("\r", "", StringComparison.Ordinal).Replace('\n', '⏎');

    private static string Short(JsonNode? node)
    {
        var text = node?.ToJsonString(JsonFormats.Line) ?? "(none)";
        return text.Length <= 80 ? text : text[..80] + "…";
    }
}
