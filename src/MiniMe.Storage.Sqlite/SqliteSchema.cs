using Microsoft.Data.Sqlite;

namespace MiniMe.Storage.Sqlite;

/// <summary>Creates and migrates the SQLite schema, versioned with PRAGMA user_version.</summary>
internal static class SqliteSchema
{
    public const int CurrentVersion = 1;

    private static readonly string[] Version1 =
    [
        """
        CREATE TABLE documents (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL UNIQUE,
            content_hash TEXT NOT NULL,
            size_bytes INTEGER NOT NULL,
            modified_at TEXT NOT NULL,
            domain TEXT NOT NULL,
            tags TEXT NOT NULL,
            imported_at TEXT NOT NULL
        )
        """,
        """
        CREATE TABLE chunks (
            id INTEGER PRIMARY KEY,
            document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            ordinal INTEGER NOT NULL,
            start_offset INTEGER NOT NULL,
            end_offset INTEGER NOT NULL,
            heading TEXT,
            text TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            domain TEXT NOT NULL,
            tags TEXT NOT NULL,
            imported_at TEXT NOT NULL,
            reuse_count INTEGER NOT NULL DEFAULT 0
        )
        """,
        "CREATE INDEX ix_chunks_document ON chunks(document_id)",
        "CREATE INDEX ix_chunks_hash ON chunks(content_hash)",
        "CREATE INDEX ix_chunks_domain ON chunks(domain)",
        // Contentless: the text lives once, in chunks; the index keeps only postings for BM25.
        """
        CREATE VIRTUAL TABLE chunks_fts USING fts5(
            title, body, symbols,
            content='', contentless_delete=1,
            tokenize='porter unicode61 remove_diacritics 2'
        )
        """,
        """
        CREATE TABLE embeddings (
            content_hash TEXT NOT NULL,
            model TEXT NOT NULL,
            dims INTEGER NOT NULL,
            vector BLOB NOT NULL,
            PRIMARY KEY (content_hash, model)
        ) WITHOUT ROWID
        """,
    ];

    public static void Migrate(SqliteConnection connection)
    {
        var version = Convert.ToInt32(Scalar(connection, "PRAGMA user_version"), System.Globalization.CultureInfo.InvariantCulture);
        if (version > CurrentVersion)
            throw new MiniMe.Configuration.ConfigException(
                $"memory.db has schema version {version}, newer than this MiniMe ({CurrentVersion}); upgrade MiniMe.");
        if (version == CurrentVersion) return;

        using var transaction = connection.BeginTransaction();
        if (version < 1)
            foreach (var statement in Version1)
                Execute(connection, statement, transaction);
        Execute(connection, $"PRAGMA user_version = {CurrentVersion}", transaction);
        transaction.Commit();
    }

    internal static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    internal static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
