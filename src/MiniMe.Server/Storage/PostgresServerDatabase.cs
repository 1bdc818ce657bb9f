using System.Data.Common;
using MiniMe.Storage.Postgres;
using Npgsql;

namespace MiniMe.Server.Storage;

/// <summary>
/// The server's state in PostgreSQL (memory.store postgres): tables in the schema
/// <see cref="SchemaName"/> of the configured database, beside the memory's, so every server
/// process over that database sees the same keys, conversations and proposals. Connections come from
/// the memory store's <see cref="PostgresConnector"/>, so a server that cannot be reached fails with
/// the same one line naming host, port, database and user.
/// </summary>
public sealed class PostgresServerDatabase : ServerDatabase
{
    public const string SchemaName = "minime_server";

    private readonly PostgresConnector _connector;

    public PostgresServerDatabase(string connectionString)
    {
        _connector = new PostgresConnector(connectionString, SchemaName);
    }

    public override string Location => $"PostgreSQL {_connector.Endpoint} schema {SchemaName}";

    protected override void Migrate()
    {
        using var connection = Connect();
        try
        {
            PostgresServerSchema.Migrate(connection, _connector.Endpoint);
        }
        catch (PostgresException e)
        {
            throw new PostgresUnavailableException(
                $"cannot set up the server tables in PostgreSQL ({_connector.Endpoint}): {e.MessageText}; the user needs CREATE on the database (for example, own it)", e);
        }
    }

    protected override DbConnection OpenConnection() => Connect();

    // The stores are synchronous, like SQLite's: a synchronous open, never a wait on an async one.
    private NpgsqlConnection Connect() => _connector.Open();

    internal override object Timestamp(DateTimeOffset value) => value.UtcDateTime;

    internal override DateTimeOffset ReadTimestamp(DbDataReader reader, int ordinal) =>
        new(DateTime.SpecifyKind(reader.GetFieldValue<DateTime>(ordinal), DateTimeKind.Utc));

    internal override bool IsUniqueViolation(DbException exception) => exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    internal override string OrderBinary(string column) => column + " COLLATE \"C\"";

    internal override async Task ContinueIdsAsync(DbConnection connection, DbTransaction transaction, string table, string column, CancellationToken cancellationToken)
    {
        await using var command = connection.Command(
            $"SELECT setval(pg_get_serial_sequence('{SchemaName}.{table}', '{column}'), max({column})) FROM {table} HAVING max({column}) IS NOT NULL",
            transaction);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public override async ValueTask DisposeAsync()
    {
        await _connector.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
