using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using MiniMe.Configuration;
using MiniMe.Memory.Vectors;

namespace MiniMe.Storage.Sqlite;

/// <summary>
/// The HNSW index of one embedding model, kept next to memory.db as memory.db.&lt;model&gt;.hnsw.
/// memory.db is the truth; the file is a cache of it: loaded lazily, reconciled with the stored
/// vectors on load (so a crash between a write and a save only costs a catch-up), updated as
/// vectors are written, saved when the store is disposed, and rebuilt from the store when it is
/// missing, corrupt or built with other parameters.
/// </summary>
internal sealed class SqliteVectorIndex(string databasePath, string model, VectorOptions options, Func<SqliteConnection> open)
{
    private readonly Lock _gate = new();
    private HnswIndex? _index;
    private long _storedVectors = -1;
    private bool _dirty;

    public string Model { get; } = model;

    public string IndexPath { get; } = $"{databasePath}.{FileSafe(model)}.hnsw";

    public string? Problem { get; private set; }

    private HnswOptions HnswOptions => new() { M = options.M, EfConstruction = options.EfConstruction, EfSearch = options.EfSearch };

    /// <summary>The index to search, or null when the exact scan applies (small memory, or a query of other dimensions).</summary>
    public HnswIndex? ForSearch(int queryDimensions, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            using var connection = open();
            var stored = StoredVectors(connection);
            if (stored == 0 || stored < options.AnnThreshold) return null;
            EnsureLoaded(connection, null, cancellationToken);
            return _index is { } index && index.Dimensions == queryDimensions ? index : null;
        }
    }

    /// <summary>Applies vectors just committed to the store. <paramref name="inserted"/> of them were new rows.</summary>
    public void OnStored(IReadOnlyList<(string ContentHash, ReadOnlyMemory<float> Vector)> vectors, int inserted, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_storedVectors >= 0) _storedVectors += inserted;
            if (_index is { } index)
            {
                var items = new List<KeyValuePair<string, ReadOnlyMemory<float>>>(vectors.Count);
                foreach (var (hash, vector) in vectors)
                    if (vector.Length == index.Dimensions && IsUsable(vector.Span)) items.Add(new(hash, vector));
                if (index.AddRange(items, cancellationToken: cancellationToken) > 0) _dirty = true;
                return;
            }
            using var connection = open();
            // Crossing the threshold builds the index now; loading reconciles, which picks these vectors up.
            if (StoredVectors(connection) >= options.AnnThreshold) EnsureLoaded(connection, null, cancellationToken);
        }
    }

    /// <summary>Drops vectors just deleted from the store (their texts are gone from every document).</summary>
    public void OnDeleted(IReadOnlyCollection<string> contentHashes)
    {
        lock (_gate)
        {
            _storedVectors = -1;
            if (_index is not { } index) return;
            foreach (var hash in contentHashes)
                if (index.Remove(hash)) _dirty = true;
        }
    }

    public VectorIndexStatus Rebuild(IProgress<VectorIndexProgress>? progress, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            using var connection = open();
            Build(connection, progress, cancellationToken);
            return StatusLocked(connection);
        }
    }

    public VectorIndexStatus Status()
    {
        lock (_gate)
        {
            using var connection = open();
            return StatusLocked(connection);
        }
    }

    /// <summary>Writes the index if it changed since it was loaded or saved. A failure is recorded, not thrown: memory.db is intact.</summary>
    public void Save()
    {
        lock (_gate) SaveLocked();
    }

    private void SaveLocked()
    {
        if (!_dirty || _index is null) return;
        try
        {
            _index.Save(IndexPath, Model);
            _dirty = false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Problem = $"could not write {IndexPath}: {e.Message}; it will be caught up from memory.db next time";
        }
    }

    private VectorIndexStatus StatusLocked(SqliteConnection connection)
    {
        var stored = StoredVectors(connection);
        return new VectorIndexStatus(Model, stored, IndexPath, File.Exists(IndexPath), stored > 0 && stored >= options.AnnThreshold,
            _index?.Count, _index?.DeletedCount, Problem);
    }

    private long StoredVectors(SqliteConnection connection)
    {
        if (_storedVectors < 0)
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT COUNT(*) FROM embeddings WHERE model = $model";
            command.Parameters.AddWithValue("$model", Model);
            _storedVectors = (long)command.ExecuteScalar()!;
        }
        return _storedVectors;
    }

    private void EnsureLoaded(SqliteConnection connection, IProgress<VectorIndexProgress>? progress, CancellationToken cancellationToken)
    {
        if (_index is not null) return;
        if (File.Exists(IndexPath))
        {
            try
            {
                var loaded = HnswIndex.Load(IndexPath, Model, HnswOptions, cancellationToken);
                if (loaded.Options.M != options.M)
                    Problem = $"{IndexPath} was built with m={loaded.Options.M}, configuration says {options.M}; rebuilt";
                else
                {
                    _index = loaded;
                    if (Reconcile(connection, progress, cancellationToken)) return;
                    _index = null;
                }
            }
            catch (VectorIndexFormatException e)
            {
                Problem = $"{e.Message} Rebuilt from memory.db.";
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Problem = $"could not read {IndexPath}: {e.Message}; rebuilt from memory.db";
            }
        }
        Build(connection, progress, cancellationToken);
    }

    /// <summary>Brings a loaded index in line with memory.db; false when a rebuild is the better way.</summary>
    private bool Reconcile(SqliteConnection connection, IProgress<VectorIndexProgress>? progress, CancellationToken cancellationToken)
    {
        var index = _index!;
        var stored = StoredVectors(connection);
        using (var dims = connection.CreateCommand())
        {
            dims.CommandText = "SELECT dims FROM embeddings WHERE model = $model LIMIT 1";
            dims.Parameters.AddWithValue("$model", Model);
            if (dims.ExecuteScalar() is long d && d != index.Dimensions)
            {
                Problem = $"{IndexPath} holds {index.Dimensions}-dimensional vectors, memory.db {d}; rebuilt";
                return false;
            }
        }
        if (index.Count == stored) return true;

        var keys = new HashSet<string>(StringComparer.Ordinal);
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT content_hash FROM embeddings WHERE model = $model";
            command.Parameters.AddWithValue("$model", Model);
            using var reader = command.ExecuteReader();
            while (reader.Read()) keys.Add(reader.GetString(0));
        }
        var extra = index.Keys.Where(k => !keys.Contains(k)).ToList();
        var missing = keys.Where(k => !index.Contains(k)).ToList();
        if (extra.Count + missing.Count > Math.Max(1000, stored / 3)) return false;

        foreach (var key in extra) index.Remove(key);
        var items = new List<KeyValuePair<string, ReadOnlyMemory<float>>>(missing.Count);
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT vector FROM embeddings WHERE content_hash = $hash AND model = $model";
            var hash = command.Parameters.Add("$hash", SqliteType.Text);
            command.Parameters.AddWithValue("$model", Model);
            foreach (var key in missing)
            {
                cancellationToken.ThrowIfCancellationRequested();
                hash.Value = key;
                if (command.ExecuteScalar() is byte[] blob && ToVector(blob) is { } vector && vector.Length == index.Dimensions)
                    items.Add(new(key, vector));
            }
        }
        index.AddRange(items, progress: Relay(progress, VectorIndexPhase.Building, items.Count), cancellationToken: cancellationToken);
        _dirty = extra.Count + items.Count > 0;
        return true;
    }

    private void Build(SqliteConnection connection, IProgress<VectorIndexProgress>? progress, CancellationToken cancellationToken)
    {
        var items = new List<KeyValuePair<string, ReadOnlyMemory<float>>>();
        var dims = -1;
        long rows = 0;
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT content_hash, vector FROM embeddings WHERE model = $model";
            command.Parameters.AddWithValue("$model", Model);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                if (++rows % 10_000 == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    progress?.Report(new VectorIndexProgress(Model, VectorIndexPhase.Reading, rows, 0));
                }
                if (ToVector((byte[])reader.GetValue(1)) is not { } vector) continue;
                if (dims < 0) dims = vector.Length;
                if (vector.Length == dims) items.Add(new(reader.GetString(0), vector));
            }
        }
        _storedVectors = rows;
        if (items.Count == 0)
        {
            _index = null;
            return;
        }
        var index = new HnswIndex(dims, HnswOptions);
        index.AddRange(items, progress: Relay(progress, VectorIndexPhase.Building, items.Count), cancellationToken: cancellationToken);
        _index = index;
        progress?.Report(new VectorIndexProgress(Model, VectorIndexPhase.Saving, 0, 1));
        _dirty = true;
        SaveLocked();
    }

    /// <summary>A stored vector, or null if it is zero or not finite (it can never be a cosine match).</summary>
    private static float[]? ToVector(byte[] blob)
    {
        var vector = MemoryMarshal.Cast<byte, float>(blob).ToArray();
        return vector.Length > 0 && IsUsable(vector) ? vector : null;
    }

    private static bool IsUsable(ReadOnlySpan<float> vector)
    {
        var any = false;
        foreach (var x in vector)
        {
            if (!float.IsFinite(x)) return false;
            any |= x != 0;
        }
        return any;
    }

    private IProgress<int>? Relay(IProgress<VectorIndexProgress>? progress, VectorIndexPhase phase, long total) =>
        progress is null ? null : new RelayProgress(done => progress.Report(new VectorIndexProgress(Model, phase, done, total)));

    /// <summary>memory.db.&lt;model&gt;.hnsw with the model name made safe for a file name (plus a hash if that changed it).</summary>
    internal static string FileSafe(string model)
    {
        var safe = new StringBuilder(model.Length);
        foreach (var c in model) safe.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_');
        var text = safe.ToString();
        if (text.Length > 80) text = text[..80];
        if (text == model && !text.StartsWith('.')) return text;
        return $"{text}-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(model)))[..8]}";
    }

    private sealed class RelayProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
