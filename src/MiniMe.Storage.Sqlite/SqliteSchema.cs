using Microsoft.Data.Sqlite;

namespace MiniMe.Storage.Sqlite;

/// <summary>Creates and migrates the SQLite schema, versioned with PRAGMA user_version.</summary>
internal static class SqliteSchema
{
    public const int CurrentVersion = 6;

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

    /// <summary>Facts with history and a review queue (SqliteFactStore).</summary>
    private static readonly string[] Version2 =
    [
        """
        CREATE TABLE facts (
            id INTEGER PRIMARY KEY,
            text TEXT NOT NULL,
            normalized_key TEXT NOT NULL,
            category TEXT NOT NULL,
            source TEXT NOT NULL,
            confidence REAL NOT NULL,
            importance REAL NOT NULL,
            status TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL,
            seen_count INTEGER NOT NULL DEFAULT 1,
            superseded_at TEXT,
            superseded_by INTEGER REFERENCES facts(id) ON DELETE SET NULL,
            retracted_at TEXT,
            embedding_model TEXT,
            embedding BLOB
        )
        """,
        "CREATE INDEX ix_facts_status ON facts(status, category)",
        "CREATE INDEX ix_facts_key ON facts(normalized_key)",
        """
        CREATE TABLE fact_history (
            id INTEGER PRIMARY KEY,
            fact_id INTEGER NOT NULL REFERENCES facts(id) ON DELETE CASCADE,
            at TEXT NOT NULL,
            change TEXT NOT NULL,
            text TEXT,
            related_fact_id INTEGER,
            detail TEXT
        )
        """,
        "CREATE INDEX ix_fact_history_fact ON fact_history(fact_id, id)",
        """
        CREATE TABLE fact_reviews (
            id INTEGER PRIMARY KEY,
            candidate_id INTEGER NOT NULL REFERENCES facts(id) ON DELETE CASCADE,
            existing_id INTEGER REFERENCES facts(id) ON DELETE SET NULL,
            kind TEXT NOT NULL,
            reason TEXT NOT NULL,
            confidence REAL NOT NULL,
            status TEXT NOT NULL,
            created_at TEXT NOT NULL,
            resolved_at TEXT
        )
        """,
        "CREATE INDEX ix_fact_reviews_status ON fact_reviews(status)",
        "CREATE INDEX ix_fact_reviews_existing ON fact_reviews(existing_id)",
        "CREATE INDEX ix_fact_reviews_candidate ON fact_reviews(candidate_id)",
        // External content: the text lives in facts; triggers keep the BM25 postings in step.
        """
        CREATE VIRTUAL TABLE facts_fts USING fts5(
            text, content='facts', content_rowid='id',
            tokenize='porter unicode61 remove_diacritics 2'
        )
        """,
        "CREATE TRIGGER facts_fts_insert AFTER INSERT ON facts BEGIN INSERT INTO facts_fts(rowid, text) VALUES (new.id, new.text); END",
        "CREATE TRIGGER facts_fts_delete AFTER DELETE ON facts BEGIN INSERT INTO facts_fts(facts_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
        """
        CREATE TRIGGER facts_fts_update AFTER UPDATE OF text ON facts BEGIN
            INSERT INTO facts_fts(facts_fts, rowid, text) VALUES ('delete', old.id, old.text);
            INSERT INTO facts_fts(rowid, text) VALUES (new.id, new.text);
        END
        """,
    ];

    /// <summary>
    /// The Lucene index's bookkeeping (SqliteLexicalIndex): each chunk's title and symbols columns (FTS5's are
    /// contentless, and a rebuild needs them; NULL in rows from before: derived from source, heading and text), which memory this is (index_id, fresh per file), a generation
    /// bumped by every transaction that changes chunks, and the chunk ids each generation added or removed, so an index
    /// that is behind catches up from the log instead of being rebuilt. The log holds only generations past pruned_through.
    /// Idempotent, so a file whose user_version was set back (tests do) migrates again cleanly.
    /// </summary>
    private static readonly string[] Version3 =
    [
        """
        CREATE TABLE IF NOT EXISTS lexical_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            index_id TEXT NOT NULL,
            generation INTEGER NOT NULL,
            pruned_through INTEGER NOT NULL
        )
        """,
        "INSERT OR IGNORE INTO lexical_state (id, index_id, generation, pruned_through) VALUES (1, lower(hex(randomblob(16))), 1, 0)",
        """
        CREATE TABLE IF NOT EXISTS lexical_log (
            generation INTEGER NOT NULL,
            chunk_id INTEGER NOT NULL,
            PRIMARY KEY (generation, chunk_id)
        ) WITHOUT ROWID
        """,
    ];

