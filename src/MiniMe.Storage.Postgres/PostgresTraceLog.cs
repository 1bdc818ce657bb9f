using System.Security.Cryptography;
using System.Text;
using MiniMe.Tracing;
using Npgsql;

namespace MiniMe.Storage.Postgres;

/// <summary>
/// Run traces in the trace_events table of the user's PostgreSQL schema (memory.traces: postgres), so
/// every server instance over one database lists and reads every run. Each append is one autocommitted
/// INSERT; the identity column orders a run's lines as they were appended, across processes.
/// </summary>
public sealed class PostgresTraceLog : ITraceLog, IAsyncDisposable
{
    private readonly PostgresConnector _connector;
    private readonly Lock _migrateLock = new();
    private bool _migrated;

    /// <param name="schema">The user's schema (null: the connection's own search path), as the memory store uses.</param>
    public PostgresTraceLog(string connectionString, string? schema = null) => _connector = new PostgresConnector(connectionString, schema);

    public string Location => $"PostgreSQL {_connector.Endpoint} ({_connector.Schema ?? "default schema"}, trace_events)";

    public string LocationOf(string runId) => $"{Location} run {runId}";

    public bool Exists(string runId)
    {
        using var connection = Open();
        using var command = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM trace_events WHERE run_id = $1)", connection);
        command.Parameters.AddWithValue(runId);
        return (bool)command.ExecuteScalar()!;
    }

    public void Append(string runId, string line)
    {
        using var connection = Open();
        using var command = new NpgsqlCommand("INSERT INTO trace_events (run_id, line) VALUES ($1, $2)", connection);
        command.Parameters.AddWithValue(runId);
        command.Parameters.AddWithValue(line);
        command.ExecuteNonQuery();
    }

    /// <summary>Nothing to wait for: every <see cref="Append"/> is a committed INSERT, as durable when it returns as the server makes a commit (synchronous_commit, on by default).</summary>
    public void Flush(string runId)
    {
    }

    /// <inheritdoc cref="Flush"/>
    public ValueTask FlushAsync(string runId, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    public IReadOnlyList<string>? ReadLines(string runId)
    {
        using var connection = Open();
        using var command = new NpgsqlCommand("SELECT line FROM trace_events WHERE run_id = $1 ORDER BY seq", connection);
        command.Parameters.AddWithValue(runId);
        using var reader = command.ExecuteReader();
        var lines = new List<string>();
        while (reader.Read()) lines.Add(reader.GetString(0));
        return lines.Count > 0 ? lines : null;
    }

    public IEnumerable<string> RunIds()
    {
        using var connection = Open();
        using var command = new NpgsqlCommand("SELECT DISTINCT run_id FROM trace_events", connection);
        using var reader = command.ExecuteReader();
        var ids = new List<string>();
        while (reader.Read()) ids.Add(reader.GetString(0));
        return ids;
    }

    /// <summary>
    /// Copies every run of <paramref name="source"/> here, each run replacing its namesake in one
    /// transaction (so a re-run converges), then compares both sides: runs, lines and a SHA-256 over
    /// run ids and lines in order.
    /// </summary>
    public async Task<TraceCopyReport> CopyFromAsync(ITraceLog source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        var runs = source.RunIds().Where(RunId.IsValid).Order(StringComparer.Ordinal).ToList();
        Open().Dispose();   // migrated before the first copy
        await using var connection = await _connector.OpenAsync(cancellationToken).ConfigureAwait(false);
        foreach (var runId in runs)
        {
            var lines = source.ReadLines(runId) ?? [];
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (var delete = new NpgsqlCommand("DELETE FROM trace_events WHERE run_id = $1", connection, transaction))
            {
                delete.Parameters.AddWithValue(runId);
                await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            await using (var insert = new NpgsqlCommand("INSERT INTO trace_events (run_id, line) SELECT $1, line FROM unnest($2::text[]) WITH ORDINALITY AS l(line, n) ORDER BY n", connection, transaction))
            {
                insert.Parameters.AddWithValue(runId);
                insert.Parameters.AddWithValue(lines.ToArray());
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        return new TraceCopyReport(TraceDigest.Of(source, runs), TraceDigest.Of(this, runs));
    }

    public ValueTask DisposeAsync() => _connector.DisposeAsync();

    private NpgsqlConnection Open()
    {
        var connection = _connector.Open();
        if (Volatile.Read(ref _migrated)) return connection;
        lock (_migrateLock)
        {
            if (!_migrated)
            {
                // TraceStore's API is synchronous (agents append from synchronous code); the one-time
                // migration runs to completion here. No host of MiniMe installs a synchronization
                // context, so waiting cannot deadlock.
                try
                {
                    _connector.MigrateAsync(connection, CancellationToken.None).GetAwaiter().GetResult();
                }
                catch
                {
                    connection.Dispose();
                    throw;
                }
                Volatile.Write(ref _migrated, true);
            }
        }
        return connection;
    }
}

/// <summary>Runs, lines and a SHA-256 over run ids and their lines in order: equal digests mean equal traces.</summary>
public sealed record TraceDigest(long Runs, long Lines, string Sha256)
{
    internal static TraceDigest Of(ITraceLog log, IReadOnlyList<string> runs)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long present = 0, lines = 0;
        foreach (var runId in runs)
        {
            if (log.ReadLines(runId) is not { } read) continue;
            present++;
            hash.AppendData(Encoding.UTF8.GetBytes(runId + "\n"));
            foreach (var line in read)
            {
                lines++;
                hash.AppendData(Encoding.UTF8.GetBytes(line + "\n"));
            }
        }
        return new TraceDigest(present, lines, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }
}

/// <summary>What a trace copy found on both sides.</summary>
public sealed record TraceCopyReport(TraceDigest Source, TraceDigest Target)
{
    public bool Verified => Source == Target;
}
