using System.Net.Sockets;
using Npgsql;

namespace MiniMe.Storage.Postgres;

/// <summary>
/// A store's way to its PostgreSQL schema: a pooled data source shared by every store of the process
/// that reaches the same database and schema (memory, facts and traces of one user use one pool, not
/// three), and connection failures turned into one actionable line naming host, port, database and
/// user (never the password).
/// </summary>
internal sealed class PostgresConnector : IAsyncDisposable
{
    /// <summary>
    /// Connections one pool may hold when the connection string does not say (Npgsql's own default is
    /// 100). Every MiniMe process has a pool per schema it uses, so several server instances over one
    /// server stay under PostgreSQL's default max_connections of 100; a request finding the pool busy
    /// waits for a connection (up to the connection Timeout) instead of failing.
    /// </summary>
    public const int DefaultMaxPoolSize = 16;

    private const string Hint = "check that the server is running and that memory.connectionString (or MINIME_MEMORY__CONNECTIONSTRING) names it";

    private static readonly Dictionary<string, (NpgsqlDataSource Source, int Users)> Shared = new(StringComparer.Ordinal);
    private static readonly Lock SharedLock = new();

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _key;
    private int _disposed;

    /// <param name="schema">Keeps the store's tables in this schema (one per server user), created on first use; null uses the connection's own search path.</param>
    public PostgresConnector(string connectionString, string? schema = null)
    {
        var builder = Parse(connectionString);
        if (string.IsNullOrEmpty(builder.ApplicationName)) builder.ApplicationName = "minime";
        if (schema is not null)
        {
            if (!System.Text.RegularExpressions.Regex.IsMatch(schema, "^[a-z_][a-z0-9_]{0,62}$"))
                throw new ArgumentException($"'{schema}' is not a plain PostgreSQL schema name", nameof(schema));
            Schema = schema;
            builder.SearchPath = schema + ",public";
        }
        if (!HasSetting(connectionString, "Maximum Pool Size", "Max Pool Size", "MaxPoolSize")) builder.MaxPoolSize = DefaultMaxPoolSize;
        Endpoint = Describe(builder);
        _key = builder.ConnectionString;
        lock (SharedLock)
        {
            var (source, users) = Shared.TryGetValue(_key, out var entry) ? entry : (NpgsqlDataSource.Create(builder), 0);
            Shared[_key] = (source, users + 1);
            _dataSource = source;
        }
    }

    private static bool HasSetting(string connectionString, params string[] names) =>
        connectionString.Split(';').Select(part => part.Split('=', 2)[0].Trim())
            .Any(key => names.Any(name => key.Equals(name, StringComparison.OrdinalIgnoreCase)));

    /// <summary>The schema the store's tables live in, when not the connection's default.</summary>
    public string? Schema { get; }

    /// <summary>"host=H port=P database=D user=U", safe to print.</summary>
    public string Endpoint { get; }

    public async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when ((e is NpgsqlException or TimeoutException or SocketException) && !cancellationToken.IsCancellationRequested)
        {
            throw new PostgresUnavailableException($"cannot connect to PostgreSQL ({Endpoint}): {Reason(e)}; {Hint}", e);
        }
    }

    /// <summary>An open connection, for callers whose API is synchronous (trace appends).</summary>
    public NpgsqlConnection Open()
    {
        try
        {
            return _dataSource.OpenConnection();
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or SocketException)
        {
            throw new PostgresUnavailableException($"cannot connect to PostgreSQL ({Endpoint}): {Reason(e)}; {Hint}", e);
        }
    }

    /// <summary>
    /// Creates the schema if needed and brings its tables up to date. The memory store and the fact
    /// store share one schema and one migration, so initializing either creates the tables of both.
    /// </summary>
    public async Task MigrateAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        try
        {
            if (Schema is { } schema)
            {
                await using var create = new NpgsqlCommand($"CREATE SCHEMA IF NOT EXISTS \"{schema}\"", connection);
                try
                {
                    await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateSchema)
                {
                    // Another server created it at the same moment.
                }
            }
            await PostgresSchema.MigrateAsync(connection, cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException e)
        {
            throw new PostgresUnavailableException(
                $"cannot set up the memory tables in PostgreSQL ({Endpoint}): {e.MessageText}; the user needs CREATE on the database's schema (for example, own the database)", e);
        }
    }

    /// <summary>Lets go of the shared pool; the last store using it closes it.</summary>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return ValueTask.CompletedTask;
        lock (SharedLock)
        {
            var (source, users) = Shared[_key];
            if (users > 1)
            {
                Shared[_key] = (source, users - 1);
                return ValueTask.CompletedTask;
            }
            Shared.Remove(_key);
            return source.DisposeAsync();
        }
    }

    internal static NpgsqlConnectionStringBuilder Parse(string connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new PostgresUnavailableException($"no PostgreSQL connection string; set memory.connectionString (or MINIME_MEMORY__CONNECTIONSTRING)");
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            if (string.IsNullOrWhiteSpace(builder.Host))
                throw new PostgresUnavailableException("the PostgreSQL connection string names no Host; add Host=... to memory.connectionString");
            return builder;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            // The parser's messages name keywords, not values, so no password can show here.
            throw new PostgresUnavailableException($"the PostgreSQL connection string is malformed ({e.Message}); fix memory.connectionString (or MINIME_MEMORY__CONNECTIONSTRING)", e);
        }
    }

    internal static string Describe(NpgsqlConnectionStringBuilder builder) =>
        $"host={builder.Host} port={builder.Port} database={builder.Database ?? builder.Username ?? "(default)"} user={builder.Username ?? Environment.UserName}";

    private static string Reason(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            switch (inner)
            {
                case PostgresException pg:
                    return pg.MessageText;
                case SocketException socket:
                    return socket.Message;
                case TimeoutException:
                    return "timed out";
            }
        }
        return e.Message.ReplaceLineEndings(" ");
    }
}
