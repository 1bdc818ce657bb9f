using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace MiniMe.Tracing;

/// <summary>
/// Removes secrets before anything is written to a trace, feedback, a log or memory: values of
/// secret-looking keys (api_key, token, password, secret, authorization, connection strings) and,
/// inside any string, the formats of <see cref="SecretRules"/> (gitleaks-style token formats, PEM
/// keys, JWTs, credentials in URLs, keyword = value pairs and high-entropy values after a keyword).
/// Where a keyword precedes the secret only the value is masked, so "password=[REDACTED]" stays
/// readable. Every rule is a linear scan (see <see cref="SecretRules"/>), whatever the input.
/// </summary>
public static class SecretRedactor
{
    public const string Mask = "[REDACTED]";

    /// <summary>gitleaks' generic-api-key threshold (bits per character).</summary>
    internal const double EntropyThreshold = 3.5;

    /// <summary>Bump when <see cref="IsSecretValue"/> changes what it accepts (the rules' patterns are fingerprinted as they are).</summary>
    private const int CheckRevision = 1;

    private static readonly HashSet<string> NotSecrets = new(StringComparer.OrdinalIgnoreCase)
    {
        "true", "false", "yes", "no", "on", "off", "null", "none", "nil", "undefined", "nan",
        "string", "str", "int", "integer", "number", "bool", "boolean", "object", "any", "void", "char", "bytes",
        "required", "optional", "empty", "redacted", "hidden", "masked", "secret", "password", "token",
        "value", "example", "placeholder", "default", "unset", "todo", "see", "env", "environment",
        // Code: "token = await GetAsync()", "password = new Secret()", "key = this.key".
        "await", "async", "function", "lambda", "return", "typeof", "nameof", "static", "const", "final", "readonly",
        "public", "private", "protected", "internal", "this", "self", "yield",
    };

    /// <summary>
    /// Changes whenever the rules change: the importer folds it into each document's hash, so
    /// documents stored under older rules are read and redacted again.
    /// </summary>
    public static string RuleSetVersion { get; } = Fingerprint();

