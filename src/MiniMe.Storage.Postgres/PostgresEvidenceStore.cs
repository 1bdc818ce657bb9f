using MiniMe.Evidence;
using Npgsql;

namespace MiniMe.Storage.Postgres;

/// <summary>
/// The evidence graph on PostgreSQL (schema v5), in the user's memory schema, with the SQLite store's semantics:
/// evidence_edges unique by ends and relation, chunk-to-document links read from chunks, triggers deleting the
/// edges of deleted documents, chunks and facts.
/// </summary>
public sealed class PostgresEvidenceStore : IEvidenceStore, IAsyncDisposable
{
    private const string EdgeColumns = "from_kind, from_id, relation, to_kind, to_id, at, detail";

    private readonly PostgresConnector _connector;

    /// <param name="schema">The user's schema (the memory store's); null uses the connection's own search path.</param>
    public PostgresEvidenceStore(string connectionString, string? schema = null)
    {
        _connector = new PostgresConnector(connectionString, schema);
    }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _connector.OpenAsync(cancellationToken).ConfigureAwait(false);
        await _connector.MigrateAsync(connection, cancellationToken).ConfigureAwait(false);
    }

    public async Task AddEdgesAsync(IReadOnlyList<EvidenceEdge> edges, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(edges);
        if (edges.FirstOrDefault(e => e is null || !e.IsValid) is { } bad)
            throw new ArgumentException($"malformed evidence edge: {bad?.From} {bad?.Relation} {bad?.To}", nameof(edges));
        if (edges.Count == 0) return;
        await using var connection = await _connector.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        foreach (var edge in edges)
            await InsertAsync(connection, transaction, edge, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<EvidenceEdge>> EdgesOfAsync(IReadOnlyCollection<EvidenceNode> nodes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        var valid = nodes.Where(EvidenceNode.IsValid).ToList();
        var result = new HashSet<EvidenceEdge>();
        if (valid.Count == 0) return [];
        await using var connection = await _connector.OpenAsync(cancellationToken).ConfigureAwait(false);
        var kinds = valid.Select(n => n.Kind).ToArray();
        var ids = valid.Select(n => n.Id).ToArray();
        await using (var command = new NpgsqlCommand(
            $"""
            SELECT {EdgeColumns} FROM evidence_edges e
            WHERE (e.from_kind, e.from_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
               OR (e.to_kind, e.to_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
            """, connection))
        {
            command.Parameters.AddWithValue(kinds);
            command.Parameters.AddWithValue(ids);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) result.Add(ReadEdge(reader));
        }
        var chunks = valid.Where(n => n.Kind == EvidenceKinds.Chunk).Select(n => n.Number()).ToArray();
        var documents = valid.Where(n => n.Kind == EvidenceKinds.Document).Select(n => n.Number()).ToArray();
        if (chunks.Length + documents.Length > 0)
        {
            await using var command = new NpgsqlCommand(
                "SELECT id, document_id, imported_at FROM chunks WHERE id = ANY($1) OR document_id = ANY($2) ORDER BY document_id, ordinal", connection);
            command.Parameters.AddWithValue(chunks);
            command.Parameters.AddWithValue(documents);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                result.Add(new EvidenceEdge(EvidenceNode.Chunk(reader.GetInt64(0)), EvidenceRelations.DerivedFrom, EvidenceNode.Document(reader.GetInt64(1)),
                    reader.GetFieldValue<DateTimeOffset>(2)));
        }
        return [.. result];
    }

    public async Task<IReadOnlyDictionary<EvidenceNode, string>> DescribeAsync(IReadOnlyCollection<EvidenceNode> nodes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        var labels = new Dictionary<EvidenceNode, string>();
        var valid = nodes.Where(EvidenceNode.IsValid).ToList();
        long[] Of(string kind) => [.. valid.Where(n => n.Kind == kind).Select(n => n.Number())];
        var (documents, chunks, facts) = (Of(EvidenceKinds.Document), Of(EvidenceKinds.Chunk), Of(EvidenceKinds.Fact));
        if (documents.Length + chunks.Length + facts.Length == 0) return labels;
        await using var connection = await _connector.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (var command = new NpgsqlCommand("SELECT id, source FROM documents WHERE id = ANY($1)", connection))
        {
            command.Parameters.AddWithValue(documents);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) labels[EvidenceNode.Document(reader.GetInt64(0))] = reader.GetString(1);
        }
        await using (var command = new NpgsqlCommand(
            "SELECT c.id, d.source, c.ordinal, c.heading, c.text FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.id = ANY($1)", connection))
        {
            command.Parameters.AddWithValue(chunks);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                labels[EvidenceNode.Chunk(reader.GetInt64(0))] =
                    EvidenceLabels.Chunk(reader.GetString(1), reader.GetInt32(2), reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetString(4));
        }
        await using (var command = new NpgsqlCommand("SELECT id, text, status FROM facts WHERE id = ANY($1)", connection))
        {
            command.Parameters.AddWithValue(facts);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                labels[EvidenceNode.Fact(reader.GetInt64(0))] = EvidenceLabels.Fact(reader.GetString(1), reader.GetString(2));
        }
        return labels;
    }

    public async Task<IReadOnlyList<EvidenceNode>> DocumentsAsync(IReadOnlyCollection<string> sources, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sources);
        if (sources.Count == 0) return [];
        await using var connection = await _connector.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT id FROM documents WHERE source = ANY($1) ORDER BY source COLLATE \"C\"", connection);
        command.Parameters.AddWithValue(sources.ToArray());
        var result = new List<EvidenceNode>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) result.Add(EvidenceNode.Document(reader.GetInt64(0)));
        return result;
    }

    public async Task<IReadOnlyList<PortableEdge>> ExportEdgesAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _connector.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
        var result = new List<PortableEdge>();
        await using (var command = new NpgsqlCommand(
            $"""
            SELECT e.from_kind, e.from_id, e.relation, e.to_kind, e.to_id, e.at, e.detail,
                   {Key("from")}, {Key("to")}
            FROM evidence_edges e
            """, connection, transaction))
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                result.Add(new PortableEdge(ReadEdge(reader), reader.IsDBNull(7) ? null : reader.GetString(7), reader.IsDBNull(8) ? null : reader.GetString(8)));
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        result.Sort(EvidenceKeys.Order);
        return result;

        // The same keys as EvidenceKeys builds: a document's source; a chunk's source, '#', ordinal.
        static string Key(string end) =>
            $"""
            CASE e.{end}_kind
                WHEN 'doc' THEN (SELECT d.source FROM documents d WHERE d.id = e.{end}_id::bigint)
                WHEN 'chunk' THEN (SELECT d.source || '#' || c.ordinal FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.id = e.{end}_id::bigint)
            END
            """;
    }

    public async Task<int> ImportEdgesAsync(IReadOnlyList<PortableEdge> edges, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(edges);
        await using var connection = await _connector.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var skipped = 0;
        foreach (var portable in edges)
        {
            if (!portable.Edge.IsValid
                || await PlaceAsync(portable.Edge.From, portable.FromKey).ConfigureAwait(false) is not { } from
                || await PlaceAsync(portable.Edge.To, portable.ToKey).ConfigureAwait(false) is not { } to)
            {
                skipped++;
                continue;
            }
            await InsertAsync(connection, transaction, portable.Edge with { From = from, To = to }, cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return skipped;

        async Task<EvidenceNode?> PlaceAsync(EvidenceNode node, string? key)
        {
            if (node.Kind is not (EvidenceKinds.Document or EvidenceKinds.Chunk)) return node;
            if (key is null) return null;
            NpgsqlCommand command;
            if (node.Kind == EvidenceKinds.Document)
            {
                command = new NpgsqlCommand("SELECT id FROM documents WHERE source = $1", connection, transaction);
                command.Parameters.AddWithValue(EvidenceKeys.DocumentSource(key));
            }
            else
            {
                var (source, ordinal) = EvidenceKeys.ChunkParts(key);
                command = new NpgsqlCommand("SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.source = $1 AND c.ordinal = $2", connection, transaction);
                command.Parameters.AddWithValue(source);
                command.Parameters.AddWithValue(ordinal);
            }
            await using (command)
            {
                var id = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                return id is long n ? new EvidenceNode(node.Kind, n.ToString(System.Globalization.CultureInfo.InvariantCulture)) : null;
            }
        }
    }

    private static async Task InsertAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, EvidenceEdge edge, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"INSERT INTO evidence_edges ({EdgeColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (from_kind, from_id, relation, to_kind, to_id) DO NOTHING",
            connection, transaction);
        command.Parameters.AddWithValue(edge.From.Kind);
        command.Parameters.AddWithValue(edge.From.Id);
        command.Parameters.AddWithValue(edge.Relation);
        command.Parameters.AddWithValue(edge.To.Kind);
        command.Parameters.AddWithValue(edge.To.Id);
        command.Parameters.AddWithValue(edge.At.ToUniversalTime());
        command.Parameters.AddWithValue((object?)edge.Detail ?? DBNull.Value);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static EvidenceEdge ReadEdge(NpgsqlDataReader reader) => new(
        new EvidenceNode(reader.GetString(0), reader.GetString(1)),
        reader.GetString(2),
        new EvidenceNode(reader.GetString(3), reader.GetString(4)),
        reader.GetFieldValue<DateTimeOffset>(5),
        reader.IsDBNull(6) ? null : reader.GetString(6));

    public ValueTask DisposeAsync() => _connector.DisposeAsync();
}
