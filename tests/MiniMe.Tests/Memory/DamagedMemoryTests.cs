using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using MiniMe.Storage.Sqlite;
using MiniMe.Tests.Support;

namespace MiniMe.Tests.Memory;

/// <summary>
/// A memory.db with really damaged pages (bytes of an interior page overwritten, the file header left
/// alone) or cut to 0 bytes: writers refuse it in one line with the way to restore, exit 1, and leave
/// the file's bytes as they were.
/// </summary>
public sealed class DamagedMemoryTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    private string Home => _dir.Combine(".minime");

    private string Database => Path.Combine(Home, "memory.db");

    public void Dispose() => _dir.Dispose();

    private Task<CliResult> Minime(params string[] args) => CliRunner.RunAsync([.. args, "--home", Home]);

    private async Task Ok(params string[] args)
    {
        var result = await Minime(args);
        Assert.True(result.ExitCode == 0, $"minime {string.Join(' ', args)} exited {result.ExitCode}: {result.Error}");
    }

    /// <summary>A workspace whose chunks table spans many pages (so its root is an interior page), and one fact.</summary>
    private async Task BuildAsync()
    {
        await Ok("init", "--name", "Ada");
        for (var i = 0; i < 60; i++)
            _dir.Write($"notes/n{i:D2}.md", $"# Note {i}\n\n" + string.Join("\n\n", Enumerable.Range(0, 6).Select(p => $"Paragraph {p} of note {i} on retries, backoff, caches and schema migrations, with enough words to fill a page {i * p}.")));
        await Ok("import", _dir.Combine("notes"));
        await Ok("remember", "prefers dark mode");
    }

    /// <summary>Overwrites the whole root page of <paramref name="table"/> with garbage; page 1 (the header) is never touched.</summary>
    private void DamageRootPageOf(string table)
    {
        long page, pageSize;
        using (var connection = new SqliteConnection($"Data Source={Database};Mode=ReadOnly;Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT rootpage, (SELECT page_size FROM pragma_page_size()) FROM sqlite_master WHERE name = $name";
            command.Parameters.AddWithValue("$name", table);
            using var reader = command.ExecuteReader();
            Assert.True(reader.Read());
            (page, pageSize) = (reader.GetInt64(0), reader.GetInt64(1));
        }
        Assert.True(page > 1);
        Assert.False(File.Exists(Database + "-wal") && new FileInfo(Database + "-wal").Length > 0, "the WAL still holds pages; the damage would be hidden");
        // Damage comes from outside, after MiniMe's last write: let the file-time clock move past that write first.
        while (DateTime.UtcNow - File.GetLastWriteTimeUtc(Database) < TimeSpan.FromMilliseconds(50))
            Thread.Sleep(10);
        using var file = new FileStream(Database, FileMode.Open, FileAccess.Write);
        file.Seek((page - 1) * pageSize, SeekOrigin.Begin);
        file.Write(Enumerable.Range(0, (int)pageSize).Select(i => (byte)(0xA5 ^ i)).ToArray());
    }

    private string Fingerprint() => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(Database)));

    private void AssertWalEmpty() =>
        Assert.False(File.Exists(Database + "-wal") && new FileInfo(Database + "-wal").Length > 0, "something was written to the WAL");

    [Fact]
    public async Task Remember_on_a_damaged_memory_exits_1_with_the_reason_and_the_restore_command_and_writes_nothing()
    {
        await BuildAsync();
        DamageRootPageOf("chunks");
        var before = Fingerprint();

        var result = await Minime("remember", "uses Rider");

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.Error.Trim().Split('\n'));
        Assert.Matches(@"^error: memory\.db is damaged \(quick_check: (Tree|Page) \d+ .+\); nothing was written to it; restore a snapshot with `minime snapshot restore NAME` \(`minime snapshot list` shows them\)", line);
        Assert.Equal(before, Fingerprint());
        AssertWalEmpty();
    }

    [Fact]
    public async Task Import_on_a_damaged_memory_exits_1_names_the_newest_snapshot_and_writes_nothing()
    {
        await BuildAsync();
        await Ok("snapshot", "create", "older");
        await Ok("snapshot", "create", "newest");
        DamageRootPageOf("chunks");
        _dir.Write("more/new.md", "# New\n\nA note that must not be written into a damaged file.");
        var before = Fingerprint();

        var result = await Minime("import", _dir.Combine("more"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("memory.db is damaged (quick_check: ", result.Error, StringComparison.Ordinal);
        Assert.Contains("restore a snapshot with `minime snapshot restore newest` (the newest)", result.Error, StringComparison.Ordinal);
        Assert.Equal(before, Fingerprint());
        AssertWalEmpty();
    }

    [Fact]
    public async Task The_named_snapshot_restores_a_damaged_memory_and_writes_work_again()
    {
        await BuildAsync();
        await Ok("snapshot", "create", "good");
        DamageRootPageOf("chunks");
        Assert.Equal(1, (await Minime("remember", "uses Rider")).ExitCode);
        var snapshot = await Minime("snapshot", "create");
        Assert.Equal(1, snapshot.ExitCode);
        Assert.Contains("memory.db is damaged", snapshot.Error, StringComparison.Ordinal);

        var restore = await Minime("snapshot", "restore", "good", "--yes");

        Assert.True(restore.ExitCode == 0, restore.Error);
        Assert.Contains("the damaged memory.db it replaced is kept in snapshot pre-restore-", restore.Out, StringComparison.Ordinal);
        Assert.Contains("memory.db.damaged", restore.Out, StringComparison.Ordinal);

        await Ok("remember", "uses Rider");
        var search = await Minime("search", "backoff");
        Assert.Equal(0, search.ExitCode);
    }

    [Fact]
    public async Task A_search_that_reads_a_damaged_page_says_so_in_one_line_with_the_restore_command()
    {
        await BuildAsync();
        DamageRootPageOf("chunks");
        var before = Fingerprint();

        var result = await Minime("search", "backoff");

        Assert.Equal(1, result.ExitCode);
        Assert.Matches(@"^error: the memory database is damaged \(.+\); nothing was written to it; restore a snapshot with `minime snapshot restore NAME`", Assert.Single(result.Error.Trim().Split('\n')));
        Assert.Equal(before, Fingerprint());
    }

    [Fact]
    public async Task A_search_that_reads_no_damaged_page_still_answers()
    {
        await BuildAsync();
        DamageRootPageOf("facts");
        var result = await Minime("search", "backoff");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("note", result.Out, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task An_empty_memory_db_is_refused_unless_force_and_is_left_empty()
    {
        await BuildAsync();
        File.WriteAllBytes(Database, []);

        var remember = await Minime("remember", "uses Rider");
        Assert.Equal(1, remember.ExitCode);
        Assert.Equal(
            $"error: memory.db is empty (0 bytes) — it was truncated or replaced; restore a snapshot with `minime snapshot restore NAME` (`minime snapshot list` shows them), or pass --force to start an empty memory ({Database})",
            remember.Error.Trim());
        Assert.Equal(0, new FileInfo(Database).Length);

        var search = await Minime("search", "backoff");
        Assert.Equal(1, search.ExitCode);
        Assert.Contains("or pass --force to `minime import` or `minime remember` to start an empty memory", search.Error, StringComparison.Ordinal);
        Assert.Equal(0, new FileInfo(Database).Length);

        await Ok("remember", "uses Rider", "--force");
        Assert.True(new FileInfo(Database).Length > 0);
        await Ok("search", "anything");
    }

    [Fact]
    public async Task An_empty_memory_db_names_the_newest_snapshot()
    {
        await BuildAsync();
        await Ok("snapshot", "create", "last-good");
        File.WriteAllBytes(Database, []);
        var result = await Minime("import", _dir.Combine("notes"));
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("restore a snapshot with `minime snapshot restore last-good` (the newest), or pass --force", result.Error, StringComparison.Ordinal);
        Assert.Equal(0, new FileInfo(Database).Length);
    }

    [Fact]
    public async Task Force_is_documented_in_the_help_of_the_commands_that_take_it()
    {
        foreach (var command in new[] { "import", "remember", "init" })
        {
            var help = await Minime(command, "--help");
            Assert.Contains("--force", help.Out, StringComparison.Ordinal);
            Assert.Contains("memory.db is empty (0 bytes", help.Out, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Init_force_starts_an_empty_memory_in_a_zero_byte_file()
    {
        await BuildAsync();
        File.WriteAllBytes(Database, []);
        await Ok("init", "--force");
        await Ok("remember", "uses Rider");
    }

    [Fact]
    public async Task A_clean_write_session_is_trusted_by_the_next_writer_without_a_full_check()
    {
        await BuildAsync();
        var database = new SqliteDatabase(Database);
        Assert.True(database.IsVerified());
        var checkedAt = File.ReadAllLines(database.StampPath)[1];

        await Ok("remember", "uses Rider");
        await Ok("search", "backoff");

        Assert.True(new SqliteDatabase(Database).IsVerified());
        Assert.Equal(checkedAt, File.ReadAllLines(database.StampPath)[1]);
    }

    [Fact]
    public async Task Any_change_from_outside_makes_the_next_writer_check_the_whole_file()
    {
        await BuildAsync();
        while (DateTime.UtcNow - File.GetLastWriteTimeUtc(Database) < TimeSpan.FromMilliseconds(50))
            Thread.Sleep(10);
        // A harmless change (the same byte written back) still changes the file's time: trust is lost.
        using (var file = new FileStream(Database, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Seek(4096 * 2, SeekOrigin.Begin);
            var b = file.ReadByte();
            file.Seek(-1, SeekOrigin.Current);
            file.WriteByte((byte)b);
        }
        Assert.False(new SqliteDatabase(Database).IsVerified());
        await Ok("remember", "uses Rider");
        Assert.True(new SqliteDatabase(Database).IsVerified());
    }

    [Fact]
    public async Task A_stamp_whose_full_check_is_too_old_is_not_trusted()
    {
        await BuildAsync();
        var database = new SqliteDatabase(Database);
        var lines = File.ReadAllLines(database.StampPath);
        lines[1] = DateTimeOffset.UtcNow.Subtract(SqliteDatabase.FullCheckInterval).AddMinutes(-1).ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        File.WriteAllLines(database.StampPath, lines);
        Assert.False(database.IsVerified());
        await Ok("remember", "uses Rider");
        Assert.True(database.IsVerified());
        Assert.NotEqual(lines[1], File.ReadAllLines(database.StampPath)[1]);
    }
}
