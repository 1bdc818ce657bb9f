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
