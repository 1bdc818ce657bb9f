using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;

namespace MiniMe.Storage.Sqlite;

/// <summary>
/// The vectors of one embedding model in memory, for the exact dense scan below the HNSW threshold: reading
/// every vector's blob out of SQLite was most of an unfiltered dense search (about 40% of a chat turn on a
/// 200-document memory). memory.db stays the truth: each search reads <c>vector_state.generation</c>, which
/// triggers bump on every change to the embeddings table from any process, and reloads the copy when it moved.
/// </summary>
internal sealed class SqliteExactScanCache(string model)
{
    private readonly Lock _gate = new();
    private Snapshot? _snapshot;

    private sealed record Snapshot(long Generation, string[] Hashes, float[] Vectors, int Dimensions);

    /// <summary>Every vector of the model with the query's dimensions, scored, best first.</summary>
    public List<(string Hash, float Score)> Scan(SqliteConnection connection, ReadOnlySpan<float> query, CancellationToken cancellationToken)
    {
        var snapshot = Current(connection, query.Length, cancellationToken);
        var scored = new List<(string Hash, float Score)>(snapshot.Hashes.Length);
        if (snapshot.Dimensions == query.Length)
            for (var i = 0; i < snapshot.Hashes.Length; i++)
                scored.Add((snapshot.Hashes[i], TensorPrimitives.Dot(query, snapshot.Vectors.AsSpan(i * query.Length, query.Length))));
        scored.Sort((a, b) => b.Score.CompareTo(a.Score));
        return scored;
    }

    private Snapshot Current(SqliteConnection connection, int dimensions, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            // The generation and the vectors are read in one transaction: a write between them cannot be half seen.
            using var transaction = connection.BeginTransaction(deferred: true);
            var generation = Generation(connection, transaction);
            if (_snapshot is { } held && held.Generation == generation && held.Dimensions == dimensions) return held;
            var hashes = new List<string>();
            var vectors = new List<float>();
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "SELECT content_hash, vector FROM embeddings WHERE model = $model AND dims = $dims";
            command.Parameters.AddWithValue("$model", model);
            command.Parameters.AddWithValue("$dims", dimensions);
            using (var reader = command.ExecuteReader())
                while (reader.Read())
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var vector = MemoryMarshal.Cast<byte, float>((byte[])reader.GetValue(1));
                    if (vector.Length != dimensions) continue;
                    hashes.Add(reader.GetString(0));
                    vectors.AddRange(vector);
                }
            transaction.Commit();
            var loaded = new Snapshot(generation, [.. hashes], [.. vectors], dimensions);
            // A file without the generation row (it cannot say what changed) is read anew every time.
            _snapshot = generation >= 0 ? loaded : null;
            return loaded;
        }
    }

    private static long Generation(SqliteConnection connection, SqliteTransaction transaction)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT generation FROM vector_state WHERE id = 1";
        return command.ExecuteScalar() is long generation ? generation : -1;
    }
}
