using System.Globalization;
using Npgsql;

namespace MiniMe.Storage.Postgres;

/// <summary>
/// How every MiniMe schema in PostgreSQL is migrated: under a transaction-scoped advisory lock (so
/// processes starting together migrate once), each missing version's statements are applied and
/// recorded in the schema's schema_version, all in one transaction; a database newer than this
/// MiniMe is refused. The memory's tables (<see cref="PostgresSchema"/>) and the server's use it.
/// </summary>
/// <param name="LockKey">The advisory lock of this schema's changes.</param>
/// <param name="Schema">Created under the lock and made the search path when set; null uses the connection's own.</param>
/// <param name="Versions">Version N's statements at index N - 1.</param>
/// <param name="Subject">Starts the refusal of a newer database, e.g. "the PostgreSQL memory has".</param>
internal sealed record VersionedSchema(long LockKey, string? Schema, IReadOnlyList<string[]> Versions, string Subject)
{
    public int CurrentVersion => Versions.Count;

    /// <param name="upTo">Stops at this version (tests build an older database with it); null migrates to <see cref="CurrentVersion"/>.</param>
    /// <param name="upgraded">Runs in the same transaction after versions were applied, with the version found and the version reached.</param>
    public async Task ApplyAsync(NpgsqlConnection connection, CancellationToken cancellationToken, int? upTo = null,
        Func<NpgsqlTransaction, int, int, Task>? upgraded = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var target = upTo ?? CurrentVersion;
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync($"SELECT pg_advisory_xact_lock({LockKey.ToString(CultureInfo.InvariantCulture)})").ConfigureAwait(false);
        var table = "schema_version";
        if (Schema is { } schema)
        {
            // Under the lock, so two processes starting together do not race to create it.
            await ExecuteAsync($"CREATE SCHEMA IF NOT EXISTS {schema}").ConfigureAwait(false);
            await ExecuteAsync($"SET LOCAL search_path TO {schema}").ConfigureAwait(false);
            table = $"{schema}.schema_version";
        }
        await ExecuteAsync($"CREATE TABLE IF NOT EXISTS {table} (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())").ConfigureAwait(false);
        int version;
        await using (var read = new NpgsqlCommand($"SELECT coalesce(max(version), 0) FROM {table}", connection, transaction))
            version = Convert.ToInt32(await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
        if (version > CurrentVersion)
            throw new PostgresUnavailableException($"{Subject} schema version {version}, newer than this MiniMe ({CurrentVersion}); upgrade MiniMe");
        for (var v = version + 1; v <= target; v++)
        {
            foreach (var statement in Versions[v - 1])
                await ExecuteAsync(statement).ConfigureAwait(false);
            await using var record = new NpgsqlCommand($"INSERT INTO {table} (version) VALUES ($1)", connection, transaction);
            record.Parameters.AddWithValue(v);
            await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        if (upgraded is not null && version < target)
            await upgraded(transaction, version, target).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);

        async Task ExecuteAsync(string sql)
        {
            await using var command = new NpgsqlCommand(sql, connection, transaction);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
