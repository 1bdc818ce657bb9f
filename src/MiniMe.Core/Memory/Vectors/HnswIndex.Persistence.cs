using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace MiniMe.Memory.Vectors;

/// <summary>
/// The index file, little-endian:
/// header (64 bytes: magic "MMHNSW\r\n", format version, dims, M, efConstruction, node count,
/// entry point, top level, live count, level-generator state), the model name, then keys, levels,
/// tombstones, vectors, layer-0 links and upper-layer links, and a trailing XXH3-64 checksum of
/// everything before it. Written to a temporary file and renamed over the old one, so a crash
/// leaves the old file or the new one, never half of either.
/// </summary>
public sealed partial class HnswIndex
{
    public const int FormatVersion = 1;
    private const int HeaderBytes = 64;
    private static readonly byte[] Magic = "MMHNSW\r\n"u8.ToArray();
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Writes the index atomically. Concurrent searches may continue; writers wait.</summary>
    public void Save(string path, string model)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(model);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = $"{full}.{Guid.NewGuid():N}.tmp";
        _lock.EnterReadLock();
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                var hashed = new ChecksumStream(file);
                WriteBody(hashed, model);
                Span<byte> trailer = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(trailer, hashed.Checksum);
                file.Write(trailer);
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>
    /// Reads and verifies an index file. Throws <see cref="VectorIndexFormatException"/> when it is
    /// corrupt, truncated, of another format version or built for another model.
    /// <paramref name="options"/> supplies the query-time settings; M and efConstruction come from the file.
    /// </summary>
    public static HnswIndex Load(string path, string expectedModel, HnswOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(expectedModel);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        if (file.Length < HeaderBytes + 8) throw Corrupt(path, "shorter than its header");
        var hashed = new ChecksumStream(file);
        try
        {
            var index = ReadBody(hashed, file.Length - 8, path, expectedModel, options ?? new HnswOptions(), cancellationToken);
            Span<byte> trailer = stackalloc byte[8];
            file.ReadExactly(trailer);
            if (BinaryPrimitives.ReadUInt64LittleEndian(trailer) != hashed.Checksum)
                throw Corrupt(path, "checksum mismatch");
            if (file.Position != file.Length) throw Corrupt(path, "trailing bytes after the checksum");
            return index;
        }
        catch (EndOfStreamException e)
        {
            throw Corrupt(path, "truncated", e);
        }
        catch (DecoderFallbackException e)
        {
            throw Corrupt(path, "a key is not valid UTF-8", e);
        }
    }

