using System.Globalization;
using Microsoft.Data.Sqlite;
using MiniMe.Configuration;
using MiniMe.Memory;

namespace MiniMe.Storage.Sqlite;

/// <summary>
/// The workspace's SQLite file as every store opens it: pooled connections with a busy timeout,
/// WAL journaling, NORMAL sync and foreign keys; the schema migrated once on initialization.
/// </summary>
/// <remarks>
/// <para>Writers never write to a damaged file. The first <see cref="OpenForWrite"/> of an instance makes
/// sure the file is sound: when the verified stamp beside it (<c>memory.db.verified</c>) still describes
/// the file as it is (size and times of the database and its WAL) and its last full check is younger than
/// <see cref="FullCheckInterval"/>, nothing else is read; otherwise <c>PRAGMA quick_check</c> reads every
/// page, and damage is a <see cref="DamagedMemoryException"/>. A store that wrote records the file's new
/// state in the stamp when it is disposed, so MiniMe's own writes do not force the next full check;
/// anything else that changes the file (another program, a copy, a truncation, a process killed
/// mid-write) does. quick_check costs tens of times the open-and-query floor on a large memory
/// (docs/benchmarks.md, "Damage check at writer open"); the stamp check costs two file stamps.</para>
/// <para>Readers do not check: reading cannot make damage worse, SQLite reports the damaged pages a query
/// touches (<see cref="IsDamage"/>: the caller says so in one line with the way to restore), and what is
/// readable stays searchable until a snapshot is restored.</para>
/// </remarks>
public sealed class SqliteDatabase
{
    /// <summary>A file unchanged since its last full check is checked again after this long (bit rot, a same-size overwrite that kept the times).</summary>
    public static readonly TimeSpan FullCheckInterval = TimeSpan.FromDays(7);

    private const string StampHeader = "minime-verified v1";

    private readonly string _connectionString;
    private readonly bool _allowEmptyFile;
    private readonly Lock _gate = new();
    private bool _sound;
    private DateTimeOffset _lastFullCheck;

    /// <param name="allowEmptyFile">Start an empty memory in a 0-byte file (--force) instead of refusing it.</param>
    public SqliteDatabase(string databasePath, bool allowEmptyFile = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        Path = System.IO.Path.GetFullPath(databasePath);
        _allowEmptyFile = allowEmptyFile;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public string Path { get; }

    /// <summary>Where the verified state of the file is kept.</summary>
    public string StampPath => Path + ".verified";

    /// <summary>
    /// Creates the file if needed, switches to WAL and brings the schema up to date. An existing file of
    /// 0 bytes is refused (it was truncated or replaced) unless the instance allows it.
    /// </summary>
    public void Initialize(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        if (!_allowEmptyFile && File.Exists(Path) && new FileInfo(Path).Length == 0)
            throw DamagedMemoryException.Empty(Path);
        try
        {
            using var connection = Open();
            SqliteSchema.Execute(connection, "PRAGMA journal_mode = WAL");
            SqliteSchema.Migrate(connection);
        }
        catch (SqliteException e) when (IsDamage(e))
        {
            throw DamagedMemoryException.Damaged(Path, Reason(e), e);
        }
    }

    /// <summary>An open connection; a file that cannot be opened is a one-line configuration error.</summary>
    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            // busy_timeout: SQLite retries a locked file within milliseconds; without it Microsoft.Data.Sqlite's own
            // retry for DefaultTimeout sleeps 150 ms between tries (half of a chat turn's time under load).
            SqliteSchema.Execute(connection, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 30000;");
            return connection;
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            if (IsDamage(e)) throw DamagedMemoryException.Damaged(Path, Reason(e), e);
            throw new ConfigException($"Cannot open memory database {Path}: {e.Message}", e);
        }
    }

    /// <summary>A connection to write with; the first one of this instance makes sure the file is sound (see remarks).</summary>
    public SqliteConnection OpenForWrite()
    {
        EnsureSound();
        return Open();
    }

    /// <summary>Trusts the file by its stamp or checks it fully, once per instance; throws <see cref="DamagedMemoryException"/> when damaged.</summary>
    public void EnsureSound()
    {
        lock (_gate)
        {
            if (_sound) return;
            if (TrustedStamp() is { } stamp) _lastFullCheck = stamp.CheckedAt;
            else CheckIntegrity();
            _sound = true;
        }
    }

    /// <summary>True when the stamp describes the file as it is now and its full check is recent: a writer would not read the file to trust it.</summary>
    public bool IsVerified() => TrustedStamp() is not null;

    private Stamp? TrustedStamp() =>
        ReadStamp() is { } stamp && stamp.Matches(CurrentState()) && DateTimeOffset.UtcNow - stamp.CheckedAt < FullCheckInterval ? stamp : null;

