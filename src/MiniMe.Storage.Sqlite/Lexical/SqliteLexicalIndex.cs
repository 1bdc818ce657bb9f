using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Lucene.Net.Documents;
using Lucene.Net.Index;
using Lucene.Net.Search;
using Lucene.Net.Search.Similarities;
using Lucene.Net.Store;
using Microsoft.Data.Sqlite;
using MiniMe.Memory;
using MiniMe.Memory.Lexical;

namespace MiniMe.Storage.Sqlite.Lexical;

/// <summary>
/// The Lucene.Net index of the chunks, kept next to memory.db as the folder memory.db.lexical. memory.db is the truth;
/// the folder is a cache of it. Every transaction that changes chunks bumps lexical_state.generation and logs the chunk
/// ids it added or removed (lexical_log); each Lucene commit records the memory's index_id and the generation it holds.
/// A search uses Lucene only when the searcher's commit holds exactly the generation memory.db has in the read
/// transaction that then fetches the hit rows; otherwise it catches the index up from the log (or rebuilds it from the
/// chunks when the folder is missing, corrupt, from another memory or older than the log), and while it cannot (another
/// process holds Lucene's write lock) the caller asks FTS5 for that query. A process killed between the SQLite commit
/// and the Lucene commit therefore costs a catch-up, never a wrong result.
/// </summary>
/// <remarks>
/// The writer is opened for a write and closed (committing) after <see cref="IdleCommit"/> without writes, at the first
/// search that needs its changes, or when the store is disposed: an import of many batches commits once, and the
/// write lock is not held by an idle process.
/// </remarks>
internal sealed class SqliteLexicalIndex : IDisposable
{
    private const string IndexIdKey = "minime.index_id";
    /// <summary>Versioned with the index's layout (exact lengths as norms): a folder of another layout has no generation and is rebuilt.</summary>
    private const string GenerationKey = "minime.generation.v1";
    private static readonly TimeSpan IdleCommit = TimeSpan.FromMilliseconds(500);
    /// <summary>How long a write waits for another process's writer before leaving the catch-up to the next search.</summary>
    private static readonly TimeSpan WriteLockWait = TimeSpan.FromSeconds(2);

    private readonly Func<SqliteConnection> _open;
    private readonly Fts5LikeAnalyzer _analyzer = new();
    private readonly Fts5Similarity _similarity = new();
    private readonly System.Threading.Lock _writeGate = new();
    private readonly System.Threading.Lock _readGate = new();
    private readonly ConcurrentBag<Session> _sessions = [];
    private readonly Timer _idle;
    private FSDirectory? _directory;
    private SearcherManager? _manager;
    private IndexWriter? _writer;
    private string? _writerIndexId;
    private long _writerGeneration;
    private bool _pending;
    private bool _checked;
    private bool _forceRebuild;
    private volatile bool _refreshWanted;
    private bool _disposed;

    public SqliteLexicalIndex(string databasePath, Func<SqliteConnection> open)
    {
        IndexPath = databasePath + ".lexical";
        _open = open;
        _idle = new Timer(_ => CloseWriter(), null, Timeout.Infinite, Timeout.Infinite);
    }

    public string IndexPath { get; }

    /// <summary>The last reason the index could not be used or written (memory.db is intact either way), for status output and tests.</summary>
    public string? Problem { get; private set; }

    /// <summary>The generation the last Lucene commit this process made or read holds; the log up to it may be pruned.</summary>
    public long CommittedGeneration { get; private set; }

