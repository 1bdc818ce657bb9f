using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using MiniMe.Memory.Migration;

namespace MiniMe.Storage.Sqlite;

public sealed partial class SqliteFactStore : IFactExport
{
    /// <summary>The whole store from one read transaction (one WAL snapshot), so the parts agree with each other.</summary>
    public Task<FactExport> ExportFactsAsync(CancellationToken cancellationToken)
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction(deferred: true);
        var facts = new List<ExportedFact>();
        var vectors = new List<ExportedFactVector>();
        using (var command = Command(connection, transaction, $"SELECT {Columns}, f.normalized_key, f.embedding_model, f.embedding FROM facts f ORDER BY f.id", []))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                cancellationToken.ThrowIfCancellationRequested();
                var fact = ReadFact(reader);
                facts.Add(new ExportedFact(fact, reader.GetString(ColumnCount)));
                if (!reader.IsDBNull(ColumnCount + 1) && !reader.IsDBNull(ColumnCount + 2))
                    vectors.Add(new ExportedFactVector(fact.Id, reader.GetString(ColumnCount + 1),
                        MemoryMarshal.Cast<byte, float>((byte[])reader.GetValue(ColumnCount + 2)).ToArray()));
            }
        }
        var history = ReadAll(connection, transaction, $"SELECT {HistoryColumns} FROM fact_history ORDER BY id", ReadHistory, cancellationToken);
        var reviews = ReadAll(connection, transaction, $"SELECT {ReviewColumns} FROM fact_reviews ORDER BY id", ReadReview, cancellationToken);
        transaction.Commit();
        return Task.FromResult(new FactExport(facts, history, reviews, vectors));
    }

    private static List<T> ReadAll<T>(SqliteConnection connection, SqliteTransaction transaction, string sql, Func<SqliteDataReader, T> read, CancellationToken cancellationToken)
    {
        using var command = Command(connection, transaction, sql, []);
        using var reader = command.ExecuteReader();
        var result = new List<T>();
        while (reader.Read())
        {
            cancellationToken.ThrowIfCancellationRequested();
            result.Add(read(reader));
        }
        return result;
    }
}
