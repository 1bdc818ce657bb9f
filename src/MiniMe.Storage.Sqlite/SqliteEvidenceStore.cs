using System.Globalization;
using Microsoft.Data.Sqlite;
using MiniMe.Evidence;

namespace MiniMe.Storage.Sqlite;

/// <summary>
/// The evidence graph in memory.db (schema v5): evidence_edges, unique by ends and relation, with the chunk-to-document
/// links read from the chunks table; triggers delete the edges of deleted documents, chunks and facts (SqliteSchema).
/// </summary>
public sealed class SqliteEvidenceStore : IEvidenceStore
{
    private const string EdgeColumns = "from_kind, from_id, relation, to_kind, to_id, at, detail";

    private readonly SqliteDatabase _database;
    private readonly bool _ownsDatabase;

    public SqliteEvidenceStore(string databasePath, bool allowEmptyFile = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        _database = new SqliteDatabase(databasePath, allowEmptyFile);
        _ownsDatabase = true;
    }

    /// <summary>
    /// Over the database instance of a store that is open already (SqliteMemoryStore.Evidence, SqliteFactStore.Evidence),
    /// so recording evidence beside that store's writes makes no second writer of the file: a second instance would find
    /// the verified stamp stale and check the whole file again. That store initializes and disposes the database.
    /// </summary>
    internal SqliteEvidenceStore(SqliteDatabase database)
    {
        _database = database;
    }

    public string DatabasePath => _database.Path;

    public Task InitializeAsync(CancellationToken cancellationToken)
    {
        if (_ownsDatabase) _database.Initialize(cancellationToken);
        return Task.CompletedTask;
    }