    /// <summary>
    /// A generation of the embeddings table, bumped by triggers on every insert, update and delete (from any
    /// process or code path), so the in-memory copy the exact dense scan keeps (<see cref="SqliteExactScanCache"/>)
    /// knows with one row read whether it still holds what memory.db holds. Idempotent, like Version3.
    /// </summary>
    private static readonly string[] Version4 =
    [
        "CREATE TABLE IF NOT EXISTS vector_state (id INTEGER PRIMARY KEY CHECK (id = 1), generation INTEGER NOT NULL)",
        "INSERT OR IGNORE INTO vector_state (id, generation) VALUES (1, 1)",
        "CREATE TRIGGER IF NOT EXISTS embeddings_inserted AFTER INSERT ON embeddings BEGIN UPDATE vector_state SET generation = generation + 1 WHERE id = 1; END",
        "CREATE TRIGGER IF NOT EXISTS embeddings_updated AFTER UPDATE ON embeddings BEGIN UPDATE vector_state SET generation = generation + 1 WHERE id = 1; END",
        "CREATE TRIGGER IF NOT EXISTS embeddings_deleted AFTER DELETE ON embeddings BEGIN UPDATE vector_state SET generation = generation + 1 WHERE id = 1; END",
    ];

    /// <summary>
    /// Where a captured fact was said (FactOrigin: conversation or run id, message id, capturing run), plain columns
    /// on facts. Idempotent (each column added only when missing), like Version3.
    /// </summary>
    private static readonly string[] Version5Columns = ["origin_kind", "origin_id", "origin_message_id", "origin_run_id"];

    /// <summary>
    /// The evidence graph (SqliteEvidenceStore, docs/evidence.md): one row per edge, unique by its ends and relation, and
    /// triggers that delete the edges of a document, chunk or fact when its row is deleted, so no edge names a row that
    /// is gone. Chunk-to-document links are the chunks table's own and are not stored here. Idempotent, like Version3.
    /// </summary>
    private static readonly string[] Version6 =
    [
        """
        CREATE TABLE IF NOT EXISTS evidence_edges (
            id INTEGER PRIMARY KEY,
            from_kind TEXT NOT NULL,
            from_id TEXT NOT NULL,
            relation TEXT NOT NULL,
            to_kind TEXT NOT NULL,
            to_id TEXT NOT NULL,
            at TEXT NOT NULL,
            detail TEXT,
            UNIQUE (from_kind, from_id, relation, to_kind, to_id)
        )
        """,
        "CREATE INDEX IF NOT EXISTS ix_evidence_to ON evidence_edges (to_kind, to_id)",
        """
        CREATE TRIGGER IF NOT EXISTS evidence_documents_deleted AFTER DELETE ON documents BEGIN
            DELETE FROM evidence_edges WHERE from_kind = 'doc' AND from_id = CAST(old.id AS TEXT);
            DELETE FROM evidence_edges WHERE to_kind = 'doc' AND to_id = CAST(old.id AS TEXT);
        END
        """,
        """
        CREATE TRIGGER IF NOT EXISTS evidence_chunks_deleted AFTER DELETE ON chunks BEGIN
            DELETE FROM evidence_edges WHERE from_kind = 'chunk' AND from_id = CAST(old.id AS TEXT);
            DELETE FROM evidence_edges WHERE to_kind = 'chunk' AND to_id = CAST(old.id AS TEXT);
        END
        """,
        """
        CREATE TRIGGER IF NOT EXISTS evidence_facts_deleted AFTER DELETE ON facts BEGIN
            DELETE FROM evidence_edges WHERE from_kind = 'fact' AND from_id = CAST(old.id AS TEXT);
            DELETE FROM evidence_edges WHERE to_kind = 'fact' AND to_id = CAST(old.id AS TEXT);
        END
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
        // BEGIN IMMEDIATE holds the write lock: another process may have migrated while we waited for it.
        version = Convert.ToInt32(Scalar(connection, "PRAGMA user_version", transaction), System.Globalization.CultureInfo.InvariantCulture);
        if (version >= CurrentVersion) return;
        if (version < 1)
            foreach (var statement in Version1)
                Execute(connection, statement, transaction);
        if (version < 2)
            foreach (var statement in Version2)
                Execute(connection, statement, transaction);
        if (version < 3)
        {
            foreach (var column in new[] { "title", "symbols" })
                if (Scalar(connection, $"SELECT COUNT(*) FROM pragma_table_info('chunks') WHERE name = '{column}'", transaction) is 0L)
                    Execute(connection, $"ALTER TABLE chunks ADD COLUMN {column} TEXT", transaction);
            foreach (var statement in Version3)
                Execute(connection, statement, transaction);
        }
        if (version < 4)
            foreach (var statement in Version4)
                Execute(connection, statement, transaction);
        if (version < 5)
            foreach (var column in Version5Columns)
                if (Scalar(connection, $"SELECT COUNT(*) FROM pragma_table_info('facts') WHERE name = '{column}'", transaction) is 0L)
                    Execute(connection, $"ALTER TABLE facts ADD COLUMN {column} TEXT", transaction);
        if (version < 6)
            foreach (var statement in Version6)
                Execute(connection, statement, transaction);
        Execute(connection, $"PRAGMA user_version = {CurrentVersion}", transaction);
        transaction.Commit();
    }

    internal static object? Scalar(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
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
