using Microsoft.Data.Sqlite;
using MiniMe.Configuration;

namespace MiniMe.Storage.Sqlite;

/// <summary>
/// The workspace's SQLite file as every store opens it: pooled connections with a busy timeout,
/// WAL journaling, NORMAL sync and foreign keys; the schema migrated once on initialization.
/// </summary>
public sealed class SqliteDatabase
{
    private readonly string _connectionString;

    public SqliteDatabase(string databasePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        Path = System.IO.Path.GetFullPath(databasePath);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public string Path { get; }

    /// <summary>Creates the file if needed, switches to WAL and brings the schema up to date.</summary>
    public void Initialize(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        using var connection = Open();
        SqliteSchema.Execute(connection, "PRAGMA journal_mode = WAL");
        SqliteSchema.Migrate(connection);
    }

    /// <summary>An open connection; a file that cannot be opened is a one-line configuration error.</summary>
    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            SqliteSchema.Execute(connection, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;");
            return connection;
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw new ConfigException($"Cannot open memory database {Path}: {e.Message}", e);
        }
    }
}
