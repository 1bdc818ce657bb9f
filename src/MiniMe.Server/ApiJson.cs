using System.Text.Json;
using System.Text.Json.Serialization;

namespace MiniMe.Server;

/// <summary>
/// The API's JSON: snake_case names, nulls left out, enums as snake_case strings. `minime serve`
/// writes every response with these settings and CLI commands that print an API object (`minime chat --json`)
/// use the same, so both faces print one shape.
/// </summary>
public static class ApiJson
{
    /// <summary>Indented, for the CLI.</summary>
    public static JsonSerializerOptions Options { get; } = Apply(new JsonSerializerOptions { WriteIndented = true });

    /// <summary>Applies the API's settings to <paramref name="options"/> (the server's JsonOptions).</summary>
    public static JsonSerializerOptions Apply(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.DictionaryKeyPolicy = null;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        return options;
    }
}
