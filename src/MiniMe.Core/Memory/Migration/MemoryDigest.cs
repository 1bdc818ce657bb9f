using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace MiniMe.Memory.Migration;

/// <summary>
/// Counts and SHA-256 checksums of a whole memory, computed over its export stream. Two stores hold
/// the same memory exactly when their digests are equal. Timestamps count at microsecond resolution
/// (PostgreSQL's), everything else bit for bit: text, offsets, hashes, tags, reuse counts, vectors.
/// </summary>
public sealed record MemoryDigest(long Documents, long Chunks, long Embeddings, string DocumentsSha256, string ChunksSha256, string EmbeddingsSha256)
{
    public static async Task<MemoryDigest> ComputeAsync(IMemoryExport store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        using var builder = new Builder();
        await foreach (var document in store.ExportDocumentsAsync(cancellationToken).ConfigureAwait(false))
            builder.Add(document);
        await foreach (var embedding in store.ExportEmbeddingsAsync(cancellationToken).ConfigureAwait(false))
            builder.Add(embedding);
        return builder.Build();
    }

    /// <summary>Feeds items one at a time, in export order.</summary>
    public sealed class Builder : IDisposable
    {
        private readonly Field _documents = new();
        private readonly Field _chunks = new();
        private readonly Field _embeddings = new();
        private long _documentCount;
        private long _chunkCount;
        private long _embeddingCount;

        public void Add(ExportedDocument document)
        {
            ArgumentNullException.ThrowIfNull(document);
            var d = document.Document;
            _documentCount++;
            _documents.Text(d.Source).Text(d.ContentHash).Int(d.SizeBytes).Time(d.ModifiedAt).Text(d.Domain).Int(d.Tags.Count);
            foreach (var tag in d.Tags) _documents.Text(tag);
            _documents.Time(document.ImportedAt).Int(document.Chunks.Count);
            foreach (var c in document.Chunks)
            {
                _chunkCount++;
                _chunks.Text(d.Source).Int(c.Ordinal).Int(c.StartOffset).Int(c.EndOffset).Text(c.ContentHash).Text(c.Text)
                    .Text(c.Heading).Text(c.Title).Text(c.Symbols).Time(c.ImportedAt).Int(c.ReuseCount);
            }
        }

        public void Add(ExportedEmbedding embedding)
        {
            ArgumentNullException.ThrowIfNull(embedding);
            _embeddingCount++;
            _embeddings.Text(embedding.Model).Text(embedding.ContentHash).Int(embedding.Vector.Length).Floats(embedding.Vector.Span);
        }

        public MemoryDigest Build() => new(_documentCount, _chunkCount, _embeddingCount, _documents.Finish(), _chunks.Finish(), _embeddings.Finish());

        public void Dispose()
        {
            _documents.Dispose();
            _chunks.Dispose();
            _embeddings.Dispose();
        }
    }

    /// <summary>Length-prefixed little-endian fields, so no two different sequences hash the same bytes (also <see cref="FactDigest"/>'s).</summary>
    internal sealed class Field : IDisposable
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private readonly byte[] _scratch = new byte[8];

        public Field Int(long value)
        {
            BinaryPrimitives.WriteInt64LittleEndian(_scratch, value);
            _hash.AppendData(_scratch);
            return this;
        }

        public Field Text(string? value)
        {
            if (value is null) return Int(-1);
            var bytes = Encoding.UTF8.GetBytes(value);
            Int(bytes.Length);
            _hash.AppendData(bytes);
            return this;
        }

        public Field Time(DateTimeOffset value)
        {
            var ticks = value.UtcTicks;
            return Int(ticks - (ticks % 10));
        }

        public Field Floats(ReadOnlySpan<float> values)
        {
            if (BitConverter.IsLittleEndian)
            {
                _hash.AppendData(MemoryMarshal.AsBytes(values));
                return this;
            }
            foreach (var v in values)
            {
                BinaryPrimitives.WriteSingleLittleEndian(_scratch, v);
                _hash.AppendData(_scratch, 0, 4);
            }
            return this;
        }

        public string Finish() => Convert.ToHexStringLower(_hash.GetHashAndReset());

        public void Dispose() => _hash.Dispose();
    }
}