    /// <summary>The hits of the expression, best first, or null when Lucene cannot answer it exactly now (the caller asks FTS5).</summary>
    public IReadOnlyList<Candidate>? TrySearch(string matchExpression, int limit, SearchFilter filter, Bm25Weights weights, CancellationToken cancellationToken)
    {
        if (LuceneQueryTranslator.Phrases(matchExpression) is not { } phrases) return null;
        var analyzed = LuceneQueryTranslator.AnalyzeAll(phrases, _analyzer);
        double[] columnWeights = [weights.Title, weights.Body, weights.Symbols];
        var session = _sessions.TryTake(out var pooled) ? pooled : new Session(_open());
        try
        {
            for (var attempt = 0; attempt < 2; attempt++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (attempt == 1 && !CatchUp(TimeSpan.Zero)) return null;
                using var transaction = session.Connection.BeginTransaction(deferred: true);
                var (indexId, generation) = session.ReadState(transaction);
                var searcher = Acquire(indexId, generation, session, transaction);
                if (searcher is null) continue;
                try
                {
                    var top = Fts5Ranking.Rank(searcher, searcher.Statistics, analyzed, columnWeights, ToFilter(filter), limit, session.Scratch);
                    var hits = new List<(long Id, double Score)>(top.Count);
                    foreach (var (doc, score) in top) hits.Add((searcher.ChunkId(doc), score));
                    var rows = session.Fetch(transaction, hits.Select(h => h.Id), cancellationToken);
                    var result = new List<Candidate>(hits.Count);
                    foreach (var (id, score) in hits)
                    {
                        // Same generation in the same snapshot: every hit is a row. A missing one means the folder lies.
                        if (!rows.TryGetValue(id, out var chunk))
                        {
                            Invalidate($"{IndexPath} names chunk {id}, which memory.db does not hold; rebuilding");
                            return null;
                        }
                        result.Add(new Candidate(chunk, score));
                    }
                    return result;
                }
                finally
                {
                    // SearcherManager.Release is exactly this; the manager may have been dropped meanwhile.
                    searcher.IndexReader.DecRef();
                }
            }
            return null;
        }
        catch (Exception e) when (IsIndexFailure(e))
        {
            Invalidate($"{IndexPath} could not be searched ({e.GetType().Name}: {e.Message}); rebuilding from memory.db");
            return null;
        }
        finally
        {
            if (_disposed) session.Dispose();
            else _sessions.Add(session);
        }
    }

    /// <summary>
    /// Applies a write memory.db just committed at <paramref name="generation"/>: directly from the rows when the
    /// writer holds the generation before it, from the log otherwise. Never throws for the index's sake: the rows are
    /// committed, and the next search catches up.
    /// </summary>
    public void OnWritten(long generation, IReadOnlyList<(long DocumentId, long? Replaced, IReadOnlyList<(long ChunkId, ChunkRecord Chunk)> Chunks, DocumentRecord Document)> writes)
    {
        Apply(generation, writer =>
        {
            foreach (var write in writes)
            {
                if (write.Replaced is { } replaced) writer.DeleteDocuments(new Term("doc", Key(replaced)));
                foreach (var (chunkId, chunk) in write.Chunks)
                    writer.AddDocument(Document(chunkId, write.DocumentId, write.Document.Domain, write.Document.Tags, chunk.Title, chunk.Text, chunk.Symbols));
            }
        });
    }

    /// <summary>Applies a delete memory.db just committed at <paramref name="generation"/>.</summary>
    public void OnDeleted(long generation, IReadOnlyList<long> documentIds) =>
        Apply(generation, writer =>
        {
            foreach (var id in documentIds) writer.DeleteDocuments(new Term("doc", Key(id)));
        });

    /// <summary>Brings the index to memory.db's generation and commits it; false when another process holds the write lock.</summary>
    public bool CatchUp(TimeSpan lockWait)
    {
        lock (_writeGate)
        {
            if (_disposed) return false;
            try
            {
                if (!OpenWriter(lockWait)) return false;
                CatchUpLocked();
                CommitLocked();
                _idle.Change(IdleCommit, Timeout.InfiniteTimeSpan);
                return true;
            }
            catch (Exception e) when (IsIndexFailure(e))
            {
                Problem = $"{IndexPath} could not be updated ({e.GetType().Name}: {e.Message}); searches use FTS5 until it is";
                DropWriter();
                return false;
            }
        }
    }

    public void Dispose()
    {
        lock (_writeGate)
        {
            if (_disposed) return;
            _disposed = true;
            _idle.Dispose();
            CloseLocked();
            lock (_readGate)
            {
                _manager?.Dispose();
                _manager = null;
                _directory?.Dispose();
                _directory = null;
            }
        }
        while (_sessions.TryTake(out var session)) session.Dispose();
        _analyzer.Dispose();
    }

