using Npgsql;

namespace MiniMe.Storage.Postgres;

/// <summary>
/// The lexical index as the SQLite store's FTS5 table keeps it, so BM25 scores agree: each chunk's
/// tsvector (A title, B body, C symbols) is built with a Porter stemmer and no stopword list (FTS5's
/// "porter unicode61" drops nothing), chunks.search_length is the row's token count over all three
/// columns (FTS5's column sizes) with the title's and body's last positions, and lexical_stats holds the corpus totals (FTS5's averages record),
/// changed by the same transactions that write and delete chunks.
/// </summary>
internal static class LexicalIndex
{
    /// <summary>The text search configuration (created by the schema) that indexes and queries chunks.</summary>
    public const string Config = "minime_porter";

    /// <summary>The weighted tsvector of three normalized texts (SQL expressions), as chunks.search holds it.</summary>
    public static string Vector(string title, string body, string symbols) =>
        $"setweight(to_tsvector('{Config}', {title}), 'A') || setweight(to_tsvector('{Config}', {body}), 'B') || setweight(to_tsvector('{Config}', {symbols}), 'C')";

    /// <summary>
    /// A chunk's token counts from its <see cref="SearchText.Normalize"/>d columns: all tokens (FTS5's row
    /// size counts every token of every column; there are no stopwords to skip), and where the title and
    /// the body end in the tsvector, whose positions run on from column to column without gaps.
    /// </summary>
    public static (int Length, int TitleEnd, int BodyEnd) TokenCounts(string title, string body, string symbols)
    {
        var titleEnd = Count(title);
        var bodyEnd = titleEnd + Count(body);
        return (bodyEnd + Count(symbols), titleEnd, bodyEnd);
    }

    private static int Count(string normalized) => normalized.Length == 0 ? 0 : normalized.AsSpan().Count(' ') + 1;

    /// <summary>Adds chunks (and their tokens) to the corpus totals; negative to remove them.</summary>
    public static NpgsqlBatchCommand ChangeTotals(long chunks, long tokens)
    {
        var command = new NpgsqlBatchCommand("UPDATE lexical_stats SET chunk_count = chunk_count + $1, token_count = token_count + $2");
        command.Parameters.AddWithValue(chunks);
        command.Parameters.AddWithValue(tokens);
        return command;
    }

    /// <summary>
    /// Re-indexes chunks written before the schema kept token counts (search_length is null): their
    /// tsvectors were built with stopwords dropped, so both are rebuilt from the stored columns, in
    /// pages, inside the migration's transaction; then the totals are counted afresh and the column
    /// becomes required. Running it again finds nothing to do.
    /// </summary>
    public static async Task ReindexAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        const int Page = 1000;
        var after = 0L;
        while (true)
        {
            var ids = new List<long>(Page);
            var titles = new List<string>(Page);
            var bodies = new List<string>(Page);
            var symbols = new List<string>(Page);
            var lengths = new List<int>(Page);
            var titleEnds = new List<int>(Page);
            var bodyEnds = new List<int>(Page);
            await using (var select = new NpgsqlCommand(
                "SELECT id, title, text, symbols FROM chunks WHERE search_length IS NULL AND id > $1 ORDER BY id LIMIT $2", connection, transaction))
            {
                select.Parameters.AddWithValue(after);
                select.Parameters.AddWithValue(Page);
                await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var title = SearchText.Normalize(reader.GetString(1));
                    var body = SearchText.Normalize(reader.GetString(2));
                    var symbol = SearchText.Normalize(reader.GetString(3));
                    ids.Add(reader.GetInt64(0));
                    titles.Add(title);
                    bodies.Add(body);
                    symbols.Add(symbol);
                    var counts = TokenCounts(title, body, symbol);
                    lengths.Add(counts.Length);
                    titleEnds.Add(counts.TitleEnd);
                    bodyEnds.Add(counts.BodyEnd);
                }
            }
            if (ids.Count == 0) break;
            await using (var update = new NpgsqlCommand(
                $"""
                UPDATE chunks c SET search = {Vector("t.title", "t.body", "t.symbols")},
                    search_length = t.length, search_title_end = t.title_end, search_body_end = t.body_end
                FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::integer[], $6::integer[], $7::integer[])
                    AS t(id, title, body, symbols, length, title_end, body_end)
                WHERE c.id = t.id
                """, connection, transaction))
            {
                update.Parameters.AddWithValue(ids.ToArray());
                update.Parameters.AddWithValue(titles.ToArray());
                update.Parameters.AddWithValue(bodies.ToArray());
                update.Parameters.AddWithValue(symbols.ToArray());
                update.Parameters.AddWithValue(lengths.ToArray());
                update.Parameters.AddWithValue(titleEnds.ToArray());
                update.Parameters.AddWithValue(bodyEnds.ToArray());
                await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            after = ids[^1];
        }
        await PostgresSchema.ExecuteAsync(connection, transaction,
            "UPDATE lexical_stats SET chunk_count = (SELECT count(*) FROM chunks), token_count = (SELECT coalesce(sum(search_length), 0) FROM chunks)",
            cancellationToken).ConfigureAwait(false);
        await PostgresSchema.ExecuteAsync(connection, transaction, "ALTER TABLE chunks ALTER COLUMN search_length SET NOT NULL, ALTER COLUMN search_title_end SET NOT NULL, ALTER COLUMN search_body_end SET NOT NULL", cancellationToken).ConfigureAwait(false);
    }
}
