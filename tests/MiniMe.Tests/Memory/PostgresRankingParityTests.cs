using MiniMe.Configuration;
using MiniMe.Memory;
using MiniMe.Memory.Evaluation;
using MiniMe.Memory.Lexical;
using MiniMe.Memory.Retrieval;
using MiniMe.Storage.Postgres;
using MiniMe.Storage.Sqlite;
using MiniMe.Tests.Memory.Evaluation;
using MiniMe.Tests.Support;
using Npgsql;

namespace MiniMe.Tests.Memory;

/// <summary>
/// The PostgreSQL store ranks lexical results by the same BM25 as the SQLite store's FTS5: the same
/// corpus written to both, the same queries, the same order and (within rounding) the same scores.
/// </summary>
[Trait("Category", "Integration")]
[Collection(PostgresCollection.Name)]
[RequiresPostgres]
public sealed class PostgresRankingParityTests(PostgresServerFixture server) : IAsyncLifetime
{
    private static readonly Bm25Weights Defaults = new(2.5, 1.0, 0.7);

    private readonly TempDirectory _dir = new();
    private SqliteMemoryStore _sqlite = null!;
    private PostgresMemoryStore _postgres = null!;
    private string _connectionString = "";

    public async Task InitializeAsync()
    {
        _sqlite = new SqliteMemoryStore(_dir.Combine("memory.db"), lexicalEngine: SqliteLexicalEngine.Fts5);
        await _sqlite.InitializeAsync(CancellationToken.None);
        if (server.Binaries is null) return;
        _connectionString = await server.CreateDatabaseAsync();
        _postgres = new PostgresMemoryStore(_connectionString, PostgresVectorSearch.Exact);
        await _postgres.InitializeAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _sqlite.DisposeAsync();
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
            await server.DropDatabaseAsync(_connectionString);
        }
        _dir.Dispose();
    }

    private static DocumentWrite Doc(string source, string title, string body, string symbols = "", string domain = "general")
    {
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(source + title + body + symbols)));
        return new DocumentWrite(
            new DocumentRecord(source, hash, body.Length, DateTimeOffset.UtcNow, domain, []),
            [new ChunkRecord(0, 0, body.Length, body, hash, null, title, symbols)]);
    }

    /// <summary>Titles, bodies and identifiers of different lengths; "cache" is common, "eviction" rare.</summary>
    private static readonly DocumentWrite[] Corpus =
    [
        Doc("/a.md", "cache design", "the cache keeps recent entries in memory and drops the oldest when it is full"),
        Doc("/b.md", "notes", "cache cache cache: every request goes through the cache before the database"),
        Doc("/c.md", "eviction policy", "entries leave by least recent use; eviction runs when memory runs low"),
        Doc("/d.cs", "HttpClientFactory", "creates clients with pooled handlers", "http client factory create client"),
        Doc("/e.md", "release notes", "the http client now retries; the factory method creates a client per host"),
        Doc("/f.md", "database tuning", "an index on the timestamp column makes the nightly report fast"),
        Doc("/g.md", "operations", "the database backup runs nightly; restore drills happen every quarter", domain: "ops"),
        Doc("/h.md", "cache warming", "after a deploy the cache starts cold, so a warming job replays yesterday's top queries", domain: "ops"),
        Doc("/i.md", "long", "a long chunk about many unrelated things with one cache mention at the end " +
            string.Join(' ', Enumerable.Repeat("filler words to make this row much longer than the average row", 6))),
    ];

    private async Task WriteBothAsync(params DocumentWrite[] documents)
    {
        await _sqlite.WriteDocumentsAsync(documents, CancellationToken.None);
        await _postgres.WriteDocumentsAsync(documents, CancellationToken.None);
    }

    private Task AssertSameRankingAsync(string match, Bm25Weights? weights = null, SearchFilter? filter = null) =>
        AssertSameRankingAsync(_sqlite, match, weights, filter);

    private async Task AssertSameRankingAsync(SqliteMemoryStore sqlite, string match, Bm25Weights? weights = null, SearchFilter? filter = null)
    {
        var expected = await sqlite.SearchLexicalAsync(match, 20, filter ?? SearchFilter.None, weights ?? Defaults, CancellationToken.None);
        var actual = await _postgres.SearchLexicalAsync(match, 20, filter ?? SearchFilter.None, weights ?? Defaults, CancellationToken.None);
        Assert.NotEmpty(expected);
        Assert.Equal(expected.Select(c => c.Chunk.Source), actual.Select(c => c.Chunk.Source));
        foreach (var (e, a) in expected.Zip(actual))
            Assert.True(Math.Abs(e.RawScore - a.RawScore) <= 1e-9 * Math.Max(1, Math.Abs(e.RawScore)),
                $"{match}: {e.Chunk.Source} scores {e.RawScore:R} in SQLite but {a.RawScore:R} in PostgreSQL");
    }

    [StoreFact]
    public async Task Single_terms_rank_and_score_as_fts5_bm25_including_repeats_and_document_length()
    {
        await WriteBothAsync(Corpus);
        await AssertSameRankingAsync("\"cache\"");
        await AssertSameRankingAsync("\"database\"");
        await AssertSameRankingAsync("\"nightly\"");
    }

    [StoreFact]
    public async Task A_rare_term_outweighs_a_common_one_by_the_same_idf_as_fts5()
    {
        await WriteBothAsync(Corpus);
        await AssertSameRankingAsync("\"cache\" OR \"eviction\"");
        var top = (await _postgres.SearchLexicalAsync("\"cache\" OR \"eviction\"", 1, SearchFilter.None, Defaults, CancellationToken.None)).Single();
        Assert.Equal("/c.md", top.Chunk.Source);
    }

    [StoreFact]
    public async Task Column_weights_count_as_in_fts5_for_title_body_and_symbols()
    {
        await WriteBothAsync(Corpus);
        await AssertSameRankingAsync("\"client\" OR \"factory\"");
        await AssertSameRankingAsync("\"client\" OR \"factory\"", new Bm25Weights(0.5, 3.0, 0.1));
        await AssertSameRankingAsync("\"cache\"", new Bm25Weights(10, 1, 1));
    }

    [StoreFact]
    public async Task Phrases_score_per_occurrence_of_the_whole_phrase_and_per_mention_in_the_query()
    {
        await WriteBothAsync(Corpus);
        await AssertSameRankingAsync("\"http client factory\" OR \"client\"");
        await AssertSameRankingAsync(FtsQueryBuilder.Build("HttpClientFactory creates clients")!);
        // One phrase written twice ("--http-client" gives both) counts twice in FTS5.
        await AssertSameRankingAsync("\"http-client\" OR \"http client\" OR \"factory\"");
    }

    [StoreFact]
    public async Task Stopwords_are_indexed_and_searched_as_fts5_does()
    {
        await WriteBothAsync(Corpus);
        await AssertSameRankingAsync("\"the\"");
        await AssertSameRankingAsync("\"when\" OR \"every\"");
    }

    [StoreFact]
    public async Task A_filter_limits_the_rows_but_not_the_corpus_statistics()
    {
        await WriteBothAsync(Corpus);
        await AssertSameRankingAsync("\"cache\" OR \"nightly\"", filter: new SearchFilter("ops", null));
    }

    /// <remarks>
    /// FTS5's contentless_delete table leaves its totals as they were when a row is deleted (only the
    /// postings get tombstones), so after deletes the SQLite store still counts the removed rows in N and
    /// avgdl. PostgreSQL keeps the exact totals: it ranks as FTS5 does over a corpus holding only the
    /// surviving documents, which a fresh SQLite store shows.
    /// </remarks>
    [StoreFact]
    public async Task Deleting_and_rewriting_documents_keep_the_statistics_exact()
    {
        await _postgres.WriteDocumentsAsync(Corpus, CancellationToken.None);
        await _postgres.DeleteDocumentsAsync(["/b.md", "/i.md"], CancellationToken.None);
        // A rewrite replaces the old chunks in the totals; a batch naming one source twice keeps the last.
        var rewritten = Doc("/a.md", "cache design", "the cache keeps entries and the memory stays small");
        await _postgres.WriteDocumentsAsync([Doc("/a.md", "cache", "shorter now"), rewritten], CancellationToken.None);
        await AssertTotalsAreExactAsync();

        await using var survivors = new SqliteMemoryStore(_dir.Combine("survivors.db"), lexicalEngine: SqliteLexicalEngine.Fts5);
        await survivors.InitializeAsync(CancellationToken.None);
        await survivors.WriteDocumentsAsync(
            [.. Corpus.Where(d => d.Document.Source is not ("/a.md" or "/b.md" or "/i.md")), rewritten], CancellationToken.None);
        await AssertSameRankingAsync(survivors, "\"cache\" OR \"memory\"");
        await AssertSameRankingAsync(survivors, "\"nightly\" OR \"the\"");
    }

    [StoreFact]
    public async Task A_version_one_database_is_reindexed_with_token_counts_and_ranks_as_fts5()
    {
        // A database as version 1 left it: stopwords dropped by the english configuration, no token counts.
        var connectionString = await server.CreateDatabaseAsync();
        try
        {
            await using (var connection = new NpgsqlConnection(connectionString))
            {
                await connection.OpenAsync();
                await PostgresSchema.MigrateAsync(connection, CancellationToken.None, upTo: 1);
                await using var insert = new NpgsqlCommand(
                    """
                    WITH d AS (
                        INSERT INTO documents (source, content_hash, size_bytes, modified_at, domain, tags, imported_at)
                        SELECT s, s, 1, now(), 'general', '{}', now() FROM unnest($1::text[]) s RETURNING id, source)
                    INSERT INTO chunks (document_id, ordinal, start_offset, end_offset, text, content_hash, domain, tags, imported_at, title, symbols, search)
                    SELECT d.id, 0, 0, 1, t.body, d.source, 'general', '{}', now(), t.title, t.symbols,
                           setweight(to_tsvector('english', t.title), 'A') || setweight(to_tsvector('english', t.body), 'B') || setweight(to_tsvector('english', t.symbols), 'C')
                    FROM d JOIN unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS t(source, title, body, symbols) ON t.source = d.source
                    """, connection);
                insert.Parameters.AddWithValue(Corpus.Select(w => w.Document.Source).ToArray());
                insert.Parameters.AddWithValue(Corpus.Select(w => w.Chunks[0].Title).ToArray());
                insert.Parameters.AddWithValue(Corpus.Select(w => w.Chunks[0].Text).ToArray());
                insert.Parameters.AddWithValue(Corpus.Select(w => w.Chunks[0].Symbols).ToArray());
                Assert.Equal(Corpus.Length, await insert.ExecuteNonQueryAsync());
            }
            await _postgres.DisposeAsync();
            await server.DropDatabaseAsync(_connectionString);
            _connectionString = connectionString;
            _postgres = new PostgresMemoryStore(connectionString, PostgresVectorSearch.Exact);
            await _postgres.InitializeAsync(CancellationToken.None);
        }
        catch
        {
            await server.DropDatabaseAsync(connectionString);
            throw;
        }
        await _sqlite.WriteDocumentsAsync(Corpus, CancellationToken.None);

        await AssertSameRankingAsync("\"the\" OR \"cache\"");
        await AssertSameRankingAsync("\"http client factory\" OR \"eviction\"");
        await AssertTotalsAreExactAsync();
    }

    [StoreFact]
    public async Task Lexical_evaluation_of_a_project_dataset_gives_the_same_ndcg_on_both_stores()
    {
        var dataset = BeirReader.Read(Path.Combine(RepositoryRoot(), "eval", "datasets", "minime-chat"), "test");
        var sqlite = await new RetrievalEvaluator(_sqlite, new RetrievalOptions(), new ImportOptions())
            .EvaluateAsync(dataset, 10, CancellationToken.None, RetrievalMode.Lexical);
        var postgres = await new RetrievalEvaluator(_postgres, new RetrievalOptions(), new ImportOptions())
            .EvaluateAsync(dataset, 10, CancellationToken.None, RetrievalMode.Lexical);
        Assert.True(sqlite.Ndcg > 0.3, $"SQLite nDCG@10 {sqlite.Ndcg}");
        Assert.Equal(sqlite.Ndcg, postgres.Ndcg, 0.01);
        Assert.Equal(sqlite.Mrr, postgres.Mrr, 0.01);
    }

    [StoreFact]
    public async Task Eval_retrieval_on_the_postgres_store_reports_the_sqlite_figures_and_leaves_no_schema_behind()
    {
        var home = _dir.Combine("ws");
        Assert.Equal(0, (await CliRunner.RunAsync("init", "--home", home, "--name", "t")).ExitCode);
        var config = Path.Combine(home, "config.yaml");
        var dataset = TinyBeir.Write(_dir.Combine("tiny"));
        var onSqlite = await CliRunner.RunAsync("eval", "retrieval", "--dataset", dataset, "--home", home, "--mode", "lexical");
        Assert.Equal(0, onSqlite.ExitCode);

        var yaml = await File.ReadAllTextAsync(config);
        Assert.Contains("  store: sqlite", yaml, StringComparison.Ordinal);
        await File.WriteAllTextAsync(config, yaml.Replace("  store: sqlite", $"  store: postgres\n  connectionString: \"{_connectionString}\"", StringComparison.Ordinal));
        var onPostgres = await CliRunner.RunAsync("eval", "retrieval", "--dataset", dataset, "--home", home, "--mode", "lexical");
        Assert.True(onPostgres.ExitCode == 0, onPostgres.Error + onPostgres.Out);

        Assert.Equal(Metrics(onSqlite.Out), Metrics(onPostgres.Out));
        Assert.Contains($"nDCG@10    {TinyBeir.Ndcg10.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture)}", onPostgres.Out, StringComparison.Ordinal);
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var schemas = new NpgsqlCommand("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'minime_eval_%'", connection);
        Assert.Equal(0L, await schemas.ExecuteScalarAsync());

        static string[] Metrics(string output) =>
            [.. output.Split('\n').Where(l => l.StartsWith("nDCG@", StringComparison.Ordinal) || l.StartsWith("recall@", StringComparison.Ordinal) || l.StartsWith("MRR@", StringComparison.Ordinal))];
    }

    /// <summary>lexical_stats holds exactly the rows and tokens in chunks, as FTS5's averages record does.</summary>
    private async Task AssertTotalsAreExactAsync()
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT s.chunk_count, s.token_count, (SELECT count(*) FROM chunks), (SELECT coalesce(sum(search_length), 0)::bigint FROM chunks) FROM lexical_stats s",
            connection);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(reader.GetInt64(2), reader.GetInt64(0));
        Assert.Equal(reader.GetInt64(3), reader.GetInt64(1));
    }

    private static string RepositoryRoot()
    {
        var root = AppContext.BaseDirectory;
        while (root is not null && !File.Exists(Path.Combine(root, "MiniMe.slnx"))) root = Path.GetDirectoryName(root);
        Assert.NotNull(root);
        return root;
    }
}