    private void Apply(long generation, Action<IndexWriter> direct)
    {
        lock (_writeGate)
        {
            if (_disposed) return;
            try
            {
                if (!OpenWriter(WriteLockWait))
                {
                    Problem = $"{IndexPath} is being written by another process; the next search catches it up";
                    return;
                }
                if (_writerGeneration == generation - 1 && _writerIndexId is not null && !_forceRebuild)
                {
                    direct(_writer!);
                    _writerGeneration = generation;
                }
                // Someone else wrote in between (or the index is behind): the log has every change, in order.
                CatchUpLocked(generation);
                _pending = true;
                _idle.Change(IdleCommit, Timeout.InfiniteTimeSpan);
            }
            catch (Exception e) when (IsIndexFailure(e))
            {
                Problem = $"{IndexPath} could not be updated ({e.GetType().Name}: {e.Message}); the next search catches it up";
                DropWriter();
            }
        }
    }

    /// <summary>
    /// The searcher when its commit holds exactly (index id, generation), refreshing to the newest commit (and committing
    /// this process's pending writes) first if it does not; null when no commit does.
    /// </summary>
    private LexicalSearcher? Acquire(string indexId, long generation, Session session, SqliteTransaction transaction)
    {
        lock (_readGate)
        {
            if (_manager is null)
            {
                if (_forceRebuild || !System.IO.Directory.Exists(IndexPath)) return null;
                _directory ??= FSDirectory.Open(IndexPath);
                if (!DirectoryReader.IndexExists(_directory)) return null;
                try
                {
                    _manager = new SearcherManager(_directory, new Factory(_similarity));
                }
                catch (Exception e) when (IsIndexFailure(e))
                {
                    Problem = $"{IndexPath} could not be opened ({e.GetType().Name}: {e.Message}); rebuilding from memory.db";
                    _forceRebuild = true;
                    return null;
                }
            }
            if (_refreshWanted)
            {
                _refreshWanted = false;
                _manager.MaybeRefreshBlocking();
            }
            var searcher = (LexicalSearcher)_manager.Acquire();
            if (Matches(searcher, indexId, generation, session, transaction)) return searcher;
            _manager.Release(searcher);
        }
        // Commit this process's writer if it holds the generation (outside the read gate: the writer gate comes first).
        lock (_writeGate)
            if (_writer is not null && _pending && _writerGeneration == generation && _writerIndexId == indexId) CommitLocked();
        lock (_readGate)
        {
            if (_manager is null) return null;
            _manager.MaybeRefreshBlocking();
            var searcher = (LexicalSearcher)_manager.Acquire();
            if (Matches(searcher, indexId, generation, session, transaction)) return searcher;
            _manager.Release(searcher);
            return null;
        }
    }

    private bool Matches(LexicalSearcher searcher, string indexId, long generation, Session session, SqliteTransaction transaction)
    {
        if (searcher.Generation != generation || !string.Equals(searcher.IndexId, indexId, StringComparison.Ordinal)) return false;
        if (!_checked)
        {
            // Once per process: a folder whose commit claims this generation holds as many chunks as memory.db.
            if (searcher.IndexReader.NumDocs != session.CountChunks(transaction))
            {
                Problem = $"{IndexPath} holds {searcher.IndexReader.NumDocs} chunks, memory.db {session.CountChunks(transaction)}; rebuilding";
                _forceRebuild = true;
                return false;
            }
            _checked = true;
        }
        return true;
    }

    /// <summary>Makes the next catch-up rebuild the folder, and drops the searcher over it.</summary>
    private void Invalidate(string problem)
    {
        Problem = problem;
        lock (_writeGate)
        {
            DropWriter();
            lock (_readGate)
            {
                _manager?.Dispose();
                _manager = null;
                _directory?.Dispose();
                _directory = null;
            }
            _forceRebuild = true;
        }
    }

