using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace MiniMe.Tracing;

/// <summary>
/// Removes secrets before anything is written to a trace or log: values of secret-looking keys
/// (api_key, token, password, secret, authorization, connection strings) and well-known key formats
/// inside any string.
/// </summary>
public static partial class SecretRedactor
{
    public const string Mask = "[REDACTED]";

    public static bool IsSecretKey(string key)
    {
        var k = key.Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal).ToLowerInvariant();
        return k.Contains("apikey", StringComparison.Ordinal) || k.Contains("password", StringComparison.Ordinal) ||
               k.Contains("secret", StringComparison.Ordinal) || k.EndsWith("token", StringComparison.Ordinal) ||
               k == "authorization" || k.Contains("connectionstring", StringComparison.Ordinal) || k.Contains("privatekey", StringComparison.Ordinal);
    }

    public static string RedactText(string text) => KeyPattern().Replace(text, Mask);

    /// <summary>Redacts a JSON tree in place and returns it (a string value may come back as a new node).</summary>
    public static JsonNode? Redact(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var name in obj.Select(p => p.Key).ToList())
                {
                    var child = obj[name];
                    if (IsSecretKey(name) && child is JsonValue) obj[name] = Mask;
                    else if (Redact(child) is var redacted && !ReferenceEquals(redacted, child)) obj[name] = redacted;
                }
                return obj;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    var child = array[i];
                    if (Redact(child) is var redacted && !ReferenceEquals(redacted, child)) array[i] = redacted;
                }
                return array;
            case JsonValue value when value.TryGetValue<string>(out var s):
                var text = RedactText(s);
                return text == s ? value : JsonValue.Create(text);
            default:
                return node;
        }
    }

    // OpenAI/Anthropic-style keys, GitHub tokens, AWS access keys, bearer tokens, PEM private keys.
    [GeneratedRegex(@"(sk-(ant-)?[A-Za-z0-9_\-]{16,}|gh[pousr]_[A-Za-z0-9]{20,}|AKIA[0-9A-Z]{16}|(?i:bearer)\s+[A-Za-z0-9._\-]{16,}|-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----)")]
    private static partial Regex KeyPattern();
}
