using System.Text.Encodings.Web;
using System.Text.Json;

namespace MiniMe.Tracing;

/// <summary>Serializer settings for files people read: no escaping of '+', '`', quotes or non-ASCII text.</summary>
public static class JsonFormats
{
    public static JsonSerializerOptions Line { get; } = new() { WriteIndented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static JsonSerializerOptions Indented { get; } = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