    private bool OpenWriter(TimeSpan lockWait)
    {
        if (_writer is not null) return true;
        _idle.Change(Timeout.Infinite, Timeout.Infinite);
        System.IO.Directory.CreateDirectory(IndexPath);
        FSDirectory directory;
        lock (_readGate) directory = _directory ??= FSDirectory.Open(IndexPath);
        IndexWriter writer;
        var rebuild = _forceRebuild;
        try
        {
            writer = new IndexWriter(directory, Config(rebuild ? OpenMode.CREATE : OpenMode.CREATE_OR_APPEND, lockWait));
        }
        catch (LockObtainFailedException)
        {
            return false;
        }
        catch (Exception e) when (IsIndexFailure(e))
        {
            // An unreadable commit: empty the folder under the write lock, then start an empty index and rebuild it.
            Problem = $"{IndexPath} was unreadable ({e.GetType().Name}: {e.Message}); rebuilt from memory.db";
            rebuild = true;
            using (var writeLock = directory.MakeLock(IndexWriter.WRITE_LOCK_NAME))
            {
                if (!writeLock.Obtain(Math.Max(1, (long)lockWait.TotalMilliseconds))) return false;
                foreach (var file in directory.ListAll())
                    if (file != IndexWriter.WRITE_LOCK_NAME) directory.DeleteFile(file);
            }
            writer = new IndexWriter(directory, Config(OpenMode.CREATE, lockWait));
        }
        _writer = writer;
        var data = rebuild ? null : writer.CommitData;
        _writerIndexId = data is not null && data.TryGetValue(IndexIdKey, out var id) ? id : null;
        _writerGeneration = data is not null && data.TryGetValue(GenerationKey, out var g) ? long.Parse(g, CultureInfo.InvariantCulture) : 0;
        if (rebuild) _forceRebuild = true;
        return true;
    }

    private IndexWriterConfig Config(OpenMode mode, TimeSpan lockWait) => new(Fts5LikeAnalyzer.Version, _analyzer)
    {
        OpenMode = mode,
        Similarity = _similarity,
        RAMBufferSizeMB = 48,
        WriteLockTimeout = (long)lockWait.TotalMilliseconds,
    };

    /// <summary>Brings the open writer to memory.db's generation (at least <paramref name="atLeast"/>): from the log, or rebuilt.</summary>
    private void CatchUpLocked(long atLeast = 0)
    {
        var writer = _writer!;
        using var connection = _open();
        using var transaction = connection.BeginTransaction(deferred: true);
        var (indexId, generation, prunedThrough) = ReadState(connection, transaction);
        if (generation < atLeast) throw new InvalidOperationException($"memory.db is at generation {generation}, below {atLeast} just committed");
        if (!_forceRebuild && _writerIndexId == indexId && _writerGeneration == generation) return;
        var rebuild = _forceRebuild || _writerIndexId != indexId || _writerGeneration > generation || _writerGeneration < prunedThrough;
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        if (rebuild)
        {
            writer.DeleteAll();
            command.CommandText = $"SELECT {RowColumns} FROM chunks c JOIN documents d ON d.id = c.document_id";
        }
        else
        {
            using (var changed = connection.CreateCommand())
            {
                changed.Transaction = transaction;
                changed.CommandText = "SELECT DISTINCT chunk_id FROM lexical_log WHERE generation > $from";
                changed.Parameters.AddWithValue("$from", _writerGeneration);
                using var reader = changed.ExecuteReader();
                while (reader.Read()) writer.DeleteDocuments(new Term("id", Key(reader.GetInt64(0))));
            }
            command.CommandText =
                $"SELECT {RowColumns} FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.id IN (SELECT chunk_id FROM lexical_log WHERE generation > $from)";
            command.Parameters.AddWithValue("$from", _writerGeneration);
        }
        using (var reader = command.ExecuteReader())
            while (reader.Read())
            {
                var source = reader.GetString(2);
                var heading = reader.IsDBNull(6) ? null : reader.GetString(6);
                var text = reader.GetString(5);
                var title = reader.IsDBNull(7) ? SymbolExtractor.ChunkTitle(source, heading) : reader.GetString(7);
                var symbols = reader.IsDBNull(8) ? SymbolExtractor.Extract(text) : reader.GetString(8);
                writer.AddDocument(Document(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(3), TagCodec.Decode(reader.GetString(4)), title, text, symbols));
            }
        _writerIndexId = indexId;
        _writerGeneration = generation;
        _pending = true;
        _forceRebuild = false;
        _checked = !rebuild && _checked;
    }

