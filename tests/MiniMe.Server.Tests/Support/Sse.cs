using System.Text.Json;

namespace MiniMe.Server.Tests.Support;

/// <summary>Reads server-sent events ("data: {json}" blocks separated by a blank line) as they arrive.</summary>
public sealed class SseReader(Stream stream) : IDisposable
{
    private readonly StreamReader _reader = new(stream);

    /// <summary>The next event's data as JSON, or null at the end of the stream.</summary>
    public async Task<JsonElement?> NextAsync(CancellationToken cancellationToken = default)
    {
        var data = new List<string>();
        while (await _reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Count > 0) return JsonDocument.Parse(string.Join('\n', data)).RootElement.Clone();
                continue;
            }
            if (line.StartsWith("data:", StringComparison.Ordinal)) data.Add(line[5..].TrimStart(' '));
        }
        return data.Count > 0 ? JsonDocument.Parse(string.Join('\n', data)).RootElement.Clone() : null;
    }

    public async Task<List<JsonElement>> RestAsync(CancellationToken cancellationToken = default)
    {
        var events = new List<JsonElement>();
        while (await NextAsync(cancellationToken) is { } e) events.Add(e);
        return events;
    }

    public void Dispose() => _reader.Dispose();
}
