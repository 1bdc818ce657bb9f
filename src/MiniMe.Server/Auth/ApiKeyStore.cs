using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using MiniMe.Server.Storage;
using MiniMe.Hosting.Users;

namespace MiniMe.Server.Auth;

/// <summary>An API key as stored: never the secret itself, only its SHA-256.</summary>
public sealed record ApiKeyInfo(string Id, string Name, string UserId, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt)
{
    public bool Active => RevokedAt is null;
}

/// <summary>A new key: <paramref name="Secret"/> is shown once and cannot be recovered.</summary>
public sealed record CreatedApiKey(ApiKeyInfo Info, string Secret);

/// <summary>
/// API keys in server.db. A key is "mm_" + 32 random bytes (base64url); only its SHA-256 is kept, so a
/// copy of the database does not give access. Each key belongs to one user; the user's data is what
/// the key can reach.
/// </summary>
public sealed class ApiKeyStore(ServerDatabase database, TimeProvider? time = null)
{
    public const string Prefix = "mm_";

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public CreatedApiKey Create(string name, string userId)
    {
        UserIds.Require(name, "Key name");
        UserIds.Require(userId, "User");
        var secret = Prefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        var info = new ApiKeyInfo(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)), name, userId, _time.GetUtcNow(), null);
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO api_keys (id, name, user_id, key_hash, created_at) VALUES ($id, $name, $user, $hash, $created)";
        command.Parameters.AddWithValue("$id", info.Id);
        command.Parameters.AddWithValue("$name", name);
        command.Parameters.AddWithValue("$user", userId);
        command.Parameters.AddWithValue("$hash", Hash(secret));
        command.Parameters.AddWithValue("$created", ServerDatabase.Timestamp(info.CreatedAt));
        try
        {
            command.ExecuteNonQuery();
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19) // constraint: an active key has this name
        {
            throw new InvalidInputException($"An active key named '{name}' exists; pick another name or revoke it first (`minime keys revoke {name}`).");
        }
        return new CreatedApiKey(info, secret);
    }

    public IReadOnlyList<ApiKeyInfo> List(bool includeRevoked)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, name, user_id, created_at, revoked_at FROM api_keys" +
                              (includeRevoked ? "" : " WHERE revoked_at IS NULL") + " ORDER BY created_at, id";
        using var reader = command.ExecuteReader();
        var keys = new List<ApiKeyInfo>();
        while (reader.Read()) keys.Add(Read(reader));
        return keys;
    }

    /// <summary>Revokes the active key with this id or name; it stops working on the next request.</summary>
    public ApiKeyInfo Revoke(string idOrName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(idOrName);
        var key = List(includeRevoked: false).FirstOrDefault(k => k.Id == idOrName || k.Name == idOrName)
            ?? throw new NotFoundException($"No active key with id or name '{idOrName}'; `minime keys list` shows them.");
        var revokedAt = _time.GetUtcNow();
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE api_keys SET revoked_at = $at WHERE id = $id AND revoked_at IS NULL";
        command.Parameters.AddWithValue("$at", ServerDatabase.Timestamp(revokedAt));
        command.Parameters.AddWithValue("$id", key.Id);
        command.ExecuteNonQuery();
        return key with { RevokedAt = revokedAt };
    }

    /// <summary>The active key this secret belongs to, or null.</summary>
    public ApiKeyInfo? Authenticate(string secret)
    {
        if (string.IsNullOrEmpty(secret) || !secret.StartsWith(Prefix, StringComparison.Ordinal) || secret.Length > 128) return null;
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, name, user_id, created_at, revoked_at FROM api_keys WHERE key_hash = $hash AND revoked_at IS NULL";
        command.Parameters.AddWithValue("$hash", Hash(secret));
        using var reader = command.ExecuteReader();
        return reader.Read() ? Read(reader) : null;
    }

    internal static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static ApiKeyInfo Read(SqliteDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.GetString(2),
        ServerDatabase.ParseTimestamp(reader.GetString(3)),
        reader.IsDBNull(4) ? null : ServerDatabase.ParseTimestamp(reader.GetString(4)));
}
