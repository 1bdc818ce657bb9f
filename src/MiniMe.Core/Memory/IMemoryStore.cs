namespace MiniMe.Memory;

/// <summary>An imported document as the store knows it.</summary>
public sealed record DocumentRecord(
    string Source,
    string ContentHash,
    long SizeBytes,
    DateTimeOffset ModifiedAt,
    string Domain,
    IReadOnlyList<string> Tags);

/// <summary>One chunk to store. Offsets are character offsets into the decoded document text.</summary>
public sealed record ChunkRecord(
    int Ordinal,
    int StartOffset,
    int EndOffset,
    string Text,
    string ContentHash,
    string? Heading,
    string Title,
    string Symbols);

/// <summary>A document and all of its chunks, written atomically (replacing any previous version).</summary>
public sealed record DocumentWrite(DocumentRecord Document, IReadOnlyList<ChunkRecord> Chunks);

public sealed record WriteResult(int ChunksAdded, int ChunksRemoved);

/// <summary>Restricts candidates. Null members do not filter.</summary>
public sealed record SearchFilter(string? Domain = null, IReadOnlyList<string>? Tags = null)
{
    public static SearchFilter None { get; } = new();
}

/// <summary>Per-column weights for BM25 (title, body, symbols).</summary>
public sealed record Bm25Weights(double Title, double Body, double Symbols);

/// <summary>A candidate from one retriever, before fusion. Higher raw score is better.</summary>
public sealed record Candidate(StoredChunk Chunk, double RawScore);

/// <summary>A chunk as read back from the store.</summary>
public sealed record StoredChunk(
    long Id,
    string Source,
    int StartOffset,
    int EndOffset,
    string Domain,
    IReadOnlyList<string> Tags,
    string Text,
    string? Heading,
    string ContentHash,
    DateTimeOffset ImportedAt,
    int ReuseCount);

public sealed record MemoryStats(long Documents, long Chunks, long Embeddings, IReadOnlyDictionary<string, long> ChunksByDomain);

/// <summary>A stored document as `minime documents list` shows it: where it came from, its chunks and size, how it was filed.</summary>
public sealed record DocumentSummary(
    string Source,
    int Chunks,
    long SizeBytes,
    string Domain,
    IReadOnlyList<string> Tags,
    DateTimeOffset ImportedAt);

/// <summary>A chunk that still needs a vector for a given embedding model.</summary>
public sealed record PendingEmbedding(string ContentHash, string Text);

/// <summary>
/// The memory store. SQLite is the embedded default; a PostgreSQL store satisfies the same contract.
/// Every write is atomic: a crash leaves either the old or the new version of a document.
/// </summary>
public interface IMemoryStore : IAsyncDisposable
{
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Source path to content hash for every stored document.</summary>
    Task<IReadOnlyDictionary<string, string>> GetDocumentHashesAsync(CancellationToken cancellationToken);

    /// <summary>Writes documents in one transaction; each replaces the chunks of its previous version.</summary>
    Task<IReadOnlyList<WriteResult>> WriteDocumentsAsync(IReadOnlyList<DocumentWrite> documents, CancellationToken cancellationToken);

    /// <summary>
    /// Removes documents with their chunks and full-text postings in one transaction, and the vectors
    /// of chunk texts no other document holds; unknown sources are ignored. Returns the chunks removed.
    /// </summary>
    Task<int> DeleteDocumentsAsync(IReadOnlyCollection<string> sources, CancellationToken cancellationToken);

    /// <summary>
    /// Every stored document whose source starts with <paramref name="sourcePrefix"/> (a plain string
    /// prefix, compared ordinally; null lists all), ordered by source (ordinal), with its chunk count.
    /// </summary>
    Task<IReadOnlyList<DocumentSummary>> ListDocumentsAsync(string? sourcePrefix, CancellationToken cancellationToken);

    /// <summary>Full-text candidates for an FTS match expression, best first.</summary>
    Task<IReadOnlyList<Candidate>> SearchLexicalAsync(string matchExpression, int limit, SearchFilter filter, Bm25Weights weights, CancellationToken cancellationToken);

    /// <summary>Exact cosine-similarity candidates for a unit-length query vector, best first.</summary>
    Task<IReadOnlyList<Candidate>> SearchDenseAsync(string model, ReadOnlyMemory<float> query, int limit, SearchFilter filter, CancellationToken cancellationToken);

    /// <summary>
    /// One page of the distinct chunk texts with no vector for <paramref name="model"/> yet: ordered by
    /// content hash (ordinal), only hashes after <paramref name="afterContentHash"/> (null: from the
    /// start), at most <paramref name="limit"/>. Pass the last hash of a page to get the next one
    /// (keyset pagination: each page costs what it returns, not what came before it).
    /// </summary>
    Task<IReadOnlyList<PendingEmbedding>> GetPendingEmbeddingsAsync(string model, string? afterContentHash, int limit, CancellationToken cancellationToken);

    /// <summary>How many distinct chunk texts have no vector for <paramref name="model"/> yet.</summary>
    Task<long> CountPendingEmbeddingsAsync(string model, CancellationToken cancellationToken);

    Task PutEmbeddingsAsync(string model, IReadOnlyList<(string ContentHash, ReadOnlyMemory<float> Vector)> vectors, CancellationToken cancellationToken);

    /// <summary>Counts that chunks were used in an assembled context (feeds the reuse mask weight).</summary>
    Task IncrementReuseAsync(IReadOnlyCollection<long> chunkIds, CancellationToken cancellationToken);

    Task<MemoryStats> GetStatsAsync(CancellationToken cancellationToken);
}
