using Microsoft.Data.Sqlite;

namespace MiniMe.Tests.Support;

/// <summary>Reads a memory.db as another process would: read-only, unpooled, so the file is left as it was.</summary>
public static class MemoryFile
{
    public static long CountDocuments(string database) =>
        File.Exists(database) ? (long)(Scalar(database, "SELECT count(*) FROM documents") ?? 0L) : 0;

    public static object? Scalar(string database, string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
