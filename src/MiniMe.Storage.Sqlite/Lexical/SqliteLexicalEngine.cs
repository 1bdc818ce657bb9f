namespace MiniMe.Storage.Sqlite;

/// <summary>Which engine ranks the SQLite store's lexical search.</summary>
public enum SqliteLexicalEngine
{
    /// <summary>Lucene.Net postings in memory.db.lexical ranked with FTS5's bm25() formula; FTS5 whenever it cannot answer exactly.</summary>
    Lucene,

    /// <summary>FTS5's bm25() only: the ranking the PostgreSQL store reproduces term for term.</summary>
    Fts5,
}