    /// <summary>Runs <c>PRAGMA quick_check</c> over every page; records the stamp when sound, throws <see cref="DamagedMemoryException"/> when not.</summary>
    public void CheckIntegrity()
    {
        if (!File.Exists(Path) || new FileInfo(Path).Length == 0)
        {
            // Nothing to check yet: Initialize refuses an empty file or was allowed to start one.
            _lastFullCheck = DateTimeOffset.UtcNow;
            return;
        }
        var problems = new List<string>();
        try
        {
            using var connection = Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA quick_check(20)";
            using var reader = command.ExecuteReader();
            // A row may hold several lines ("*** in database main ***\nTree 4 page 4: ..."): one problem per line.
            while (reader.Read())
                problems.AddRange(reader.GetString(0).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Where(line => !line.StartsWith("***", StringComparison.Ordinal)));
        }
        catch (SqliteException e) when (IsDamage(e))
        {
            // Damage bad enough that the check itself cannot walk past it.
            throw DamagedMemoryException.Damaged(Path, $"quick_check: {problems.FirstOrDefault(p => p != "ok") ?? Reason(e)}", e);
        }
        if (problems is not ["ok"])
        {
            var more = problems.Count > 1 ? $", and {problems.Count - 1} more" : "";
            throw DamagedMemoryException.Damaged(Path, $"quick_check: {problems.FirstOrDefault()}{more}");
        }
        _lastFullCheck = DateTimeOffset.UtcNow;
        WriteStamp();
    }

    /// <summary>
    /// After this instance wrote to a file it had found sound (and this process closed its connections),
    /// records the file's new state as verified, keeping the time of the last full check.
    /// </summary>
    public void RecordWrites()
    {
        lock (_gate)
        {
            if (!_sound || !File.Exists(Path)) return;
            WriteStamp();
        }
    }

    /// <summary>SQLite's own words for an error: "database disk image is malformed" out of "SQLite Error 11: '...'.".</summary>
    public static string Reason(Exception exception)
    {
        var message = (exception as SqliteException ?? exception.InnerException as SqliteException)?.Message ?? exception.Message;
        var open = message.IndexOf('\'');
        var close = message.LastIndexOf('\'');
        return open >= 0 && close > open + 1 ? message[(open + 1)..close] : message.Split('\n')[0].Trim();
    }

    /// <summary>SQLite found a damaged page or a file that is not a database (SQLITE_CORRUPT, SQLITE_NOTADB).</summary>
    public static bool IsDamage(Exception exception) => exception is SqliteException { SqliteErrorCode: 11 or 26 };

    private void WriteStamp()
    {
        var state = CurrentState();
        var text = string.Join('\n',
            StampHeader,
            _lastFullCheck.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
            state.ToString()) + "\n";
        var temporary = $"{StampPath}.{Guid.NewGuid():N}.tmp";
        try
        {
            File.WriteAllText(temporary, text);
            File.Move(temporary, StampPath, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Without a stamp the next writer checks the whole file again: slower, never less safe.
            try { File.Delete(temporary); } catch (Exception again) when (again is IOException or UnauthorizedAccessException) { }
        }
    }

    private Stamp? ReadStamp()
    {
        try
        {
            if (!File.Exists(StampPath)) return null;
            var lines = File.ReadAllLines(StampPath);
            if (lines is not [StampHeader, var checkedAt, var state, ..]) return null;
            if (!long.TryParse(checkedAt, NumberStyles.None, CultureInfo.InvariantCulture, out var ms)) return null;
            var when = DateTimeOffset.FromUnixTimeMilliseconds(ms);
            return when > DateTimeOffset.UtcNow.AddMinutes(5) ? null : new Stamp(when, state);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    private FileState CurrentState()
    {
        var database = new FileInfo(Path);
        // An empty WAL holds nothing (every open connection creates one; the last to close removes it): same as none.
        var wal = new FileInfo(Path + "-wal");
        var walData = wal.Exists && wal.Length > 0;
        return new FileState(
            database.Exists ? database.Length : -1, database.Exists ? database.LastWriteTimeUtc.Ticks : 0, database.Exists ? database.CreationTimeUtc.Ticks : 0,
            walData ? wal.Length : 0, walData ? wal.LastWriteTimeUtc.Ticks : 0);
    }

    private readonly record struct FileState(long Length, long WriteTicks, long CreationTicks, long WalLength, long WalWriteTicks)
    {
        public override string ToString() =>
            string.Create(CultureInfo.InvariantCulture, $"{Length} {WriteTicks} {CreationTicks} {WalLength} {WalWriteTicks}");
    }

    private sealed record Stamp(DateTimeOffset CheckedAt, string State)
    {
        public bool Matches(FileState state) => string.Equals(State, state.ToString(), StringComparison.Ordinal);
    }
}
