using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using MiniMe.Memory;
using MiniMe.Storage.Sqlite;
using MiniMe.Tests.Support;

namespace MiniMe.Tests.Memory;

/// <summary>
/// The exact dense scan keeps the model's vectors in memory; every change to the embeddings table, by this
/// store, another store over the same file (as another process would be) or plain SQL, is seen by the next search.
/// </summary>
public sealed class SqliteExactScanCacheTests : IDisposable
{
    private const string Model = "m";
    private readonly TempDirectory _dir = new();

    private string DatabasePath => _dir.Combine("memory.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }

    private static DocumentWrite Doc(string source, string text) => new(
        new DocumentRecord(source, Hash(source + text), text.Length, DateTimeOffset.UtcNow, "general", []),
        [new ChunkRecord(0, 0, text.Length, text, Hash(text), null, Path.GetFileName(source), "")]);

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static float[] Unit(int axis)
    {
        var v = new float[8];
        v[axis] = 1;
        return v;
    }

    private static async Task<string[]> DenseAsync(SqliteMemoryStore store, int axis) =>
        [.. (await store.SearchDenseAsync(Model, Unit(axis), 10, SearchFilter.None, CancellationToken.None)).Where(h => h.RawScore > 0.5).Select(h => h.Chunk.Source)];

    private async Task<SqliteMemoryStore> OpenAsync()
    {
        var store = new SqliteMemoryStore(DatabasePath);
        await store.InitializeAsync(CancellationToken.None);
        return store;
    }

    private static Task EmbedAsync(SqliteMemoryStore store, string text, int axis) =>
        store.PutEmbeddingsAsync(Model, [(Hash(text), (ReadOnlyMemory<float>)Unit(axis))], CancellationToken.None);

    [Fact]
    public async Task Vectors_written_by_another_store_over_the_file_are_found_by_the_next_search()
    {
        await using var reader = await OpenAsync();
        await using var writer = await OpenAsync();
        await writer.WriteDocumentsAsync([Doc("/a.md", "alpha"), Doc("/b.md", "beta")], CancellationToken.None);
        await EmbedAsync(writer, "alpha", 0);
        Assert.Equal(["/a.md"], await DenseAsync(reader, 0));   // loads the copy
        Assert.Empty(await DenseAsync(reader, 1));

        await EmbedAsync(writer, "beta", 1);

        Assert.Equal(["/b.md"], await DenseAsync(reader, 1));
    }

    [Fact]
    public async Task A_vector_replaced_or_deleted_outside_the_store_is_not_served_from_the_copy()
    {
        await using var store = await OpenAsync();
        await store.WriteDocumentsAsync([Doc("/a.md", "alpha")], CancellationToken.None);
        await EmbedAsync(store, "alpha", 0);
        Assert.Equal(["/a.md"], await DenseAsync(store, 0));

        // Same key, same count of rows, another vector: only the generation tells the copy apart.
        await using (var other = await OpenAsync()) await EmbedAsync(other, "alpha", 2);
        Assert.Empty(await DenseAsync(store, 0));
        Assert.Equal(["/a.md"], await DenseAsync(store, 2));

        using (var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False"))
        {
            connection.Open();
            using var delete = connection.CreateCommand();
            delete.CommandText = "DELETE FROM embeddings";
            delete.ExecuteNonQuery();
        }
        Assert.Empty(await DenseAsync(store, 2));
    }

    [Fact]
    public async Task A_memory_from_before_the_vector_generation_gets_its_table_and_triggers()
    {
        await using (var store = await OpenAsync()) await store.WriteDocumentsAsync([Doc("/a.md", "alpha")], CancellationToken.None);
        using (var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False"))
        {
            connection.Open();
            using var downgrade = connection.CreateCommand();
            downgrade.CommandText = "DROP TRIGGER embeddings_inserted; DROP TRIGGER embeddings_updated; DROP TRIGGER embeddings_deleted; DROP TABLE vector_state; PRAGMA user_version = 3;";
            downgrade.ExecuteNonQuery();
        }
        SqliteConnection.ClearAllPools();

        await using var migrated = await OpenAsync();
        await EmbedAsync(migrated, "alpha", 0);
        Assert.Equal(["/a.md"], await DenseAsync(migrated, 0));
        await using (var other = await OpenAsync()) await EmbedAsync(other, "alpha", 3);
        Assert.Equal(["/a.md"], await DenseAsync(migrated, 3));
    }
}
