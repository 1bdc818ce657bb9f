using System.Text.Json;
using MiniMe.Sharing;

namespace MiniMe.Server.Sharing;

/// <summary>A contract as the registry remembers it: what it said when last used, and whether it was revoked.</summary>
public sealed record RegisteredContract(
    string Name,
    string Sha256,
    string Path,
    string Recipient,
    string Purpose,
    int K,
    DateOnly Expires,
    bool Revocable,
    DateTimeOffset FirstUsed,
    DateTimeOffset? RevokedAt = null);

/// <summary>One export made: under which contract (and which version of it), when, to which file, and how much was published and held back.</summary>
public sealed record ShareExportEntry(
    string Contract,
    string ContractSha256,
    DateTimeOffset Created,
    string Out,
    int Groups,
    int SuppressedGroups,
    string ContentSha256);

/// <summary>The registry file: the contracts used and the exports made.</summary>
public sealed record ShareRegistryFile(IReadOnlyList<RegisteredContract> Contracts, IReadOnlyList<ShareExportEntry> Exports)
{
    public static ShareRegistryFile Empty { get; } = new([], []);
}

/// <summary>
/// share/registry.json in a user's space (the workspace itself for the owner): every contract an export used,
/// every export made, and revocations. Written whole to a temporary file then moved over the old one, so a crash
/// leaves either; changes in one process are serialized.
/// </summary>
public sealed class ShareRegistry
{
    public const string FileName = "registry.json";
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static readonly JsonSerializerOptions Json = ApiJson.Apply(new JsonSerializerOptions { WriteIndented = true });

    /// <summary>The registry of the user whose space is <paramref name="root"/>.</summary>
    public static string PathFor(string root) => System.IO.Path.Combine(root, "share", FileName);

    public static ShareRegistryFile Read(string path)
    {
        if (!File.Exists(path)) return ShareRegistryFile.Empty;
        try
        {
            return JsonSerializer.Deserialize<ShareRegistryFile>(File.ReadAllText(path), Json) ?? ShareRegistryFile.Empty;
        }
        catch (JsonException e)
        {
            throw new ShareRegistryException($"The sharing registry {path} is not readable ({e.Message.Split('\n')[0]}); restore it from a snapshot or move it aside (revocations it holds would be lost).", e);
        }
    }

    /// <summary>Reads, changes and writes the registry under one lock.</summary>
    public static async Task<T> UpdateAsync<T>(string path, Func<ShareRegistryFile, (ShareRegistryFile Next, T Result)> change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        await Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var (next, result) = change(Read(path));
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
            var temp = path + ".tmp";
            await File.WriteAllTextAsync(temp, JsonSerializer.Serialize(next, Json), cancellationToken).ConfigureAwait(false);
            File.Move(temp, path, overwrite: true);
            return result;
        }
        finally
        {
            Gate.Release();
        }
    }
}

/// <summary>The registry file is damaged: exports stay refused until it is restored (a revocation might be in it).</summary>
public sealed class ShareRegistryException(string message, Exception? inner = null) : MiniMeException(ErrorCategory.Configuration, message, inner);
