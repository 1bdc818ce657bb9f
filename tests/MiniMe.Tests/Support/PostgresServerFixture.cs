namespace MiniMe.Tests.Support;

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServerFixture>
{
    public const string Name = "postgres";
}

/// <summary>
/// The throwaway PostgreSQL cluster of the test run (<see cref="PostgresCluster"/>), started once for
/// the collection and deleted at the end; nothing starts when no server binaries are installed.
/// </summary>
public sealed class PostgresServerFixture : IAsyncLifetime
{
    private PostgresCluster? _cluster;

    public PostgresBinaries? Binaries { get; } = PostgresBinaries.Found;

    public int Port => Cluster.Port;

    private PostgresCluster Cluster => _cluster ?? throw new InvalidOperationException(PostgresBinaries.SkipReason ?? "the PostgreSQL test cluster is not started");

    public async Task InitializeAsync()
    {
        if (Binaries is null) return;
        _cluster = await PostgresCluster.StartAsync(Binaries);
    }

    /// <summary>Creates a fresh, empty database and returns a connection string for it.</summary>
    public Task<string> CreateDatabaseAsync() => Cluster.CreateDatabaseAsync();

    public Task DropDatabaseAsync(string connectionString) => Cluster.DropDatabaseAsync(connectionString);

    public string ConnectionString(string database) => Cluster.ConnectionString(database);

    public async Task DisposeAsync()
    {
        if (_cluster is not null) await _cluster.DisposeAsync();
    }
}