    public static bool IsSecretKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var k = key.Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal).ToLowerInvariant();
        return k.Contains("apikey", StringComparison.Ordinal) || k.Contains("password", StringComparison.Ordinal) ||
               k.Contains("passwd", StringComparison.Ordinal) || k.Contains("passphrase", StringComparison.Ordinal) ||
               k.Contains("secret", StringComparison.Ordinal) || k.EndsWith("token", StringComparison.Ordinal) ||
               k.Contains("credential", StringComparison.Ordinal) || k.Contains("accesskey", StringComparison.Ordinal) ||
               k == "authorization" || k == "proxyauthorization" || k.Contains("connectionstring", StringComparison.Ordinal) ||
               k.Contains("privatekey", StringComparison.Ordinal);
    }

    /// <summary>The text with every secret masked; the same instance when nothing was found.</summary>
    public static string RedactText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0) return text;
        return Apply(text);
    }

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
                    RedactName(obj, name);
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
                return ReferenceEquals(text, s) ? value : JsonValue.Create(text);
            default:
                return node;
        }
    }

    /// <summary>A property whose name itself is a secret is renamed to its redacted form (numbered if that name is taken).</summary>
    private static void RedactName(JsonObject obj, string name)
    {
        var redacted = RedactText(name);
        if (ReferenceEquals(redacted, name)) return;
        var target = redacted;
        for (var n = 2; obj.ContainsKey(target); n++) target = $"{redacted}#{n}";
        var value = obj[name];
        obj.Remove(name);
        obj[target] = value;
    }

    /// <summary>Every rule scans the original text; the spans they find are merged and masked in one copy.</summary>
    private static string Apply(string text)
    {
        List<(int Start, int End)>? spans = null;
        // Every keyword rule needs an assignment ('=' or ':'); most trace strings have neither.
        var assigns = text.AsSpan().IndexOfAny('=', ':') >= 0;
        foreach (var rule in SecretRules.All)
        {
            if (rule.Check != ValueCheck.None && !assigns) continue;
            for (var match = rule.Regex.Match(text); match.Success; match = match.NextMatch())
            {
                var value = match.Groups["v"];
                if (rule.Check != ValueCheck.None && !(value.Success && IsSecretValue(rule, text, value))) continue;
                var (start, length) = value.Success ? (value.Index, value.Length) : (match.Index, match.Length);
                while (length > 0 && char.IsWhiteSpace(text[start + length - 1])) length--;
                (spans ??= []).Add((start, start + length));
            }
        }
        if (spans is null) return text;
        spans.Sort();
        var sb = new StringBuilder(text.Length);
        var copied = 0;
        foreach (var (start, end) in spans)
        {
            if (end <= copied) continue;                       // inside a span already masked
            if (start >= copied) sb.Append(text, copied, start - copied).Append(Mask);
            copied = end;                                      // an overlapping span extends the mask
        }
        return sb.Append(text, copied, text.Length - copied).ToString();
    }

    /// <summary>Whether a value after a keyword is a secret rather than a placeholder, a reference, code or a count.</summary>
    internal static bool IsSecretValue(SecretRule rule, string text, Group value)
    {
        var v = value.Value.Trim();
        if (v.Length < 4 || v.Contains(Mask, StringComparison.Ordinal) || NotSecrets.Contains(v)) return false;
        if (v[0] is '$' or '%' or '<' or '#' || v.StartsWith("{{", StringComparison.Ordinal)) return false;    // ${VAR}, %VAR%, <your-key>, #{x}, {{ .Values.x }}
        if (v.AsSpan().IndexOfAnyExcept(v[0]) < 0) return false;                                                // ********, xxxxxxxx
        if (LooksLikePath(v)) return false;
        var end = value.Index + value.Length;
        var bare = value.Index == 0 || text[value.Index - 1] is not ('"' or '\'' or '`');
        if (bare && (IsMemberAccess(v) || FollowedByCode(text, end) || AfterQuotedKey(text, value.Index))) return false;
        return rule.Check != ValueCheck.Entropy || LooksRandom(v);
    }

    /// <summary>gitleaks' generic-api-key test plus MiniMe's own negatives: content hashes and GUIDs are not keys.</summary>
    internal static bool LooksRandom(string v)
    {
        if (v.Length < 16 || !v.Any(char.IsAsciiDigit) || !v.Any(char.IsAsciiLetter)) return false;
        if (v.All(char.IsAsciiHexDigit) && v.Length is 32 or 40 or 64 or 128) return false;   // MD5 / SHA-1 / SHA-256 / SHA-512 hex
        if (Guid.TryParseExact(v, "D", out _) || RunIdShape(v)) return false;
        return ShannonEntropy(v) >= EntropyThreshold;
    }

    /// <summary>yyyyMMdd-HHmmss-hex, the shape of MiniMe's run ids.</summary>
    private static bool RunIdShape(string v) =>
        v.Length > 16 && v[8] == '-' && v[15] == '-' && v.AsSpan(0, 8).IndexOfAnyExceptInRange('0', '9') < 0 &&
        v.AsSpan(9, 6).IndexOfAnyExceptInRange('0', '9') < 0 && v.AsSpan(16).ContainsAnyExcept(HexDigits) is false;

    private static readonly System.Buffers.SearchValues<char> HexDigits = System.Buffers.SearchValues.Create("0123456789abcdefABCDEF");

    internal static double ShannonEntropy(string s)
    {
        var counts = new Dictionary<char, int>();
        foreach (var c in s) counts[c] = counts.GetValueOrDefault(c) + 1;
        var entropy = 0.0;
        foreach (var count in counts.Values)
        {
            var p = (double)count / s.Length;
            entropy -= p * Math.Log2(p);
        }
        return entropy;
    }

    private static bool LooksLikePath(string v) =>
        (v[0] is '/' or '~' or '.' && v.Contains('/', StringComparison.Ordinal)) ||
        (v.Length > 2 && char.IsAsciiLetter(v[0]) && v[1] == ':' && v[2] is '\\' or '/') ||
        v.Contains("//", StringComparison.Ordinal);

    /// <summary>GetToken(), config["x"], f(password=pw), {password: pw, ...}: a bare word there is code, not a literal.</summary>
    private static bool FollowedByCode(string text, int end) => end < text.Length && text[end] is '(' or '[' or ')' or ',';

    /// <summary>"password": pw — JSON has no bare words, so a quoted key with one is code (a dictionary literal).</summary>
    private static bool AfterQuotedKey(string text, int valueStart)
    {
        var k = valueStart - 1;
        while (k >= 0 && text[k] is ' ' or '\t' or '=' or ':' or '>') k--;
        return k >= 0 && text[k] is '"' or '\'';
    }

    /// <summary>a.b or a.b.c where every part is an identifier: code reading a value, not a literal.</summary>
    private static bool IsMemberAccess(string v)
    {
        if (!v.Contains('.', StringComparison.Ordinal)) return false;
        foreach (var part in v.Split('.'))
            if (part.Length == 0 || !(char.IsAsciiLetter(part[0]) || part[0] == '_') || !part.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
                return false;
        return true;
    }

    private static string Fingerprint()
    {
        var all = SecretRules.All.Select(r => $"{r.Id}\n{r.Regex}\n{r.Check}")
            .Append(EntropyThreshold.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Append(CheckRevision.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Concat(NotSecrets.Order(StringComparer.Ordinal));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", all))))[..16];
    }
}