    private const string RowColumns = "c.id, c.document_id, d.source, c.domain, c.tags, c.text, c.heading, c.title, c.symbols";

    private void CommitLocked()
    {
        var writer = _writer!;
        writer.SetCommitData(new Dictionary<string, string>
        {
            [IndexIdKey] = _writerIndexId!,
            [GenerationKey] = _writerGeneration.ToString(CultureInfo.InvariantCulture),
        });
        writer.Commit();
        _pending = false;
        CommittedGeneration = _writerGeneration;
    }

    /// <summary>The idle timer: commit and release the write lock.</summary>
    private void CloseWriter()
    {
        lock (_writeGate)
        {
            if (_disposed || _writer is null) return;
            CloseLocked();
        }
    }

    /// <summary>Commits, lets running merges finish (a rollback would abort them and leave many small segments), and releases the lock.</summary>
    private void CloseLocked()
    {
        if (_writer is not { } writer) return;
        try
        {
            if (_pending) CommitLocked();
            writer.Dispose(waitForMerges: true);
            // The merged segments are a new commit at the same generation: let the next search pick them up.
            _refreshWanted = true;
            _writer = null;
            _writerIndexId = null;
            _writerGeneration = 0;
        }
        catch (Exception e) when (IsIndexFailure(e))
        {
            Problem = $"could not commit {IndexPath}: {e.Message}; it will be caught up from memory.db next time";
        }
        DropWriter();
    }

    private void DropWriter()
    {
        var writer = _writer;
        _writer = null;
        _pending = false;
        _writerIndexId = null;
        _writerGeneration = 0;
        if (writer is null) return;
        try
        {
            // Uncommitted changes are dropped: memory.db's log has them.
            writer.Rollback();
        }
        catch (Exception e) when (IsIndexFailure(e))
        {
            Problem ??= $"could not close the writer of {IndexPath}: {e.Message}";
        }
    }

