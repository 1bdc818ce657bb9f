using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using MiniMe.Configuration;

namespace MiniMe.Server.Storage;

/// <summary>
/// server.db in the workspace (memory.store sqlite). A file of its own (not memory.db), versioned with
/// PRAGMA user_version by <see cref="SqliteServerSchema"/>, so the server's tables never interfere
/// with the memory store's migrations; WAL and a busy timeout let the CLI and the server share it.
/// Every connection sets SQLite's own busy_timeout: a writer that finds the file locked (the CLI, another
/// server) is retried by SQLite within milliseconds, never by Microsoft.Data.Sqlite's fixed 150 ms sleeps;
/// and this process's writers take turns before they reach the file (<see cref="ServerDatabase.OpenForWrite"/>).
/// </summary>
public sealed class SqliteServerDatabase : ServerDatabase
{
    public const string FileName = "server.db";

    /// <summary>How long SQLite retries a locked file before a statement fails (milliseconds).</summary>
    internal const int BusyTimeoutMs = 30_000;

    private readonly string _connectionString;
    private readonly SemaphoreSlim _writerTurns = new(1, 1);

    public SqliteServerDatabase(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public string Path { get; }

    public override string Location => Path;

    protected override void Migrate()
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        using var connection = OpenConnection();
        connection.Execute("PRAGMA journal_mode = WAL");
        SqliteServerSchema.Migrate(connection, Path);
    }

    protected override DbConnection OpenConnection()
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            connection.Execute($"PRAGMA busy_timeout = {BusyTimeoutMs}; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;");
            return connection;
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw new ConfigException($"Cannot open server database {Path}: {e.Message}", e);
        }
    }

    protected override SemaphoreSlim WriterTurns => _writerTurns;

    internal override object Timestamp(DateTimeOffset value) => value.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    internal override DateTimeOffset ReadTimestamp(DbDataReader reader, int ordinal) =>
        DateTimeOffset.Parse(reader.GetString(ordinal), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    // SQLITE_CONSTRAINT_UNIQUE and SQLITE_CONSTRAINT_PRIMARYKEY.
    internal override bool IsUniqueViolation(DbException exception) => exception is SqliteException { SqliteExtendedErrorCode: 2067 or 1555 };

    internal override string OrderBinary(string column) => column;

    // An INTEGER PRIMARY KEY always continues after the largest id.
    internal override Task ContinueIdsAsync(DbConnection connection, DbTransaction transaction, string table, string column, CancellationToken cancellationToken) =>
        Task.CompletedTask;
}
