using Npgsql;

namespace MiniMe.Storage.Postgres;

/// <summary>
/// Creates and migrates the PostgreSQL schema. Each version is a list of statements applied in one
/// transaction and recorded in schema_version; an advisory lock keeps concurrent starts from racing.
/// </summary>
internal static class PostgresSchema
{
    /// <summary>Advisory lock key for schema changes ("minime" in ASCII).</summary>
    public const long LockKey = 0x6D696E696D65;

    private static readonly string[][] Versions =
    [
        // Version 1: documents, chunks with a weighted tsvector (A title, B body, C symbols), vectors as float4[].
        [
            """
            CREATE TABLE documents (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                source text NOT NULL UNIQUE,
                content_hash text NOT NULL,
                size_bytes bigint NOT NULL,
                modified_at timestamptz NOT NULL,
                domain text NOT NULL,
                tags text[] NOT NULL,
                imported_at timestamptz NOT NULL
            )
            """,
            """
            CREATE TABLE chunks (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                document_id bigint NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
                ordinal integer NOT NULL,
                start_offset integer NOT NULL,
                end_offset integer NOT NULL,
                heading text,
                text text NOT NULL,
                content_hash text NOT NULL,
                domain text NOT NULL,
                tags text[] NOT NULL,
                imported_at timestamptz NOT NULL,
                reuse_count integer NOT NULL DEFAULT 0,
                title text NOT NULL,
                symbols text NOT NULL,
                search tsvector NOT NULL
            )
            """,
            "CREATE INDEX ix_chunks_document ON chunks (document_id, ordinal)",
            "CREATE INDEX ix_chunks_hash ON chunks (content_hash)",
            "CREATE INDEX ix_chunks_domain ON chunks (domain)",
            "CREATE INDEX ix_chunks_tags ON chunks USING gin (tags)",
            "CREATE INDEX ix_chunks_search ON chunks USING gin (search)",
            """
            CREATE TABLE embeddings (
                content_hash text NOT NULL,
                model text NOT NULL,
                dims integer NOT NULL CHECK (dims = cardinality(vector)),
                vector real[] NOT NULL,
                PRIMARY KEY (content_hash, model)
            )
            """,
        ],
        // Version (ranking parity, issue 17; the lead renumbers at merge): BM25 as the SQLite store's FTS5
        // computes it. A Porter configuration with no stopword list, like FTS5's "porter unicode61" (every
        // token type the parser can see in normalized text maps to it); each chunk's token counts; the
        // corpus totals. Existing rows are re-indexed by LexicalIndex.ReindexAsync right after.
        [
            "CREATE TEXT SEARCH DICTIONARY minime_porter (TEMPLATE = snowball, Language = porter)",
            "CREATE TEXT SEARCH CONFIGURATION minime_porter (PARSER = default)",
            """
            ALTER TEXT SEARCH CONFIGURATION minime_porter ADD MAPPING FOR
                asciiword, word, numword, asciihword, hword, numhword, hword_asciipart, hword_part, hword_numpart,
                email, url, host, url_path, file, protocol, tag, entity, version, sfloat, float, int, uint
            WITH minime_porter
            """,
            // Tokens in all (BM25's |D|), and the last position of the title and of the body in search.
            "ALTER TABLE chunks ADD COLUMN search_length integer, ADD COLUMN search_title_end integer, ADD COLUMN search_body_end integer",
            """
            CREATE TABLE lexical_stats (
                only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
                chunk_count bigint NOT NULL,
                token_count bigint NOT NULL
            )
            """,
            "INSERT INTO lexical_stats (chunk_count, token_count) VALUES (0, 0)",
        ],
    ];

    public static int CurrentVersion => Versions.Length;

    /// <param name="upTo">Stops at this version (tests build an older database with it); null migrates to <see cref="CurrentVersion"/>.</param>
    public static async Task MigrateAsync(NpgsqlConnection connection, CancellationToken cancellationToken, int? upTo = null)
    {
        var target = upTo ?? CurrentVersion;
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, $"SELECT pg_advisory_xact_lock({LockKey})", cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction,
            "CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
            cancellationToken).ConfigureAwait(false);
        await using (var command = new NpgsqlCommand("SELECT coalesce(max(version), 0) FROM schema_version", connection, transaction))
        {
            var version = Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
            if (version > CurrentVersion)
                throw new PostgresUnavailableException(
                    $"the PostgreSQL memory has schema version {version}, newer than this MiniMe ({CurrentVersion}); upgrade MiniMe");
            for (var v = version + 1; v <= target; v++)
            {
                foreach (var statement in Versions[v - 1])
                    await ExecuteAsync(connection, transaction, statement, cancellationToken).ConfigureAwait(false);
                await using var record = new NpgsqlCommand("INSERT INTO schema_version (version) VALUES ($1)", connection, transaction);
                record.Parameters.AddWithValue(v);
                await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            // Chunks indexed before token counts were kept get them (and BM25's tokenization) now.
            if (version < target && target == CurrentVersion)
                await LexicalIndex.ReindexAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    internal static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
