using System.Data.Common;
using System.Globalization;
using MiniMe.Configuration;

namespace MiniMe.Server.Storage;

/// <summary>Creates and migrates server.db, versioned with PRAGMA user_version. Every row belongs to a user.</summary>
internal static class SqliteServerSchema
{
    public const int CurrentVersion = 5;

    private static readonly string[] Version1 =
    [
        """
        CREATE TABLE api_keys (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            user_id TEXT NOT NULL,
            key_hash TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            revoked_at TEXT
        )
        """,
        "CREATE UNIQUE INDEX ux_api_keys_active_name ON api_keys(name) WHERE revoked_at IS NULL",
        """
        CREATE TABLE conversations (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL,
            title TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            summary TEXT,
            summarized_through INTEGER NOT NULL DEFAULT 0
        )
        """,
        "CREATE INDEX ix_conversations_user ON conversations(user_id, updated_at)",
        """
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            role TEXT NOT NULL,
            content TEXT NOT NULL,
            created_at TEXT NOT NULL,
            run_id TEXT,
            prompt_tokens INTEGER,
            completion_tokens INTEGER
        )
        """,
        "CREATE INDEX ix_messages_conversation ON messages(conversation_id, id)",
        """
        CREATE TABLE proposals (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL,
            run_id TEXT NOT NULL,
            tool TEXT NOT NULL,
            arguments TEXT NOT NULL,
            rationale TEXT NOT NULL,
            proposed_by TEXT NOT NULL,
            status TEXT NOT NULL,
            created_at TEXT NOT NULL,
            decided_at TEXT,
            note TEXT
        )
        """,
        "CREATE INDEX ix_proposals_user ON proposals(user_id, status, created_at)",
        // Unused since facts moved to the memory store; kept so old files and new ones have one shape.
        """
        CREATE TABLE facts (
            id INTEGER PRIMARY KEY,
            user_id TEXT NOT NULL,
            text TEXT NOT NULL,
            key TEXT NOT NULL,
            category TEXT NOT NULL,
            source TEXT NOT NULL,
            confidence REAL NOT NULL,
            importance REAL NOT NULL,
            seen_count INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )
        """,
        "CREATE UNIQUE INDEX ux_facts_user_key ON facts(user_id, key)",
    ];

    // Version 2: a proposal being decided records which server process claimed it, so a claim left by
    // a server that died can be told from one still running.
    private static readonly string[] Version2 =
    [
        "ALTER TABLE proposals ADD COLUMN claimed_by TEXT",
    ];

    // Version 3: and when, so a claim from another host (whose process cannot be checked) can expire.
    private static readonly string[] Version3 =
    [
        "ALTER TABLE proposals ADD COLUMN claimed_at TEXT",
    ];

    // Version 4: goals with their milestones and links (to facts, runs, conversations), per user.
    // Deadlines and due dates are ISO dates (YYYY-MM-DD), which sort as dates.
    private static readonly string[] Version4 =
    [
        """
        CREATE TABLE goals (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL,
            title TEXT NOT NULL,
            description TEXT NOT NULL,
            status TEXT NOT NULL,
            deadline TEXT,
            progress INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )
        """,
        "CREATE INDEX ix_goals_user ON goals(user_id, status, deadline)",
        """
        CREATE TABLE goal_milestones (
            id TEXT PRIMARY KEY,
            goal_id TEXT NOT NULL REFERENCES goals(id) ON DELETE CASCADE,
            title TEXT NOT NULL,
            status TEXT NOT NULL,
            due TEXT,
            position INTEGER NOT NULL,
            created_at TEXT NOT NULL
        )
        """,
        "CREATE INDEX ix_goal_milestones_goal ON goal_milestones(goal_id, position)",
        """
        CREATE TABLE goal_links (
            id TEXT PRIMARY KEY,
            goal_id TEXT NOT NULL REFERENCES goals(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            target TEXT NOT NULL,
            created_at TEXT NOT NULL
        )
        """,
        "CREATE UNIQUE INDEX ux_goal_links_target ON goal_links(goal_id, kind, target)",
    ];

    // Version 5: recurring schedules (`minime schedule`, /v1/schedules), per user: the cron expression, what
    // each run does, when the next one is due and how the last one went.
    private static readonly string[] Version5 =
    [
        """
        CREATE TABLE schedules (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL,
            name TEXT NOT NULL,
            cron TEXT NOT NULL,
            kind TEXT NOT NULL,
            prompt TEXT NOT NULL,
            workflow TEXT,
            conversation_id TEXT,
            created_at TEXT NOT NULL,
            next_run_at TEXT NOT NULL,
            last_run_at TEXT,
            last_run_id TEXT,
            last_status TEXT,
            last_detail TEXT
        )
        """,
        "CREATE INDEX ix_schedules_user ON schedules(user_id, created_at)",
        "CREATE INDEX ix_schedules_due ON schedules(next_run_at)",
    ];

    public static void Migrate(DbConnection connection, string path)
    {
        if (Version(connection, null, path) == CurrentVersion) return;

        // BEGIN IMMEDIATE, then read the version again under the write lock: two processes (or two instances)
        // opening a new server.db at once both saw version 0, and the second failed on "table already exists".
        using var transaction = connection.BeginTransaction();
        var version = Version(connection, transaction, path);
        if (version == CurrentVersion) return;
        string[][] versions = [Version1, Version2, Version3, Version4, Version5];
        for (var v = version + 1; v <= CurrentVersion; v++)
            foreach (var statement in versions[v - 1])
                connection.Execute(statement, transaction);
        connection.Execute($"PRAGMA user_version = {CurrentVersion}", transaction);
        transaction.Commit();
    }

    private static int Version(DbConnection connection, DbTransaction? transaction, string path)
    {
        using var read = connection.Command("PRAGMA user_version");
        read.Transaction = transaction;
        var version = Convert.ToInt32(read.ExecuteScalar(), CultureInfo.InvariantCulture);
        if (version > CurrentVersion)
            throw new ConfigException($"{path} has schema version {version}, newer than this MiniMe ({CurrentVersion}); upgrade MiniMe.");
        return version;
    }
}