    public Task AddEdgesAsync(IReadOnlyList<EvidenceEdge> edges, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(edges);
        Refuse(edges);
        if (edges.Count == 0) return Task.CompletedTask;
        using var connection = _database.OpenForWrite();
        using var transaction = connection.BeginTransaction();
        using var insert = Insert(connection, transaction);
        foreach (var edge in edges)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Bind(insert, edge);
            insert.ExecuteNonQuery();
        }
        transaction.Commit();
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<EvidenceEdge>> EdgesOfAsync(IReadOnlyCollection<EvidenceNode> nodes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        using var connection = _database.Open();
        var result = new HashSet<EvidenceEdge>();
        using var from = Command(connection, $"SELECT {EdgeColumns} FROM evidence_edges WHERE from_kind = $kind AND from_id = $id");
        using var to = Command(connection, $"SELECT {EdgeColumns} FROM evidence_edges WHERE to_kind = $kind AND to_id = $id");
        using var chunkDocument = Command(connection, "SELECT document_id, imported_at FROM chunks WHERE id = $id");
        using var documentChunks = Command(connection, "SELECT id, imported_at FROM chunks WHERE document_id = $id ORDER BY ordinal");
        foreach (var node in nodes.Where(EvidenceNode.IsValid))
        {
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var command in new[] { from, to })
            {
                command.Parameters["$kind"].Value = node.Kind;
                command.Parameters["$id"].Value = node.Id;
                using var reader = command.ExecuteReader();
                while (reader.Read()) result.Add(ReadEdge(reader, 0));
            }
            if (node.Kind == EvidenceKinds.Chunk)
            {
                chunkDocument.Parameters["$id"].Value = node.Number();
                using var reader = chunkDocument.ExecuteReader();
                if (reader.Read())
                    result.Add(new EvidenceEdge(node, EvidenceRelations.DerivedFrom, EvidenceNode.Document(reader.GetInt64(0)), Time(reader.GetString(1))));
            }
            else if (node.Kind == EvidenceKinds.Document)
            {
                documentChunks.Parameters["$id"].Value = node.Number();
                using var reader = documentChunks.ExecuteReader();
                while (reader.Read())
                    result.Add(new EvidenceEdge(EvidenceNode.Chunk(reader.GetInt64(0)), EvidenceRelations.DerivedFrom, node, Time(reader.GetString(1))));
            }
        }
        return Task.FromResult<IReadOnlyList<EvidenceEdge>>([.. result]);
    }

    public Task<IReadOnlyDictionary<EvidenceNode, string>> DescribeAsync(IReadOnlyCollection<EvidenceNode> nodes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        using var connection = _database.Open();
        var labels = new Dictionary<EvidenceNode, string>();
        using var document = Command(connection, "SELECT source FROM documents WHERE id = $id");
        using var chunk = Command(connection, "SELECT d.source, c.ordinal, c.heading, c.text FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.id = $id");
        using var fact = Command(connection, "SELECT text, status FROM facts WHERE id = $id");
        foreach (var node in nodes.Where(EvidenceNode.IsValid))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var command = node.Kind switch
            {
                EvidenceKinds.Document => document,
                EvidenceKinds.Chunk => chunk,
                EvidenceKinds.Fact => fact,
                _ => null,
            };
            if (command is null) continue;
            command.Parameters["$id"].Value = node.Number();
            using var reader = command.ExecuteReader();
            if (!reader.Read()) continue;
            labels[node] = node.Kind switch
            {
                EvidenceKinds.Document => reader.GetString(0),
                EvidenceKinds.Chunk => EvidenceLabels.Chunk(reader.GetString(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetString(3)),
                _ => EvidenceLabels.Fact(reader.GetString(0), reader.GetString(1)),
            };
        }
        return Task.FromResult<IReadOnlyDictionary<EvidenceNode, string>>(labels);
    }

    public Task<IReadOnlyList<EvidenceNode>> DocumentsAsync(IReadOnlyCollection<string> sources, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sources);
        using var connection = _database.Open();
        using var command = Command(connection, "SELECT id FROM documents WHERE source = $id");
        var result = new List<EvidenceNode>();
        foreach (var source in sources)
        {
            cancellationToken.ThrowIfCancellationRequested();
            command.Parameters["$id"].Value = source;
            if (command.ExecuteScalar() is long id) result.Add(EvidenceNode.Document(id));
        }
        return Task.FromResult<IReadOnlyList<EvidenceNode>>(result);
    }

    public Task<IReadOnlyList<PortableEdge>> ExportEdgesAsync(CancellationToken cancellationToken)
    {
        using var connection = _database.Open();
        using var transaction = connection.BeginTransaction(deferred: true);
        var edges = new List<EvidenceEdge>();
        using (var command = Command(connection, $"SELECT {EdgeColumns} FROM evidence_edges", transaction))
        using (var reader = command.ExecuteReader())
            while (reader.Read()) edges.Add(ReadEdge(reader, 0));
        using var document = Command(connection, "SELECT source FROM documents WHERE id = $id", transaction);
        using var chunk = Command(connection, "SELECT d.source, c.ordinal FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.id = $id", transaction);
        string? Key(EvidenceNode node)
        {
            var command = node.Kind switch { EvidenceKinds.Document => document, EvidenceKinds.Chunk => chunk, _ => null };
            if (command is null) return null;
            command.Parameters["$id"].Value = node.Number();
            using var reader = command.ExecuteReader();
            if (!reader.Read()) return null;
            return node.Kind == EvidenceKinds.Document ? EvidenceKeys.Document(reader.GetString(0)) : EvidenceKeys.Chunk(reader.GetString(0), reader.GetInt32(1));
        }
        var result = edges.Select(e => new PortableEdge(e, Key(e.From), Key(e.To))).OrderBy(e => e, EvidenceKeys.Order).ToList();
        transaction.Commit();
        return Task.FromResult<IReadOnlyList<PortableEdge>>(result);
    }

    public Task<int> ImportEdgesAsync(IReadOnlyList<PortableEdge> edges, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(edges);
        using var connection = _database.OpenForWrite();
        using var transaction = connection.BeginTransaction();
        using var document = Command(connection, "SELECT id FROM documents WHERE source = $id", transaction);
        using var chunk = Command(connection, "SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.source = $id AND c.ordinal = $ordinal", transaction);
        chunk.Parameters.Add("$ordinal", SqliteType.Integer);
        using var insert = Insert(connection, transaction);
        EvidenceNode? Place(EvidenceNode node, string? key)
        {
            if (!EvidenceKinds.IsNumeric(node.Kind) || node.Kind is EvidenceKinds.Fact or EvidenceKinds.Goal) return node;
            if (key is null) return null;
            if (node.Kind == EvidenceKinds.Document)
            {
                document.Parameters["$id"].Value = EvidenceKeys.DocumentSource(key);
                return document.ExecuteScalar() is long d ? EvidenceNode.Document(d) : null;
            }
            var (source, ordinal) = EvidenceKeys.ChunkParts(key);
            chunk.Parameters["$id"].Value = source;
            chunk.Parameters["$ordinal"].Value = ordinal;
            return chunk.ExecuteScalar() is long c ? EvidenceNode.Chunk(c) : null;
        }
        var skipped = 0;
        foreach (var portable in edges)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!portable.Edge.IsValid || Place(portable.Edge.From, portable.FromKey) is not { } from || Place(portable.Edge.To, portable.ToKey) is not { } to)
            {
                skipped++;
                continue;
            }
            Bind(insert, portable.Edge with { From = from, To = to });
            insert.ExecuteNonQuery();
        }
        transaction.Commit();
        return Task.FromResult(skipped);
    }

    public ValueTask DisposeAsync()
    {
        if (!_ownsDatabase) return ValueTask.CompletedTask;
        // As the other stores: release pooled connections (the WAL) and stamp the file with what this store wrote.
        SqliteConnection.ClearAllPools();
        _database.RecordWrites();
        return ValueTask.CompletedTask;
    }

    private static void Refuse(IReadOnlyList<EvidenceEdge> edges)
    {
        if (edges.FirstOrDefault(e => e is null || !e.IsValid) is { } bad)
            throw new ArgumentException($"malformed evidence edge: {bad?.From} {bad?.Relation} {bad?.To}", nameof(edges));
    }

    private static SqliteCommand Insert(SqliteConnection connection, SqliteTransaction transaction)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText =
            $"INSERT INTO evidence_edges ({EdgeColumns}) VALUES ($fk, $fi, $r, $tk, $ti, $at, $detail) ON CONFLICT (from_kind, from_id, relation, to_kind, to_id) DO NOTHING";
        foreach (var name in new[] { "$fk", "$fi", "$r", "$tk", "$ti", "$at", "$detail" })
            command.Parameters.Add(name, SqliteType.Text);
        return command;
    }

    private static void Bind(SqliteCommand insert, EvidenceEdge edge)
    {
        insert.Parameters["$fk"].Value = edge.From.Kind;
        insert.Parameters["$fi"].Value = edge.From.Id;
        insert.Parameters["$r"].Value = edge.Relation;
        insert.Parameters["$tk"].Value = edge.To.Kind;
        insert.Parameters["$ti"].Value = edge.To.Id;
        insert.Parameters["$at"].Value = edge.At.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);
        insert.Parameters["$detail"].Value = (object?)edge.Detail ?? DBNull.Value;
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        // Untyped: each value binds as what it is (a row id as an integer, a source or node id as text).
        if (sql.Contains("$kind", StringComparison.Ordinal)) command.Parameters.Add(new SqliteParameter { ParameterName = "$kind" });
        if (sql.Contains("$id", StringComparison.Ordinal)) command.Parameters.Add(new SqliteParameter { ParameterName = "$id" });
        return command;
    }

    private static EvidenceEdge ReadEdge(SqliteDataReader reader, int at) => new(
        new EvidenceNode(reader.GetString(at), reader.GetString(at + 1)),
        reader.GetString(at + 2),
        new EvidenceNode(reader.GetString(at + 3), reader.GetString(at + 4)),
        Time(reader.GetString(at + 5)),
        reader.IsDBNull(at + 6) ? null : reader.GetString(at + 6));

    private static DateTimeOffset Time(string value) => DateTimeOffset.Parse(value, CultureInfo.InvariantCulture);
}