    private void WriteBody(Stream stream, string model)
    {
        Span<byte> header = stackalloc byte[HeaderBytes];
        header.Clear();
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], FormatVersion);
        BinaryPrimitives.WriteInt32LittleEndian(header[12..], Dimensions);
        BinaryPrimitives.WriteInt32LittleEndian(header[16..], _m);
        BinaryPrimitives.WriteInt32LittleEndian(header[20..], Options.EfConstruction);
        BinaryPrimitives.WriteInt32LittleEndian(header[24..], _count);
        BinaryPrimitives.WriteInt32LittleEndian(header[28..], _entryPoint);
        BinaryPrimitives.WriteInt32LittleEndian(header[32..], _maxLevel);
        BinaryPrimitives.WriteInt32LittleEndian(header[36..], _nodeByKey.Count);
        BinaryPrimitives.WriteUInt64LittleEndian(header[40..], _rng);
        stream.Write(header);

        using var writer = new BinaryWriter(stream, StrictUtf8, leaveOpen: true);
        writer.Write(model);
        for (var i = 0; i < _count; i++) writer.Write(_keys[i]);
        writer.Write(_levels, 0, _count);
        for (var i = 0; i < _count; i++) writer.Write(_deleted[i]);
        writer.Flush();
        ForEachSegment(_vectors, Dimensions, (segment, length) => stream.Write(MemoryMarshal.AsBytes(segment.AsSpan(0, length))));
        ForEachSegment(_layer0, _m0 + 1, (segment, length) => stream.Write(MemoryMarshal.AsBytes(segment.AsSpan(0, length))));
        for (var i = 0; i < _count; i++)
            foreach (var links in _upper[i]) stream.Write(MemoryMarshal.AsBytes(links.AsSpan()));
    }

    private void ForEachSegment<T>(T[][] segments, int stride, Action<T[], int> write)
    {
        for (var s = 0; s * SegmentSize < _count; s++)
            write(segments[s], Math.Min(SegmentSize, _count - s * SegmentSize) * stride);
    }

    private static HnswIndex ReadBody(Stream stream, long bodyLength, string path, string expectedModel, HnswOptions options, CancellationToken cancellationToken)
    {
        Span<byte> header = stackalloc byte[HeaderBytes];
        stream.ReadExactly(header);
        if (!header[..8].SequenceEqual(Magic)) throw Corrupt(path, "not a MiniMe HNSW index file");
        var version = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
        if (version != FormatVersion) throw Corrupt(path, $"format version {version}, expected {FormatVersion}");
        var dims = BinaryPrimitives.ReadInt32LittleEndian(header[12..]);
        var m = BinaryPrimitives.ReadInt32LittleEndian(header[16..]);
        var efConstruction = BinaryPrimitives.ReadInt32LittleEndian(header[20..]);
        var count = BinaryPrimitives.ReadInt32LittleEndian(header[24..]);
        var entry = BinaryPrimitives.ReadInt32LittleEndian(header[28..]);
        var top = BinaryPrimitives.ReadInt32LittleEndian(header[32..]);
        var live = BinaryPrimitives.ReadInt32LittleEndian(header[36..]);
        var rng = BinaryPrimitives.ReadUInt64LittleEndian(header[40..]);
        if (dims is < 1 or > 65536 || m is < 4 or > 128 || efConstruction is < 8 or > 4096 || count < 0 || live < 0 || live > count
            || top is < -1 or > MaxLevel || (count == 0) != (entry == -1) || entry < -1 || entry >= count)
            throw Corrupt(path, "header values out of range");
        // Vectors and layer-0 links alone must fit in the file; refuse before allocating for a lying header.
        if ((long)count * (dims * 4L + (2L * m + 1) * 4 + 3) > bodyLength)
            throw Corrupt(path, "header promises more data than the file holds");

        using var reader = new BinaryReader(stream, StrictUtf8, leaveOpen: true);
        var model = reader.ReadString();
        if (!string.Equals(model, expectedModel, StringComparison.Ordinal))
            throw Corrupt(path, $"built for model '{model}', not '{expectedModel}'");

        var index = new HnswIndex(dims, options with { M = m, EfConstruction = efConstruction });
        index.EnsureCapacity(count);
        for (var i = 0; i < count; i++) index._keys[i] = reader.ReadString();
        stream.ReadExactly(index._levels.AsSpan(0, count));
        for (var i = 0; i < count; i++)
        {
            var b = reader.ReadByte();
            if (b > 1 || index._levels[i] > MaxLevel) throw Corrupt(path, $"node {i} has an invalid level or tombstone flag");
            index._deleted[i] = b == 1;
        }
        index._count = count;
        cancellationToken.ThrowIfCancellationRequested();
        index.ForEachSegment(index._vectors, dims, (segment, length) => stream.ReadExactly(MemoryMarshal.AsBytes(segment.AsSpan(0, length))));
        cancellationToken.ThrowIfCancellationRequested();
        index.ForEachSegment(index._layer0, 2 * m + 1, (segment, length) => stream.ReadExactly(MemoryMarshal.AsBytes(segment.AsSpan(0, length))));
        for (var i = 0; i < count; i++)
        {
            var level = index._levels[i];
            var upper = level == 0 ? [] : new int[level][];
            for (var l = 0; l < level; l++)
            {
                upper[l] = new int[m + 1];
                stream.ReadExactly(MemoryMarshal.AsBytes(upper[l].AsSpan()));
            }
            index._upper[i] = upper;
        }

        index.ValidateLoaded(path, entry, top, live);
        index._entryPoint = entry;
        index._maxLevel = top;
        index._rng = rng;
        return index;
    }

    /// <summary>Checks every link and key so a damaged file is refused rather than crashing a search later.</summary>
    private void ValidateLoaded(string path, int entry, int top, int live)
    {
        for (var node = 0; node < _count; node++)
        {
            var level = _levels[node];
            for (var l = 0; l <= level; l++)
            {
                var links = Links(node, l);
                var n = links[0];
                if (n < 0 || n > MaxLinks(l)) throw Corrupt(path, $"node {node} has {n} links on layer {l}");
                for (var i = 1; i <= n; i++)
                {
                    var target = links[i];
                    if ((uint)target >= (uint)_count || target == node || _levels[target] < l)
                        throw Corrupt(path, $"node {node} links to invalid node {target} on layer {l}");
                }
            }
            if (!_deleted[node] && !_nodeByKey.TryAdd(_keys[node], node))
                throw Corrupt(path, $"key '{_keys[node]}' is live twice");
        }
        if (_nodeByKey.Count != live) throw Corrupt(path, $"{_nodeByKey.Count} live keys, header says {live}");
        if (_count > 0 && _levels[entry] != top)
            throw Corrupt(path, "entry point is not on the top layer");
    }

    private static VectorIndexFormatException Corrupt(string path, string reason, Exception? inner = null) =>
        new($"Vector index {path} is unusable: {reason}.", inner);

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
