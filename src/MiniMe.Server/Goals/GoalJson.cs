using System.Text.Json;
using System.Text.Json.Serialization;

namespace MiniMe.Server.Goals;

/// <summary>Goals as JSON the way the API writes them (snake_case, nulls left out), for `minime goals ... --json`.</summary>
public static class GoalJson
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);
}
