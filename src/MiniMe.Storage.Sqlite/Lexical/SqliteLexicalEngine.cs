namespace MiniMe.Storage.Sqlite;

/// <summary>Which engine ranks the SQLite store's lexical search.</summary>
public enum SqliteLexicalEngine
{
    /// <summary>Lucene.Net (BM25 per field with the column weights as boosts) in memory.db.lexical; FTS5 whenever it cannot answer exactly.</summary>
    Lucene,

    /// <summary>FTS5's bm25() only: the ranking the PostgreSQL store reproduces term for term.</summary>
    Fts5,
}
