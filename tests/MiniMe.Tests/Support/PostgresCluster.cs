using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace MiniMe.Tests.Support;

/// <summary>
/// A throwaway PostgreSQL cluster: initdb in a temp folder, started on 127.0.0.1 at a free port with
/// its unix socket in that folder, stopped and deleted on dispose. PostgreSQL refuses to run as root,
/// so under root the server runs as the "postgres" (or "nobody") user via runuser. Every command is
/// an argument vector; nothing goes through a shell. The test fixture and the pgvector benchmark both
/// start theirs with it (the bench links this file).
/// </summary>
public sealed class PostgresCluster : IAsyncDisposable
{
    private const string Superuser = "minime";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(2);

    private readonly string? _runAs = Environment.IsPrivilegedProcess ? UnprivilegedUser() : null;
    private readonly PostgresBinaries _binaries;
    private readonly string _root;
    private int _databases;

    private PostgresCluster(PostgresBinaries binaries)
    {
        _binaries = binaries;
        // Under root, /tmp (world-traversable) rather than a TMPDIR the server user may not reach.
        var tempRoot = _runAs is null ? Path.GetTempPath() : "/tmp";
        _root = Path.Combine(tempRoot, "minime-pg-" + Guid.NewGuid().ToString("N")[..12]);
    }

    public int Port { get; private set; }

    private string DataDirectory => Path.Combine(_root, "data");

    /// <param name="settings">Extra postgresql.conf lines (for example a larger maintenance_work_mem for index builds).</param>
    public static async Task<PostgresCluster> StartAsync(PostgresBinaries binaries, IReadOnlyList<string>? settings = null)
    {
        var cluster = new PostgresCluster(binaries);
        try
        {
            await cluster.InitializeAsync(settings ?? []);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private async Task InitializeAsync(IReadOnlyList<string> settings)
    {
        Directory.CreateDirectory(_root);
        if (_runAs is not null) await RunAsync("chown", [_runAs, _root], asServerUser: false);

        await RunAsync(_binaries.Tool("initdb"),
            ["-D", DataDirectory, "-U", Superuser, "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"]);
        for (var attempt = 1; ; attempt++)
        {
            Port = FreePort();
            File.AppendAllText(Path.Combine(DataDirectory, "postgresql.conf"), string.Join('\n',
            [
                "",
                "# minime test cluster",
                "listen_addresses = '127.0.0.1'",
                $"port = {Port.ToString(CultureInfo.InvariantCulture)}",
                $"unix_socket_directories = '{_root}'",
                "fsync = off",
                "synchronous_commit = off",
                "full_page_writes = off",
                "max_connections = 120",
                .. settings,
                "",
            ]));
            try
            {
                await RunAsync(_binaries.Tool("pg_ctl"), ["-D", DataDirectory, "-l", Path.Combine(_root, "server.log"), "-w", "-t", "60", "start"]);
                break;
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
                // Another process took the port between probing and binding; try another.
            }
        }
    }

    /// <summary>Creates a fresh, empty database and returns a connection string for it.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"t{Interlocked.Increment(ref _databases)}_{Guid.NewGuid():N}"[..24];
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    public async Task DropDatabaseAsync(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }

    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = Superuser,
        Database = database,
        Timeout = 30,
    }.ToString();

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
                await RunAsync(_binaries.Tool("pg_ctl"), ["-D", DataDirectory, "-m", "fast", "-w", "stop"]);
        }
        finally
        {
            try { Directory.Delete(_root, recursive: true); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }

    private Task RunAsync(string program, IReadOnlyList<string> arguments) => RunAsync(program, arguments, asServerUser: true);

    private async Task RunAsync(string program, IReadOnlyList<string> arguments, bool asServerUser)
    {
        var start = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Directory.Exists(_root) ? _root : Path.GetTempPath(),
        };
        if (asServerUser && _runAs is not null)
        {
            start.FileName = "runuser";
            foreach (var a in (string[])["-u", _runAs, "--", program]) start.ArgumentList.Add(a);
        }
        else
        {
            start.FileName = program;
        }
        foreach (var a in arguments) start.ArgumentList.Add(a);
        start.Environment["LC_ALL"] = "C";

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(CommandTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{Path.GetFileName(program)} did not finish within {CommandTimeout}");
        }
        if (process.ExitCode != 0)
        {
            var logPath = Path.Combine(_root, "server.log");
            var log = File.Exists(logPath) ? File.ReadAllText(logPath) : "";
            throw new InvalidOperationException(
                $"{Path.GetFileName(program)} {string.Join(' ', arguments)} exited {process.ExitCode}: {await stdout}{await stderr}{log}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string UnprivilegedUser()
    {
        var users = File.Exists("/etc/passwd") ? File.ReadAllLines("/etc/passwd").Select(l => l.Split(':')[0]).ToHashSet(StringComparer.Ordinal) : [];
        return users.Contains("postgres") ? "postgres" : "nobody";
    }
}
