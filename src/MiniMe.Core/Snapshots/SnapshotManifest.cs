using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MiniMe.Tracing;

namespace MiniMe.Snapshots;

/// <summary>One file of a snapshot; <paramref name="Path"/> is relative to the snapshot folder, '/'-separated.</summary>
public sealed record SnapshotFile(string Path, long Bytes, string Sha256);

/// <summary>manifest.json of a snapshot: what it holds, with sizes and SHA-256 checksums to verify it.</summary>
public sealed record SnapshotManifest(
    string Name,
    string Kind,
    DateTimeOffset CreatedAt,
    int SchemaVersion,
    IReadOnlyDictionary<string, long> Counts,
    IReadOnlyList<SnapshotFile> Files)
{
    public const int Format = 1;
    public const string FileName = "manifest.json";

    public long TotalBytes => Files.Sum(f => f.Bytes);

    public string ToJson()
    {
        var counts = new JsonObject();
        foreach (var (table, count) in Counts.OrderBy(c => c.Key, StringComparer.Ordinal)) counts[table] = count;
        return new JsonObject
        {
            ["format"] = Format,
            ["name"] = Name,
            ["kind"] = Kind,
            ["created_at"] = CreatedAt.ToString("O", CultureInfo.InvariantCulture),
            ["schema_version"] = SchemaVersion,
            ["total_bytes"] = TotalBytes,
            ["counts"] = counts,
            ["files"] = new JsonArray([.. Files.Select(f => (JsonNode?)new JsonObject
            {
                ["path"] = f.Path,
                ["bytes"] = f.Bytes,
                ["sha256"] = f.Sha256,
            })]),
        }.ToJsonString(JsonFormats.Indented);
    }

    /// <summary>Reads a manifest, refusing anything malformed with a one-line message.</summary>
    public static SnapshotManifest Parse(string json, string where)
    {
        try
        {
            var root = JsonNode.Parse(json)?.AsObject() ?? throw new FormatException("empty");
            var format = root["format"]?.GetValue<int>() ?? throw new FormatException("no format");
            if (format != Format) throw new FormatException($"format {format} is not supported (expected {Format})");
            var counts = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var (table, count) in root["counts"]?.AsObject() ?? [])
                counts[table] = count?.GetValue<long>() ?? 0;
            var files = new List<SnapshotFile>();
            foreach (var node in root["files"]?.AsArray() ?? throw new FormatException("no files"))
            {
                var file = node?.AsObject() ?? throw new FormatException("a file entry is null");
                files.Add(new SnapshotFile(
                    file["path"]?.GetValue<string>() ?? throw new FormatException("a file has no path"),
                    file["bytes"]?.GetValue<long>() ?? throw new FormatException("a file has no size"),
                    file["sha256"]?.GetValue<string>() ?? throw new FormatException("a file has no sha256")));
            }
            return new SnapshotManifest(
                root["name"]?.GetValue<string>() ?? throw new FormatException("no name"),
                root["kind"]?.GetValue<string>() ?? "manual",
                DateTimeOffset.Parse(root["created_at"]?.GetValue<string>() ?? throw new FormatException("no created_at"), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
                root["schema_version"]?.GetValue<int>() ?? 0,
                counts,
                files);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            throw new SnapshotException($"{where} is not a valid snapshot manifest ({e.Message}).", e);
        }
    }
}

/// <summary>A snapshot is missing, damaged or cannot be written. The message is one actionable line.</summary>
public sealed class SnapshotException(string message, Exception? inner = null) : MiniMeException(ErrorCategory.Damaged, message, inner);
