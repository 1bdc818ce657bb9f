using MiniMe.Memory;
using Npgsql;

namespace MiniMe.Storage.Postgres;

/// <summary>
/// Lexical search ranked by the BM25 that SQLite's FTS5 bm25() computes, so both stores order the same
/// corpus the same way: for each phrase of the query, idf = ln((N − n + 0.5) / (n + 0.5)) (1e-6 when not
/// positive) with n the rows holding the phrase, f = the sum of the column weights of its occurrences,
/// and score = Σ idf · f·(k1 + 1) / (f + k1·(1 − b + b·|D| / avgdl)), k1 1.2, b 0.75, |D| the row's
/// tokens over all columns and avgdl the corpus mean. The GIN index finds the matching rows; SQL sends
/// back only the positions of the query's lexemes in them (and whether each passes the filter); the
/// scores are computed here, and only the best rows' chunks are read.
/// </summary>
internal static class Bm25Search
{
    private const double K1 = 1.2;
    private const double B = 0.75;

    public static async Task<IReadOnlyList<Candidate>> SearchAsync(
        NpgsqlConnection connection, string matchExpression, int limit, SearchFilter filter, Bm25Weights weights, CancellationToken cancellationToken)
    {
        var phrases = TsQueryTranslator.Phrases(matchExpression);
        if (phrases.Count == 0 || limit < 1) return [];
        var words = phrases.SelectMany(p => p).Distinct(StringComparer.Ordinal).ToArray();

        // One snapshot for the corpus totals, the matching rows and their text. Under READ COMMITTED each
        // statement would see what other writers committed since the previous one: rows imported after
        // the totals were read would match while the totals miss them (N < n makes idf the log of a
        // negative number, NaN), and a chunk could vanish between ranking and reading it.
        await using var snapshot = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
        var (lexemes, corpus) = await LexemesAsync(connection, words, cancellationToken).ConfigureAwait(false);
        var query = phrases.Select(p => p.SelectMany(w => lexemes[w]).ToArray()).ToList();
        var rows = await OccurrencesAsync(connection, TsQueryTranslator.ToTsQuery(phrases), [.. query.SelectMany(p => p).Distinct(StringComparer.Ordinal)], filter, cancellationToken).ConfigureAwait(false);
        var ranked = Rank(query, rows, corpus, weights).Take(limit).ToList();
        if (ranked.Count == 0) return [];

        var chunks = new Dictionary<long, StoredChunk>(ranked.Count);
        await using (var command = new NpgsqlCommand(
            $"SELECT {PostgresMemoryStore.ChunkColumns} FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.id = ANY($1)", connection))
        {
            command.Parameters.AddWithValue(ranked.Select(r => r.Id).ToArray());
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var chunk = PostgresMemoryStore.ReadChunk(reader);
                chunks[chunk.Id] = chunk;
            }
        }
        await snapshot.CommitAsync(cancellationToken).ConfigureAwait(false);
        return ranked.Where(r => chunks.ContainsKey(r.Id)).Select(r => new Candidate(chunks[r.Id], r.Score)).ToList();
    }

    /// <summary>One matching row: its token count, whether it passes the filter, and where each query lexeme sits in it.</summary>
    internal sealed record Row(long Id, int Length, bool Kept, Dictionary<string, Dictionary<int, char>> Positions);

    /// <summary>The corpus totals BM25 needs: rows and tokens over all rows.</summary>
    internal readonly record struct Corpus(long Rows, long Tokens);

    /// <summary>
    /// Scores the rows passing the filter, best first (ties by id). Document frequencies count every
    /// matching row, filtered or not, as FTS5's do; a phrase occurs where its lexemes sit at consecutive
    /// positions of one column (weight letter), since FTS5 phrases never span columns.
    /// </summary>
    internal static IEnumerable<(long Id, double Score)> Rank(IReadOnlyList<string[]> phrases, IReadOnlyCollection<Row> rows, Corpus corpus, Bm25Weights weights)
    {
        var counts = new int[rows.Count, phrases.Count];
        var frequencies = new double[rows.Count, phrases.Count];
        var holding = new int[phrases.Count];
        var r = 0;
        foreach (var row in rows)
        {
            for (var p = 0; p < phrases.Count; p++)
            {
                var (count, frequency) = Occurrences(phrases[p], row.Positions, weights);
                counts[r, p] = count;
                frequencies[r, p] = frequency;
                if (count > 0) holding[p]++;
            }
            r++;
        }
        var idf = holding.Select(n =>
        {
            var value = Math.Log((corpus.Rows - n + 0.5) / (n + 0.5));
            return value <= 0 ? 1e-6 : value;
        }).ToArray();
        var averageLength = corpus.Rows > 0 ? (double)corpus.Tokens / corpus.Rows : 1;

        var scored = new List<(long Id, double Score)>();
        r = 0;
        foreach (var row in rows)
        {
            var found = false;
            var score = 0.0;
            for (var p = 0; p < phrases.Count; p++)
            {
                found |= counts[r, p] > 0;
                var f = frequencies[r, p];
                score += idf[p] * (f * (K1 + 1.0) / (f + K1 * (1 - B + B * row.Length / averageLength)));
            }
            if (found && row.Kept) scored.Add((row.Id, score));
            r++;
        }
        return scored.OrderByDescending(s => s.Score).ThenBy(s => s.Id);
    }

    private static (int Count, double Frequency) Occurrences(string[] phrase, Dictionary<string, Dictionary<int, char>> positions, Bm25Weights weights)
    {
        if (phrase.Length == 0 || !positions.TryGetValue(phrase[0], out var first)) return (0, 0);
        var rest = new Dictionary<int, char>[phrase.Length - 1];
        for (var j = 1; j < phrase.Length; j++)
            if (!positions.TryGetValue(phrase[j], out rest[j - 1]!)) return (0, 0);
        var count = 0;
        var frequency = 0.0;
        foreach (var (position, column) in first)
        {
            var whole = true;
            for (var j = 1; j < phrase.Length && whole; j++)
                whole = rest[j - 1].TryGetValue(position + j, out var next) && next == column;
            if (!whole) continue;
            count++;
            frequency += column switch
            {
                'A' => weights.Title,
                'B' => weights.Body,
                'C' => weights.Symbols,
                _ => 1.0,
            };
        }
        return (count, frequency);
    }

    /// <summary>Each query word's lexemes (in order) as the index stems them, and the corpus totals.</summary>
    private static async Task<(Dictionary<string, string[]> Lexemes, Corpus Corpus)> LexemesAsync(
        NpgsqlConnection connection, string[] words, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"""
            SELECT w, ARRAY(SELECT l.lexeme FROM unnest(to_tsvector('{LexicalIndex.Config}', w)) AS l ORDER BY l.positions[1]),
                   s.chunk_count, s.token_count
            FROM unnest($1::text[]) AS w, lexical_stats s
            """, connection);
        command.Parameters.AddWithValue(words);
        var lexemes = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var corpus = default(Corpus);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            lexemes[reader.GetString(0)] = reader.GetFieldValue<string[]>(1);
            corpus = new Corpus(reader.GetInt64(2), reader.GetInt64(3));
        }
        return (lexemes, corpus);
    }

    /// <summary>
    /// The matching rows with the positions of the query's lexemes: setweight marks those lexemes D and
    /// ts_filter keeps only them, so a few lexemes are unnested rather than the whole row; a position's
    /// column follows from where the row's title and body end (positions run on without gaps).
    /// </summary>
    private static async Task<List<Row>> OccurrencesAsync(
        NpgsqlConnection connection, string tsquery, string[] lexemes, SearchFilter filter, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand { Connection = connection };
        var sql = new SqlText(command);
        var query = sql.Param(tsquery);
        var wanted = sql.Param(lexemes);
        var kept = PostgresMemoryStore.FilterCondition(sql, filter) ?? "true";
        sql.Append(
            $"""
            SELECT c.id, c.search_length, c.search_title_end, c.search_body_end, {kept}, u.lexeme, u.positions
            FROM chunks c
            CROSS JOIN LATERAL unnest(ts_filter(setweight(c.search, 'd', {wanted}::text[]), ARRAY['d'::"char"])) AS u(lexeme, positions, weights)
            WHERE c.search @@ to_tsquery('{LexicalIndex.Config}', {query})
            """);
        var rows = new Dictionary<long, Row>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var id = reader.GetInt64(0);
            if (!rows.TryGetValue(id, out var row))
                rows[id] = row = new Row(id, reader.GetInt32(1), reader.GetBoolean(4), new Dictionary<string, Dictionary<int, char>>(StringComparer.Ordinal));
            var (titleEnd, bodyEnd) = (reader.GetInt32(2), reader.GetInt32(3));
            var positions = reader.GetFieldValue<short[]>(6);
            var at = new Dictionary<int, char>(positions.Length);
            foreach (var position in positions)
                at[position] = position <= titleEnd ? 'A' : position <= bodyEnd ? 'B' : 'C';
            row.Positions[reader.GetString(5)] = at;
        }
        return [.. rows.Values];
    }
}
