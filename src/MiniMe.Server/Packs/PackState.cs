using System.Text.Json;
using System.Text.Json.Serialization;
using MiniMe.Packs;

namespace MiniMe.Server.Packs;

/// <summary>One installed version in packs/state.json: the content hash it was imported with, and when.</summary>
internal sealed class PackVersionState
{
    public string Sha256 { get; set; } = "";

    public DateTimeOffset ImportedAt { get; set; }
}

/// <summary>One pack in packs/state.json: its active version (null: deactivated), the versions active before it (newest last), and what is installed.</summary>
internal sealed class PackEntryState
{
    public string? Active { get; set; }

    public List<string> Previous { get; set; } = [];

    public SortedDictionary<string, PackVersionState> Versions { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// packs/state.json: which versions of which packs are installed and which is active. The store's
/// registry: a version folder it does not list (a leftover of an interrupted import) is ignored.
/// </summary>
internal sealed class PackStateFile
{
    public const int CurrentFormat = 1;

    public int Format { get; set; } = CurrentFormat;

    public SortedDictionary<string, PackEntryState> Packs { get; set; } = new(StringComparer.Ordinal);

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static PackStateFile Read(string path)
    {
        byte[] bytes;
        try
        {
            if (!File.Exists(path)) return new PackStateFile();
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PackStoreException($"Cannot read {path}: {e.Message}", e);
        }
        try
        {
            var state = JsonSerializer.Deserialize<PackStateFile>(bytes, Options) ?? throw new JsonException("null");
            if (state.Format != CurrentFormat) throw new JsonException($"format {state.Format} is not {CurrentFormat}");
            foreach (var (name, entry) in state.Packs)
            {
                if (!PackParser.IsName(name)) throw new JsonException($"'{name}' is not a pack name");
                entry.Previous ??= [];
                entry.Versions ??= new(StringComparer.Ordinal);
                foreach (var version in entry.Versions.Keys.Concat(entry.Previous).Concat(entry.Active is null ? [] : [entry.Active]))
                    if (!PackVersion.TryParse(version, out var parsed) || parsed.ToString() != version)
                        throw new JsonException($"{name}: '{version}' is not a pack version");
                if (entry.Active is { } active && !entry.Versions.ContainsKey(active))
                    throw new JsonException($"{name}: the active version {active} is not installed");
            }
            return state;
        }
        catch (JsonException e)
        {
            throw new PackStoreException($"{path} is damaged ({e.Message}); fix it, or delete it and import your packs again.", e, ErrorCategory.Damaged);
        }
    }

    /// <summary>Writes the state to a temporary file beside it, then renames it over the old one: a reader sees the old state or the new, never half.</summary>
    public void Write(string path)
    {
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                JsonSerializer.Serialize(stream, this, Options);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }
}

/// <summary>The pack store cannot be read or changed (a damaged state.json, an unreadable folder, a lock held too long).</summary>
public sealed class PackStoreException(string message, Exception? inner = null, ErrorCategory category = ErrorCategory.Unavailable)
    : MiniMeException(category, message, inner);

/// <summary>The request conflicts with what is installed (a version re-imported with other content, nothing to roll back to).</summary>
public sealed class PackConflictException(string message) : MiniMeException(ErrorCategory.Conflict, message);
