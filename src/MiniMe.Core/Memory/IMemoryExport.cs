namespace MiniMe.Memory;

/// <summary>A stored chunk with everything needed to recreate it elsewhere, including its index fields and usage.</summary>
public sealed record ExportedChunk(
    int Ordinal,
    int StartOffset,
    int EndOffset,
    string Text,
    string ContentHash,
    string? Heading,
    string Title,
    string Symbols,
    DateTimeOffset ImportedAt,
    int ReuseCount);

/// <summary>A stored document and its chunks in ordinal order.</summary>
public sealed record ExportedDocument(DocumentRecord Document, DateTimeOffset ImportedAt, IReadOnlyList<ExportedChunk> Chunks);

/// <summary>One stored vector, keyed like the store keys it: by chunk content hash and model.</summary>
public sealed record ExportedEmbedding(string ContentHash, string Model, ReadOnlyMemory<float> Vector);

/// <summary>
/// Reads a whole memory back in a stable order (documents by source in ordinal/byte order, chunks by
/// ordinal, embeddings by model then content hash), so two stores can be compared item by item.
/// </summary>
public interface IMemoryExport
{
    IAsyncEnumerable<ExportedDocument> ExportDocumentsAsync(CancellationToken cancellationToken);

    IAsyncEnumerable<ExportedEmbedding> ExportEmbeddingsAsync(CancellationToken cancellationToken);
}

/// <summary>Writes exported items with full fidelity (timestamps and reuse counts kept); each call is one transaction.</summary>
public interface IMemoryImport
{
    /// <summary>Each document replaces any stored document with the same source.</summary>
    Task ImportDocumentsAsync(IReadOnlyList<ExportedDocument> documents, CancellationToken cancellationToken);

    /// <summary>Inserts or overwrites vectors by (content hash, model).</summary>
    Task ImportEmbeddingsAsync(IReadOnlyList<ExportedEmbedding> embeddings, CancellationToken cancellationToken);
}
