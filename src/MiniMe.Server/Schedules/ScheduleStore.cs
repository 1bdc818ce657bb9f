using System.Data.Common;
using System.Security.Cryptography;
using MiniMe.Server.Storage;

namespace MiniMe.Server.Schedules;

/// <summary>A due schedule and the user it belongs to, as the scheduler finds it across users.</summary>
public sealed record DueSchedule(string UserId, Schedule Schedule);

/// <summary>
/// Schedules in the server database (<see cref="ServerDatabase"/>), the same for `minime schedule` and
/// /v1/schedules. Every query a user makes is scoped by that user (another user's schedule is one that
/// does not exist); the scheduler alone reads across users, for what is due. Claiming a due run is one
/// compare-and-set on next_run_at, so of several servers over one database exactly one runs it.
/// </summary>
public sealed class ScheduleStore(ServerDatabase database, TimeProvider time)
{
    /// <summary>The next run of a schedule that will not run again (its expression no longer occurs, or no longer parses).</summary>
    public static readonly DateTimeOffset Never = new(9999, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private const string Columns = "id, name, cron, kind, prompt, conversation_id, created_at, next_run_at, last_run_at, last_run_id, last_status, last_detail, workflow";

    public Schedule Create(string userId, string name, string cron, string kind, string prompt, DateTimeOffset nextRunAt, string? workflow = null)
    {
        var now = ServerDatabase.Now(time);
        var next = ServerDatabase.Microseconds(nextRunAt);
        var id = "s_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        using (var connection = database.OpenForWrite())
        using (var command = connection.Command("""
                   INSERT INTO schedules (id, user_id, name, cron, kind, prompt, workflow, created_at, next_run_at)
                   VALUES (@id, @user, @name, @cron, @kind, @prompt, @workflow, @at, @next)
                   """)
                   .With("@id", id)
                   .With("@user", userId)
                   .With("@name", name)
                   .With("@cron", cron)
                   .With("@kind", kind)
                   .With("@prompt", prompt)
                   .With("@workflow", workflow)
                   .With("@at", database.Timestamp(now))
                   .With("@next", database.Timestamp(next)))
            command.ExecuteNonQuery();
        return new Schedule(id, name, cron, kind, prompt, null, now, next, null, null, null, null, workflow);
    }

    public Schedule? Get(string userId, string id)
    {
        using var connection = database.Open();
        using var command = connection.Command($"SELECT {Columns} FROM schedules WHERE id = @id AND user_id = @user").With("@id", id).With("@user", userId);
        using var reader = command.ExecuteReader();
        return reader.Read() ? Read(reader) : null;
    }

    public Schedule Require(string userId, string id) => Get(userId, id) ?? throw NotFound(id);

    /// <summary>The user's schedules, oldest first.</summary>
    public IReadOnlyList<Schedule> List(string userId)
    {
        using var connection = database.Open();
        using var command = connection.Command($"SELECT {Columns} FROM schedules WHERE user_id = @user ORDER BY created_at, id").With("@user", userId);
        using var reader = command.ExecuteReader();
        var schedules = new List<Schedule>();
        while (reader.Read()) schedules.Add(Read(reader));
        return schedules;
    }

    /// <summary>Deletes the schedule; false when the user has no such schedule. Its runs' traces and conversation stay.</summary>
    public bool Delete(string userId, string id)
    {
        using var connection = database.OpenForWrite();
        using var command = connection.Command("DELETE FROM schedules WHERE id = @id AND user_id = @user").With("@id", id).With("@user", userId);
        return command.ExecuteNonQuery() > 0;
    }

    /// <summary>Every user's schedules due at <paramref name="now"/>, the longest overdue first.</summary>
    public IReadOnlyList<DueSchedule> Due(DateTimeOffset now)
    {
        using var connection = database.Open();
        using var command = connection.Command($"SELECT user_id, {Columns} FROM schedules WHERE next_run_at <= @now ORDER BY next_run_at, id")
            .With("@now", database.Timestamp(ServerDatabase.Microseconds(now)));
        using var reader = command.ExecuteReader();
        var due = new List<DueSchedule>();
        while (reader.Read()) due.Add(new DueSchedule(reader.GetString(0), Read(reader, 1)));
        return due;
    }

    /// <summary>The earliest next run of any user's schedule; null when there are none.</summary>
    public DateTimeOffset? Earliest()
    {
        using var connection = database.Open();
        using var command = connection.Command("SELECT next_run_at FROM schedules ORDER BY next_run_at LIMIT 1");
        using var reader = command.ExecuteReader();
        return reader.Read() ? database.ReadTimestamp(reader, 0) : null;
    }

    /// <summary>
    /// Takes a due run: moves next_run_at from <paramref name="expected"/> (what the caller read) to
    /// <paramref name="next"/> and marks the schedule running, in one statement that only succeeds while
    /// next_run_at is still the one read. False when another scheduler took it first, or it was removed.
    /// </summary>
    public bool TryClaim(string userId, string id, DateTimeOffset expected, DateTimeOffset next, DateTimeOffset now)
    {
        using var connection = database.OpenForWrite();
        using var command = connection.Command("""
            UPDATE schedules SET next_run_at = @next, last_run_at = @now, last_run_id = NULL, last_status = @running, last_detail = NULL
            WHERE id = @id AND user_id = @user AND next_run_at = @expected
            """)
            .With("@next", database.Timestamp(ServerDatabase.Microseconds(next)))
            .With("@now", database.Timestamp(ServerDatabase.Microseconds(now)))
            .With("@running", ScheduleStatuses.Running)
            .With("@id", id)
            .With("@user", userId)
            .With("@expected", database.Timestamp(ServerDatabase.Microseconds(expected)));
        return command.ExecuteNonQuery() == 1;
    }

    /// <summary>A run started outside its schedule (run-now): marked running, next_run_at kept.</summary>
    public void MarkRunning(string userId, string id, DateTimeOffset now)
    {
        using var connection = database.OpenForWrite();
        using var command = connection.Command("""
            UPDATE schedules SET last_run_at = @now, last_run_id = NULL, last_status = @running, last_detail = NULL
            WHERE id = @id AND user_id = @user
            """)
            .With("@now", database.Timestamp(ServerDatabase.Microseconds(now)))
            .With("@running", ScheduleStatuses.Running)
            .With("@id", id)
            .With("@user", userId);
        if (command.ExecuteNonQuery() == 0) throw NotFound(id);
    }

    /// <summary>Records how the run ended (a removed schedule records nothing).</summary>
    public void Finish(string userId, string id, string? runId, string status, string? detail, string? conversationId)
    {
        using var connection = database.OpenForWrite();
        using var command = connection.Command("""
            UPDATE schedules SET last_run_id = @run, last_status = @status, last_detail = @detail, conversation_id = COALESCE(CAST(@conversation AS TEXT), conversation_id)
            WHERE id = @id AND user_id = @user
            """)
            .With("@run", runId)
            .With("@status", status)
            .With("@detail", detail)
            .With("@conversation", conversationId)
            .With("@id", id)
            .With("@user", userId);
        command.ExecuteNonQuery();
    }

    private Schedule Read(DbDataReader reader, int first = 0) => new(
        reader.GetString(first),
        reader.GetString(first + 1),
        reader.GetString(first + 2),
        reader.GetString(first + 3),
        reader.GetString(first + 4),
        reader.GetStringOrNull(first + 5),
        database.ReadTimestamp(reader, first + 6),
        database.ReadTimestamp(reader, first + 7),
        database.ReadTimestampOrNull(reader, first + 8),
        reader.GetStringOrNull(first + 9),
        reader.GetStringOrNull(first + 10),
        reader.GetStringOrNull(first + 11),
        reader.GetStringOrNull(first + 12));

    internal static NotFoundException NotFound(string id) => new($"No schedule '{id}'; `minime schedule list` (or GET /v1/schedules) lists yours.");
}
