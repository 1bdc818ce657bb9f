using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
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
/// API keys in the server database (<see cref="ServerDatabase"/>). A key is "mm_" + 32 random bytes
/// (base64url); only its SHA-256 is kept, so a copy of the database does not give access. Each key
/// belongs to one user; the user's data is what the key can reach. Names of active keys are unique by
/// a partial unique index, so that holds for every server and CLI over one database, and a revoked
/// key stops working on the next request whichever server gets it.
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
        var info = new ApiKeyInfo(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)), name, userId, ServerDatabase.Now(_time), null);
        using var connection = database.OpenForWrite();
        using var command = connection.Command("INSERT INTO api_keys (id, name, user_id, key_hash, created_at) VALUES (@id, @name, @user, @hash, @created)")
            .With("@id", info.Id)
            .With("@name", name)
            .With("@user", userId)
            .With("@hash", Hash(secret))
            .With("@created", database.Timestamp(info.CreatedAt));
        try
        {
            command.ExecuteNonQuery();
        }
        catch (DbException e) when (database.IsUniqueViolation(e)) // an active key has this name
        {
            throw new InvalidInputException($"An active key named '{name}' exists; pick another name or revoke it first (`minime keys revoke {name}`).");
        }
        return new CreatedApiKey(info, secret);
    }

    public IReadOnlyList<ApiKeyInfo> List(bool includeRevoked)
    {
        using var connection = database.Open();
        using var command = connection.Command("SELECT id, name, user_id, created_at, revoked_at FROM api_keys" +
                                               (includeRevoked ? "" : " WHERE revoked_at IS NULL") + " ORDER BY created_at, id");
        using var reader = command.ExecuteReader();
        var keys = new List<ApiKeyInfo>();
        while (reader.Read()) keys.Add(Read(reader));
        return keys;
    }

    /// <summary>Revokes the active key with this id or name; it stops working on the next request.</summary>
    public ApiKeyInfo Revoke(string idOrName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(idOrName);
        NotFoundException Missing() => new($"No active key with id or name '{idOrName}'; `minime keys list` shows them.");
        var key = List(includeRevoked: false).FirstOrDefault(k => k.Id == idOrName || k.Name == idOrName) ?? throw Missing();
        var revokedAt = ServerDatabase.Now(_time);
        using var connection = database.OpenForWrite();
        using var command = connection.Command("UPDATE api_keys SET revoked_at = @at WHERE id = @id AND revoked_at IS NULL")
            .With("@at", database.Timestamp(revokedAt))
            .With("@id", key.Id);
        // Zero rows: another server or CLI revoked it in the meantime.
        if (command.ExecuteNonQuery() == 0) throw Missing();
        return key with { RevokedAt = revokedAt };
    }

    /// <summary>The active key this secret belongs to, or null.</summary>
    public ApiKeyInfo? Authenticate(string secret)
    {
        if (string.IsNullOrEmpty(secret) || !secret.StartsWith(Prefix, StringComparison.Ordinal) || secret.Length > 128) return null;
        using var connection = database.Open();
        using var command = connection.Command("SELECT id, name, user_id, created_at, revoked_at FROM api_keys WHERE key_hash = @hash AND revoked_at IS NULL")
            .With("@hash", Hash(secret));
        using var reader = command.ExecuteReader();
        return reader.Read() ? Read(reader) : null;
    }

    internal static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private ApiKeyInfo Read(DbDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.GetString(2),
        database.ReadTimestamp(reader, 3),
        database.ReadTimestampOrNull(reader, 4));
}