    private static (string IndexId, long Generation, long PrunedThrough) ReadState(SqliteConnection connection, SqliteTransaction transaction)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT index_id, generation, pruned_through FROM lexical_state WHERE id = 1";
        using var reader = command.ExecuteReader();
        if (!reader.Read()) throw new InvalidOperationException("memory.db has no lexical_state row");
        return (reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2));
    }

    private static Document Document(long chunkId, long documentId, string domain, IReadOnlyList<string> tags, string title, string text, string symbols)
    {
        var document = new Document
        {
            new StringField("id", Key(chunkId), Field.Store.NO),
            new NumericDocValuesField("rowid", chunkId),
            new StringField("doc", Key(documentId), Field.Store.NO),
            new StringField("domain", domain, Field.Store.NO),
            new TextField("title", title, Field.Store.NO),
            new TextField("body", text, Field.Store.NO),
            new TextField("symbols", symbols, Field.Store.NO),
        };
        foreach (var tag in tags) document.Add(new StringField("tag", tag, Field.Store.NO));
        return document;
    }

    private static string Key(long id) => id.ToString(CultureInfo.InvariantCulture);

    private static Filter? ToFilter(SearchFilter filter)
    {
        if (filter.Domain is not { Length: > 0 } && filter.Tags is not { Count: > 0 }) return null;
        var must = new BooleanQuery();
        if (filter.Domain is { Length: > 0 } domain) must.Add(new TermQuery(new Term("domain", domain)), Occur.MUST);
        foreach (var tag in filter.Tags ?? []) must.Add(new TermQuery(new Term("tag", tag)), Occur.MUST);
        return new QueryWrapperFilter(must);
    }

    /// <summary>What a damaged, locked or vanished folder throws (Lucene reports corruption as IOException subclasses).</summary>
    private static bool IsIndexFailure(Exception e) =>
        e is IOException or UnauthorizedAccessException or LockObtainFailedException or IndexFormatTooOldException or IndexFormatTooNewException
            or InvalidOperationException or ArgumentException or IndexOutOfRangeException or NullReferenceException or FormatException
            or ObjectDisposedException;

    /// <summary>A searcher that knows the commit it reads, with every document's chunk id read once from doc values (shared by concurrent searches).</summary>
    private sealed class LexicalSearcher : IndexSearcher
    {
        private readonly long[] _ids;

        public LexicalSearcher(IndexReader reader, Similarity similarity) : base(reader)
        {
            Similarity = similarity;
            var data = ((DirectoryReader)reader).IndexCommit.UserData;
            IndexId = data.TryGetValue(IndexIdKey, out var id) ? id : null;
            Generation = data.TryGetValue(GenerationKey, out var g) ? long.Parse(g, CultureInfo.InvariantCulture) : -1;
            Statistics = new Fts5Ranking.Statistics(reader);
            _ids = new long[reader.MaxDoc];
            foreach (var leaf in reader.Leaves)
            {
                var ids = leaf.AtomicReader.GetNumericDocValues("rowid") ?? throw new CorruptIndexException($"segment {leaf} holds no chunk ids");
                for (var d = 0; d < leaf.AtomicReader.MaxDoc; d++) _ids[leaf.DocBase + d] = ids.Get(d);
            }
        }

        public string? IndexId { get; }

        public long Generation { get; }

        public Fts5Ranking.Statistics Statistics { get; }

        public long ChunkId(int doc) => _ids[doc];
    }

    private sealed class Factory(Similarity similarity) : SearcherFactory
    {
        public override IndexSearcher NewSearcher(IndexReader reader) => new LexicalSearcher(reader, similarity);
    }

    /// <summary>A pooled connection with the search's statements prepared once.</summary>
    private sealed class Session : IDisposable
    {
        private readonly SqliteCommand _state;
        private readonly SqliteCommand _fetch;
        private readonly SqliteParameter _ids;
        private readonly SqliteCommand _count;

        public Session(SqliteConnection connection)
        {
            Connection = connection;
            _state = connection.CreateCommand();
            _state.CommandText = "SELECT index_id, generation FROM lexical_state WHERE id = 1";
            _fetch = connection.CreateCommand();
            // CROSS JOIN keeps the id list the outer loop: rowid lookups, never a scan of chunks.
            _fetch.CommandText = $"SELECT {SqliteMemoryStore.ChunkColumns} FROM json_each($ids) AS j CROSS JOIN chunks c ON c.id = j.value JOIN documents d ON d.id = c.document_id";
            _ids = _fetch.Parameters.Add("$ids", SqliteType.Text);
            _count = connection.CreateCommand();
            _count.CommandText = "SELECT COUNT(*) FROM chunks";
        }

        public SqliteConnection Connection { get; }

        public Fts5Ranking.Scratch Scratch { get; } = new();

        public (string IndexId, long Generation) ReadState(SqliteTransaction transaction)
        {
            _state.Transaction = transaction;
            using var reader = _state.ExecuteReader();
            if (!reader.Read()) throw new InvalidOperationException("memory.db has no lexical_state row");
            return (reader.GetString(0), reader.GetInt64(1));
        }

        public long CountChunks(SqliteTransaction transaction)
        {
            _count.Transaction = transaction;
            return (long)_count.ExecuteScalar()!;
        }

        public Dictionary<long, StoredChunk> Fetch(SqliteTransaction transaction, IEnumerable<long> ids, CancellationToken cancellationToken)
        {
            var list = new StringBuilder("[");
            foreach (var id in ids)
            {
                if (list.Length > 1) list.Append(',');
                list.Append(id.ToString(CultureInfo.InvariantCulture));
            }
            list.Append(']');
            _fetch.Transaction = transaction;
            _ids.Value = list.ToString();
            var rows = new Dictionary<long, StoredChunk>();
            using var reader = _fetch.ExecuteReader();
            while (reader.Read())
            {
                cancellationToken.ThrowIfCancellationRequested();
                var chunk = SqliteMemoryStore.ReadChunk(reader);
                rows[chunk.Id] = chunk;
            }
            return rows;
        }

        public void Dispose()
        {
            _state.Dispose();
            _fetch.Dispose();
            _count.Dispose();
            Connection.Dispose();
        }
    }
}
