using System.Data.Common;
using MiniMe.Configuration;

namespace MiniMe.Server.Storage;

/// <summary>
/// Where the server's own state lives (API keys, conversations, proposals): with memory.store sqlite,
/// server.db in the workspace (<see cref="SqliteServerDatabase"/>); with memory.store postgres, a schema
/// of that PostgreSQL database (<see cref="PostgresServerDatabase"/>), so several servers over one
/// database share it. The stores are written once against ADO.NET with @name parameters, which both
/// providers accept; what the two SQL dialects do differently is answered here, not in the stores.
/// </summary>
public abstract class ServerDatabase : IAsyncDisposable
{
    private readonly Lock _initLock = new();
    private bool _initialized;

    /// <summary>The one place that picks the server's database from memory.store, for the server and the CLI alike.</summary>
    public static ServerDatabase For(Workspace workspace, MemoryOptions memory)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(memory);
        return memory.Store switch
        {
            MemoryStoreKind.Postgres => new PostgresServerDatabase(memory.ConnectionString ?? ""),
            _ => new SqliteServerDatabase(System.IO.Path.Combine(workspace.Root, SqliteServerDatabase.FileName)),
        };
    }

    /// <summary>Where the state is, safe to print: the file, or host, port, database and user (never a password).</summary>
    public abstract string Location { get; }

    /// <summary>An open connection; the schema is created or migrated on first use (once per instance).</summary>
    public DbConnection Open()
    {
        EnsureSchema();
        return OpenConnection();
    }

    /// <summary>
    /// An open connection to write with (<see cref="Open"/> reads). Where the database has one writer
    /// at a time (SQLite), this process's writers take turns here, each holding its turn until the
    /// connection is disposed: concurrent requests queue in order instead of colliding inside the
    /// database and backing off in its busy handler. PostgreSQL locks rows, so its writers do not queue.
    /// </summary>
    public DbConnection OpenForWrite()
    {
        if (WriterTurns is not { } turns) return Open();
        turns.Wait();
        try
        {
            var connection = Open();
            var released = 0;
            connection.Disposed += (_, _) =>
            {
                if (Interlocked.Exchange(ref released, 1) == 0) turns.Release();
            };
            return connection;
        }
        catch
        {
            turns.Release();
            throw;
        }
    }

    /// <summary>One turn at a time for <see cref="OpenForWrite"/>; null when writers need not queue in the process.</summary>
    protected virtual SemaphoreSlim? WriterTurns => null;

    /// <summary>
    /// Now, to the microsecond: PostgreSQL keeps no finer time, so a store returns exactly what it
    /// later reads back, whichever database it is on.
    /// </summary>
    internal static DateTimeOffset Now(TimeProvider time) => Microseconds(time.GetUtcNow());

    internal static DateTimeOffset Microseconds(DateTimeOffset value) =>
        new(value.UtcTicks - value.UtcTicks % 10, TimeSpan.Zero);

    /// <summary>A timestamp as this database stores it (a parameter value).</summary>
    internal abstract object Timestamp(DateTimeOffset value);

    internal abstract DateTimeOffset ReadTimestamp(DbDataReader reader, int ordinal);

    internal DateTimeOffset? ReadTimestampOrNull(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : ReadTimestamp(reader, ordinal);

    /// <summary>The statement broke a unique constraint (an active key's name, a primary key).</summary>
    internal abstract bool IsUniqueViolation(DbException exception);

    /// <summary>The text column as an ORDER BY term comparing bytes, as SQLite's BINARY collation does.</summary>
    internal abstract string OrderBinary(string column);

    /// <summary>After rows were written with their own ids into an id-generating column, new rows continue after the largest.</summary>
    internal abstract Task ContinueIdsAsync(DbConnection connection, DbTransaction transaction, string table, string column, CancellationToken cancellationToken);

    protected abstract DbConnection OpenConnection();

    /// <summary>Creates or migrates the tables over a fresh connection; runs once per instance, first.</summary>
    protected abstract void Migrate();

    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    private void EnsureSchema()
    {
        if (Volatile.Read(ref _initialized)) return;
        lock (_initLock)
        {
            if (_initialized) return;
            Migrate();
            Volatile.Write(ref _initialized, true);
        }
    }
}

/// <summary>Commands and reads the stores share, over any ADO.NET provider.</summary>
internal static class ServerSql
{
    public static DbCommand Command(this DbConnection connection, string sql, DbTransaction? transaction = null)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }

    /// <summary>Adds a parameter (null as SQL NULL) and returns the command, so parameters read as one list.</summary>
    public static DbCommand With(this DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
        return command;
    }

    public static void Execute(this DbConnection connection, string sql, DbTransaction? transaction = null)
    {
        using var command = connection.Command(sql, transaction);
        command.ExecuteNonQuery();
    }

    public static string? GetStringOrNull(this DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    public static long? GetInt64OrNull(this DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);
}
