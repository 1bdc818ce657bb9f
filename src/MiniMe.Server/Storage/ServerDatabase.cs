using System.Globalization;
using Microsoft.Data.Sqlite;
using MiniMe.Configuration;

namespace MiniMe.Server.Storage;

/// <summary>
/// server.db in the workspace: API keys, conversations, proposals waiting for approval and facts.
/// A file of its own (not memory.db), versioned with PRAGMA user_version by <see cref="ServerSchema"/>,
/// so the server's tables never interfere with the memory store's migrations.
/// </summary>
public sealed class ServerDatabase
{
    public const string FileName = "server.db";

    private readonly string _connectionString;
    private readonly Lock _initLock = new();
    private bool _initialized;

    public ServerDatabase(string path)
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

    public static ServerDatabase For(Workspace workspace) => new(System.IO.Path.Combine(workspace.Root, FileName));

    public string Path { get; }

    /// <summary>An open connection with foreign keys on; the schema is created or migrated on first use.</summary>
    public SqliteConnection Open()
    {
        EnsureSchema();
        return OpenRaw();
    }

    private void EnsureSchema()
    {
        if (Volatile.Read(ref _initialized)) return;
        lock (_initLock)
        {
            if (_initialized) return;
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
            using (var connection = OpenRaw())
            {
                Execute(connection, "PRAGMA journal_mode = WAL");
                ServerSchema.Migrate(connection, Path);
            }
            Volatile.Write(ref _initialized, true);
        }
    }

    private SqliteConnection OpenRaw()
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            Execute(connection, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;");
            return connection;
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw new ConfigException($"Cannot open server database {Path}: {e.Message}", e);
        }
    }

    internal static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        command.ExecuteNonQuery();
    }

    internal static string Timestamp(DateTimeOffset value) => value.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    internal static DateTimeOffset ParseTimestamp(string value) =>
        DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
