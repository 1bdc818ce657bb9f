using System.Buffers.Binary;
using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using MiniMe.Configuration;
using MiniMe.Memory.Migration;

namespace MiniMe.Server.Storage;

/// <summary>One table of a server state migration: rows and SHA-256 on each side.</summary>
public sealed record ServerTableCheck(string Table, long SourceRows, long TargetRows, string SourceSha256, string TargetSha256)
{
    public bool Same => SourceRows == TargetRows && SourceSha256 == TargetSha256;
}

/// <summary>What a server state migration copied and whether the target now holds exactly the source's rows.</summary>
public sealed record ServerStateReport(string Source, string Target, IReadOnlyList<ServerTableCheck> Tables, TimeSpan Elapsed)
{
    public bool Verified => Tables.All(t => t.Same);
}

/// <summary>
/// Copies the server's state (API keys, conversations, messages, proposals, goals with their milestones and links, schedules) from one server database
/// to another, in practice server.db to PostgreSQL for `minime migrate --to postgres`: every row with
/// its id and timestamps (to the microsecond, PostgreSQL's precision). A row whose id the target has
/// already is overwritten, so a re-run (after an interruption, or after more use of server.db)
/// converges on the same result. Then both sides are read back in id order and compared by count and
/// SHA-256 per table; rows the target holds beyond the source's count as a mismatch. server.db's
/// unused facts table is not copied.
/// </summary>
public static class ServerStateMigrator
{
    private const int BatchRows = 500;

    private enum Kind { Text, Integer, Timestamp }

    private sealed record Column(string Name, Kind Kind);

    private sealed record Table(string Name, string Key, bool IntegerKey, Column[] Columns);

    private static readonly Table[] Tables =
    [
        new("api_keys", "id", false,
            [new("id", Kind.Text), new("name", Kind.Text), new("user_id", Kind.Text), new("key_hash", Kind.Text), new("created_at", Kind.Timestamp), new("revoked_at", Kind.Timestamp)]),
        new("conversations", "id", false,
            [new("id", Kind.Text), new("user_id", Kind.Text), new("title", Kind.Text), new("created_at", Kind.Timestamp), new("updated_at", Kind.Timestamp),
             new("summary", Kind.Text), new("summarized_through", Kind.Integer)]),
        new("messages", "id", true,
            [new("id", Kind.Integer), new("conversation_id", Kind.Text), new("role", Kind.Text), new("content", Kind.Text), new("created_at", Kind.Timestamp),
             new("run_id", Kind.Text), new("prompt_tokens", Kind.Integer), new("completion_tokens", Kind.Integer)]),
        new("proposals", "id", false,
            [new("id", Kind.Text), new("user_id", Kind.Text), new("run_id", Kind.Text), new("tool", Kind.Text), new("arguments", Kind.Text), new("rationale", Kind.Text),
             new("proposed_by", Kind.Text), new("status", Kind.Text), new("created_at", Kind.Timestamp), new("decided_at", Kind.Timestamp), new("note", Kind.Text),
             new("claimed_by", Kind.Text), new("claimed_at", Kind.Timestamp)]),
        // Goals before their milestones and links (which reference them).
        new("goals", "id", false,
            [new("id", Kind.Text), new("user_id", Kind.Text), new("title", Kind.Text), new("description", Kind.Text), new("status", Kind.Text),
             new("deadline", Kind.Text), new("progress", Kind.Integer), new("created_at", Kind.Timestamp), new("updated_at", Kind.Timestamp)]),
        new("goal_milestones", "id", false,
            [new("id", Kind.Text), new("goal_id", Kind.Text), new("title", Kind.Text), new("status", Kind.Text), new("due", Kind.Text),
             new("position", Kind.Integer), new("created_at", Kind.Timestamp)]),
        new("goal_links", "id", false,
            [new("id", Kind.Text), new("goal_id", Kind.Text), new("kind", Kind.Text), new("target", Kind.Text), new("created_at", Kind.Timestamp)]),
        new("schedules", "id", false,
            [new("id", Kind.Text), new("user_id", Kind.Text), new("name", Kind.Text), new("cron", Kind.Text), new("kind", Kind.Text), new("prompt", Kind.Text),
             new("workflow", Kind.Text), new("conversation_id", Kind.Text), new("created_at", Kind.Timestamp), new("next_run_at", Kind.Timestamp), new("last_run_at", Kind.Timestamp),
             new("last_run_id", Kind.Text), new("last_status", Kind.Text), new("last_detail", Kind.Text)]),
    ];

    /// <summary>
    /// `minime migrate --to postgres` for the server's state: the workspace's server.db into the
    /// server schema of the PostgreSQL database. Null when the workspace has no server.db (the server
    /// never ran there): nothing to copy, and none is created.
    /// </summary>
    public static async Task<ServerStateReport?> MigrateAsync(Workspace workspace, string connectionString, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        var path = Path.Combine(workspace.Root, SqliteServerDatabase.FileName);
        if (!File.Exists(path)) return null;
        await using var source = new SqliteServerDatabase(path);
        await using var target = new PostgresServerDatabase(connectionString);
        return await CopyAsync(source, target, cancellationToken).ConfigureAwait(false);
    }

