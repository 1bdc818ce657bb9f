using System.Globalization;
using Microsoft.Data.Sqlite;
using MiniMe.Memory;
using MiniMe.Snapshots;

namespace MiniMe.Storage.Sqlite;

/// <summary>
/// Snapshots of the SQLite memory database. Backup is <c>VACUUM INTO</c>: one read transaction, so the
/// image is a consistent state even while other connections write (WAL readers do not block writers),
/// and the image is a compact single file. Restore uses SQLite's online backup API into the live
/// database, which replaces its pages in one write transaction: other connections see the old or the
/// new contents, never a mix, and the WAL stays coherent (no file is swapped under an open connection).
/// </summary>
public sealed class SqliteDatabaseSnapshotter(string databasePath) : IDatabaseSnapshotter
{
    public string DatabasePath { get; } = Path.GetFullPath(databasePath);

    public Task<DatabaseImage> BackupAsync(string destinationPath, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(destinationPath);
        cancellationToken.ThrowIfCancellationRequested();
        if (!File.Exists(DatabasePath))
            throw new SnapshotException($"No memory database at {DatabasePath}; run `minime init` first.");
        var destination = Path.GetFullPath(destinationPath);
        if (File.Exists(destination))
            throw new SnapshotException($"{destination} already exists; refusing to overwrite it.");
        try
        {
            using (var source = OpenDatabase(DatabasePath, SqliteOpenMode.ReadWrite))
            using (var command = source.CreateCommand())
            {
                command.CommandText = "VACUUM INTO $path";
                command.Parameters.AddWithValue("$path", destination);
                command.ExecuteNonQuery();
            }
        }
        catch (SqliteException e) when (SqliteDatabase.IsDamage(e))
        {
            throw DamagedMemoryException.Damaged(DatabasePath, SqliteDatabase.Reason(e), e);
        }
        try
        {
            return Task.FromResult(Inspect(destination, "The snapshot just written"));
        }
        catch (SnapshotException e) when (e.InnerException is null)
        {
            // The copy is a faithful image of the live file, so the live file is what failed the check.
            throw DamagedMemoryException.Damaged(DatabasePath, e.Message.TrimEnd('.'), e);
        }
    }

    public Task<DatabaseImage> VerifyAsync(string imagePath, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var image = Inspect(Path.GetFullPath(imagePath), "The snapshot's database");
        if (image.SchemaVersion > SqliteSchema.CurrentVersion)
            throw new SnapshotException(
                $"The snapshot's database has schema version {image.SchemaVersion}, newer than this MiniMe ({SqliteSchema.CurrentVersion}); upgrade MiniMe to restore it.");
        return Task.FromResult(image);
    }

    public Task RestoreAsync(string imagePath, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using (var source = OpenDatabase(Path.GetFullPath(imagePath), SqliteOpenMode.ReadOnly))
        using (var live = OpenDatabase(DatabasePath, SqliteOpenMode.ReadWriteCreate))
        {
            source.BackupDatabase(live);
            // The image was a rollback-journal file; the live database stays in WAL mode.
            SqliteSchema.Execute(live, "PRAGMA journal_mode = WAL");
            var check = SqliteSchema.Scalar(live, "PRAGMA integrity_check") as string;
            if (check != "ok")
                throw new SnapshotException($"The restored database at {DatabasePath} fails its integrity check ({check}); restore the safety snapshot.");
        }
        // Pooled connections of this process would otherwise keep pages of the old contents cached.
        SqliteConnection.ClearAllPools();
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<string>> CopyRawAsync(string destinationPath, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(destinationPath);
        cancellationToken.ThrowIfCancellationRequested();
        var destination = Path.GetFullPath(destinationPath);
        var written = new List<string>();
        foreach (var (source, target) in new[] { (DatabasePath, destination), (DatabasePath + "-wal", destination + "-wal") })
        {
            if (!File.Exists(source) || (source != DatabasePath && new FileInfo(source).Length == 0)) continue;
            // Shared read: other processes may hold the file open; nothing here writes to it.
            using (var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            using (var output = new FileStream(target, FileMode.CreateNew, FileAccess.Write))
                input.CopyTo(output);
            written.Add(target);
        }
        return Task.FromResult<IReadOnlyList<string>>(written);
    }

    /// <summary>Integrity check, schema version and row counts of a database file.</summary>
    private static DatabaseImage Inspect(string path, string what)
    {
        if (!File.Exists(path)) throw new SnapshotException($"{what} is missing ({path}).");
        try
        {
            using var connection = OpenDatabase(path, SqliteOpenMode.ReadOnly);
            var check = SqliteSchema.Scalar(connection, "PRAGMA integrity_check") as string;
            if (check != "ok")
                throw new SnapshotException($"{what} fails its integrity check: {check}.");
            var version = Convert.ToInt32(SqliteSchema.Scalar(connection, "PRAGMA user_version"), CultureInfo.InvariantCulture);
            var counts = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var table in CountedTables(connection))
                counts[table] = (long)SqliteSchema.Scalar(connection, $"SELECT COUNT(*) FROM \"{table}\"")!;
            return new DatabaseImage(version, counts);
        }
        catch (SqliteException e)
        {
            throw new SnapshotException($"{what} cannot be read as a SQLite database ({e.Message}).", e);
        }
    }

    /// <summary>Ordinary tables, without SQLite's own and the FTS5 shadow tables (whose counts mean nothing to a user).</summary>
    private static List<string> CountedTables(SqliteConnection connection)
    {
        var tables = new List<string>();
        var virtualTables = new List<string>();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var name = reader.GetString(0);
            var sql = reader.IsDBNull(1) ? "" : reader.GetString(1);
            if (sql.StartsWith("CREATE VIRTUAL TABLE", StringComparison.OrdinalIgnoreCase)) virtualTables.Add(name);
            else tables.Add(name);
        }
        return [.. tables.Where(t => !virtualTables.Any(v => t.StartsWith(v + "_", StringComparison.Ordinal)))];
    }

    private static SqliteConnection OpenDatabase(string path, SqliteOpenMode mode)
    {
        var connection = new SqliteConnection(ConnectionString(path, mode));
        connection.Open();
        // The online backup API does not go through the command retry loop: let SQLite itself wait out
        // a writer holding the lock, as long as a command would.
        SqliteSchema.Execute(connection, "PRAGMA busy_timeout = 30000");
        return connection;
    }

    private static string ConnectionString(string path, SqliteOpenMode mode) => new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = mode,
        Pooling = false,
        DefaultTimeout = 30,
    }.ToString();
}
