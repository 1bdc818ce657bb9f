using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MiniMe.Agents.Json;

/// <summary>The outcome of reading a model's answer as one JSON object.</summary>
/// <param name="Value">The object, or null when it could not be read.</param>
/// <param name="Repairs">What was changed to read it (empty when the text was already valid).</param>
/// <param name="Error">Why it could not be read.</param>
public sealed record JsonReadResult(JsonObject? Value, IReadOnlyList<string> Repairs, string? Error);

/// <summary>
/// Reads a JSON object out of model output, repairing only what is unambiguous: a byte-order mark,
/// Markdown code fences, prose before or after the object, // and /* */ comments, and trailing
/// commas. Everything is done outside string literals. A truncated or otherwise broken object is
/// not guessed at: the caller re-asks the model with the parse error.
/// </summary>
public static class JsonRepair
{
    private static readonly JsonDocumentOptions Strict = new() { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 64 };

    public static JsonReadResult Read(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (TryParse(text, out var direct, out _)) return new JsonReadResult(direct, [], null);

        var repairs = new List<string>();
        var current = text.Trim().TrimStart('\uFEFF');
        if (current.Length != text.Length && current.Length == 0) return new JsonReadResult(null, repairs, "the answer is empty");

        if (StripFence(current) is { } unfenced)
        {
            current = unfenced;
            repairs.Add("stripped a Markdown code fence");
        }

        var start = current.IndexOf('{', StringComparison.Ordinal);
        if (start < 0) return new JsonReadResult(null, repairs, current.Length == 0 ? "the answer is empty" : "the answer contains no JSON object");
        var end = MatchingBrace(current, start);
        if (end < 0) return new JsonReadResult(null, repairs, "the JSON object is not closed (the answer looks truncated)");
        if (start > 0 || end < current.Length - 1)
        {
            current = current[start..(end + 1)];
            repairs.Add("took the JSON object out of the surrounding text");
        }

        var uncommented = RemoveComments(current);
        if (uncommented != current)
        {
            current = uncommented;
            repairs.Add("removed comments");
        }

        var untrailed = RemoveTrailingCommas(current);
        if (untrailed != current)
        {
            current = untrailed;
            repairs.Add("removed trailing commas");
        }

        return TryParse(current, out var repaired, out var error)
            ? new JsonReadResult(repaired, repairs, null)
            : new JsonReadResult(null, repairs, error);
    }

    private static bool TryParse(string text, out JsonObject? value, out string? error)
    {
        value = null;
        try
        {
            var node = JsonNode.Parse(text, documentOptions: Strict);
            if (node is JsonObject obj)
            {
                value = obj;
                error = null;
                return true;
            }
            error = $"expected a JSON object, got {(node is null ? "null" : node.GetValueKind().ToString().ToLowerInvariant())}";
            return false;
        }
        catch (JsonException e)
        {
            error = "invalid JSON: " + e.Message;
            return false;
        }
    }

    /// <summary>The body of the first ``` fenced block that holds a '{', or null.</summary>
    private static string? StripFence(string text)
    {
        var open = text.IndexOf("```", StringComparison.Ordinal);
        while (open >= 0)
        {
            var lineEnd = text.IndexOf('\n', open);
            if (lineEnd < 0) return null;
            var close = text.IndexOf("```", lineEnd, StringComparison.Ordinal);
            var body = close < 0 ? text[(lineEnd + 1)..] : text[(lineEnd + 1)..close];
            if (body.Contains('{', StringComparison.Ordinal)) return body.Trim();
            if (close < 0) return null;
            open = text.IndexOf("```", close + 3, StringComparison.Ordinal);
        }
        return null;
    }

    /// <summary>Index of the '}' closing the object opened at <paramref name="start"/>, string-aware; -1 if none.</summary>
    private static int MatchingBrace(string text, int start)
    {
        var depth = 0;
        var inString = false;
        for (var i = start; i < text.Length; i++)
        {
            var c = text[i];
            if (inString)
            {
                if (c == '\\') i++;
                else if (c == '"') inString = false;
                continue;
            }
            switch (c)
            {
                case '"': inString = true; break;
                case '{' or '[': depth++; break;
                case '}' or ']':
                    depth--;
                    if (depth == 0) return c == '}' ? i : -1;
                    break;
            }
        }
        return -1;
    }

    private static string RemoveComments(string text)
    {
        var sb = new StringBuilder(text.Length);
        var inString = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (inString)
            {
                sb.Append(c);
                if (c == '\\' && i + 1 < text.Length) sb.Append(text[++i]);
                else if (c == '"') inString = false;
                continue;
            }
            if (c == '"') inString = true;
            else if (c == '/' && i + 1 < text.Length && text[i + 1] == '/')
            {
                while (i < text.Length && text[i] != '\n') i++;
                if (i < text.Length) sb.Append('\n');
                continue;
            }
            else if (c == '/' && i + 1 < text.Length && text[i + 1] == '*')
            {
                var close = text.IndexOf("*/", i + 2, StringComparison.Ordinal);
                i = close < 0 ? text.Length : close + 1;
                continue;
            }
            sb.Append(c);
        }
        return sb.ToString();
    }

    private static string RemoveTrailingCommas(string text)
    {
        var sb = new StringBuilder(text.Length);
        var inString = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (inString)
            {
                sb.Append(c);
                if (c == '\\' && i + 1 < text.Length) sb.Append(text[++i]);
                else if (c == '"') inString = false;
                continue;
            }
            if (c == '"') inString = true;
            if (c == ',')
            {
                var j = i + 1;
                while (j < text.Length && char.IsWhiteSpace(text[j])) j++;
                if (j < text.Length && text[j] is '}' or ']') continue;
            }
            sb.Append(c);
        }
        return sb.ToString();
    }
}