    public static async Task<ServerStateReport> CopyAsync(ServerDatabase source, ServerDatabase target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var checks = new List<ServerTableCheck>();
        await using var from = source.Open();
        await using var to = target.Open();
        foreach (var table in Tables)
        {
            var copied = await CopyTableAsync(table, source, from, target, to, cancellationToken).ConfigureAwait(false);
            var (rows, sha) = await DigestAsync(table, target, to, null, cancellationToken).ConfigureAwait(false);
            checks.Add(new ServerTableCheck(table.Name, copied.Rows, rows, copied.Sha256, sha));
        }
        return new ServerStateReport(source.Location, target.Location, checks, clock.Elapsed);
    }

    /// <summary>Copies one table in batches, each in a transaction; returns the digest of what it read.</summary>
    private static async Task<(long Rows, string Sha256)> CopyTableAsync(
        Table table, ServerDatabase source, DbConnection from, ServerDatabase target, DbConnection to, CancellationToken cancellationToken)
    {
        var names = string.Join(", ", table.Columns.Select(c => c.Name));
        var updates = string.Join(", ", table.Columns.Where(c => c.Name != table.Key).Select(c => $"{c.Name} = excluded.{c.Name}"));
        var insertSql = $"INSERT INTO {table.Name} ({names}) VALUES ({string.Join(", ", table.Columns.Select((_, i) => "@p" + i.ToString(CultureInfo.InvariantCulture)))}) " +
                        $"ON CONFLICT ({table.Key}) DO UPDATE SET {updates}";
        var batch = new List<object?[]>(BatchRows);

        async Task FlushAsync()
        {
            if (batch.Count == 0) return;
            await using var transaction = await to.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            foreach (var row in batch)
            {
                await using var insert = to.Command(insertSql, transaction);
                for (var i = 0; i < row.Length; i++)
                    insert.With("@p" + i.ToString(CultureInfo.InvariantCulture), row[i] is DateTimeOffset at ? target.Timestamp(at) : row[i]);
                try
                {
                    await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (DbException e) when (target.IsUniqueViolation(e))
                {
                    throw new MigrationException(
                        $"{table.Name} row {row[0]} collides with a different row already in {target.Location} ({e.Message.ReplaceLineEndings(" ")}); migrate into a database no other workspace's server uses", e);
                }
            }
            if (table.IntegerKey) await target.ContinueIdsAsync(to, transaction, table.Name, table.Key, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            batch.Clear();
        }

        var digest = await DigestAsync(table, source, from, async row =>
        {
            batch.Add(row);
            if (batch.Count >= BatchRows) await FlushAsync().ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        await FlushAsync().ConfigureAwait(false);
        return digest;
    }

    /// <summary>Reads the whole table in id order into a count and a SHA-256 of every value, handing each row on when asked.</summary>
    private static async Task<(long Rows, string Sha256)> DigestAsync(
        Table table, ServerDatabase database, DbConnection connection, Func<object?[], Task>? each, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var order = table.IntegerKey ? table.Key : database.OrderBinary(table.Key);
        await using var command = connection.Command($"SELECT {string.Join(", ", table.Columns.Select(c => c.Name))} FROM {table.Name} ORDER BY {order}");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        long rows = 0;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var row = new object?[table.Columns.Length];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : table.Columns[i].Kind switch
                {
                    Kind.Text => reader.GetString(i),
                    Kind.Integer => reader.GetInt64(i),
                    _ => ServerDatabase.Microseconds(database.ReadTimestamp(reader, i)),
                };
                Append(hash, row[i]);
            }
            rows++;
            if (each is not null) await each(row).ConfigureAwait(false);
        }
        return (rows, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    /// <summary>A value as a type tag and its bytes (text length-prefixed), so no two rows hash alike by accident.</summary>
    private static void Append(IncrementalHash hash, object? value)
    {
        Span<byte> number = stackalloc byte[9];
        switch (value)
        {
            case null:
                hash.AppendData("N"u8);
                break;
            case string text:
                var bytes = Encoding.UTF8.GetBytes(text);
                number[0] = (byte)'S';
                BinaryPrimitives.WriteInt64LittleEndian(number[1..], bytes.Length);
                hash.AppendData(number);
                hash.AppendData(bytes);
                break;
            case long integer:
                number[0] = (byte)'I';
                BinaryPrimitives.WriteInt64LittleEndian(number[1..], integer);
                hash.AppendData(number);
                break;
            case DateTimeOffset at:
                number[0] = (byte)'T';
                BinaryPrimitives.WriteInt64LittleEndian(number[1..], at.UtcTicks);
                hash.AppendData(number);
                break;
        }
    }
}
