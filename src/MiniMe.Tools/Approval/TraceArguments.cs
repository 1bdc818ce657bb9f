using System.Text.Json.Nodes;
using MiniMe.Tracing;

namespace MiniMe.Tools.Approval;

/// <summary>
/// Tool arguments as written to a trace: secret-looking options in argument vectors masked
/// (--token=..., --password VALUE), long strings shortened; the trace store then redacts secret keys
/// and well-known key formats.
/// </summary>
public static class TraceArguments
{
    public const int MaxStringChars = 2000;

    public static JsonObject Prepare(JsonObject arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var copy = (JsonObject)arguments.DeepClone();
        foreach (var name in copy.Select(p => p.Key).ToList())
        {
            if (copy[name] is JsonArray array && array.All(i => i is JsonValue v && v.TryGetValue<string>(out _)))
                copy[name] = new JsonArray([.. RedactArgv(array.Select(i => i!.GetValue<string>()).ToList()).Select(a => (JsonNode?)Clip(a))]);
            else if (copy[name] is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > MaxStringChars)
                copy[name] = Clip(text);
        }
        return copy;
    }

    /// <summary>Masks the values of secret-looking options: "--api-key=abc" and "--api-key abc" become "--api-key=[REDACTED]" / "--api-key [REDACTED]".</summary>
    public static IReadOnlyList<string> RedactArgv(IReadOnlyList<string> argv)
    {
        ArgumentNullException.ThrowIfNull(argv);
        var result = new List<string>(argv.Count);
        for (var i = 0; i < argv.Count; i++)
        {
            var argument = argv[i];
            if (argument.StartsWith('-'))
            {
                var equals = argument.IndexOf('=', StringComparison.Ordinal);
                var name = (equals > 0 ? argument[..equals] : argument).TrimStart('-');
                if (name.Length > 0 && SecretRedactor.IsSecretKey(name))
                {
                    if (equals > 0) { result.Add(argument[..(equals + 1)] + SecretRedactor.Mask); continue; }
                    result.Add(argument);
                    if (i + 1 < argv.Count) { result.Add(SecretRedactor.Mask); i++; }
                    continue;
                }
            }
            result.Add(argument);
        }
        return result;
    }

    private static string Clip(string text) => text.Length <= MaxStringChars ? text : text[..MaxStringChars] + $"…({text.Length} chars)";
}
