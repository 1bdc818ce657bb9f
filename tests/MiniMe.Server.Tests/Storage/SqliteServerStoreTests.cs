using Microsoft.Data.Sqlite;
using MiniMe.Server.Storage;

namespace MiniMe.Server.Tests.Storage;

/// <summary>The server store contract on server.db, each instance a separate <see cref="SqliteServerDatabase"/> over one file.</summary>
public sealed class SqliteServerStoreTests : ServerStoreContractTests
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "minime-server-tests", "db-" + Guid.NewGuid().ToString("N"));

    protected override Task CreateStorageAsync()
    {
        Directory.CreateDirectory(_folder);
        return Task.CompletedTask;
    }

    protected override ServerDatabase NewInstance() => new SqliteServerDatabase(Path.Combine(_folder, SqliteServerDatabase.FileName));

    protected override Task DeleteStorageAsync()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
        return Task.CompletedTask;
    }
}
