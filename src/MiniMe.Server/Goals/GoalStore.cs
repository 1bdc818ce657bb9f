using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using MiniMe.Server.Storage;

namespace MiniMe.Server.Goals;

/// <summary>
/// Goals, their milestones and links in the server database (<see cref="ServerDatabase"/>), the same
/// for `minime goals` and /v1/goals. Every query is scoped by the user, as conversations are: another
/// user's goal is indistinguishable from one that does not exist. Each write tells the
/// <see cref="GoalNotifier"/>, so the user's notification streams see the change.
/// </summary>
public sealed class GoalStore(ServerDatabase database, GoalNotifier notifier, TimeProvider time)
{
    public Goal Create(string userId, string title, string? description = null, DateOnly? deadline = null, int progress = 0)
    {
        var cleanTitle = GoalValues.Title(title);
        var cleanDescription = GoalValues.Description(description);
        GoalValues.Progress(progress);
        var now = ServerDatabase.Now(time);
        var id = NewId("g_");
        using (var connection = database.OpenForWrite())
        using (var command = connection.Command("""
                   INSERT INTO goals (id, user_id, title, description, status, deadline, progress, created_at, updated_at)
                   VALUES (@id, @user, @title, @description, @status, @deadline, @progress, @at, @at)
                   """)
                   .With("@id", id)
                   .With("@user", userId)
                   .With("@title", cleanTitle)
                   .With("@description", cleanDescription)
                   .With("@status", GoalStatuses.Active)
                   .With("@deadline", deadline is { } d ? GoalValues.Format(d) : null)
                   .With("@progress", progress)
                   .With("@at", database.Timestamp(now)))
            command.ExecuteNonQuery();
        notifier.Changed(userId, id);
        return new Goal(id, cleanTitle, cleanDescription, GoalStatuses.Active, deadline, progress, now, now, [], []);
    }

    public Goal? Get(string userId, string id)
    {
        using var connection = database.Open();
        return Read(connection, userId, "g.id = @id", id).SingleOrDefault();
    }

    public Goal Require(string userId, string id) =>
        Get(userId, id) ?? throw NotFound(id);

    /// <summary>The user's goals, nearest deadline first (those without one last), then newest; one status or all.</summary>
    public IReadOnlyList<Goal> List(string userId, string? status = null)
    {
        using var connection = database.Open();
        return status is null
            ? Read(connection, userId, null, null)
            : Read(connection, userId, "g.status = @status", GoalStatuses.Parse(status));
    }

    public Goal Update(string userId, string id, GoalChanges changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var sets = new List<string>();
        var values = new List<(string, object?)>();
        if (changes.Title is not null) Set("title", GoalValues.Title(changes.Title));
        if (changes.Description is not null) Set("description", GoalValues.Description(changes.Description));
        if (changes.SetDeadline) Set("deadline", changes.Deadline is { } d ? GoalValues.Format(d) : null);
        if (changes.Progress is { } p) Set("progress", GoalValues.Progress(p));
        if (changes.Status is not null) Set("status", GoalStatuses.Parse(changes.Status));
        if (sets.Count == 0) return Require(userId, id);
        Touch(userId, id, sets, values);
        return Require(userId, id);

        void Set(string column, object? value)
        {
            sets.Add($"{column} = @{column}");
            values.Add(("@" + column, value));
        }
    }

    /// <summary>Deletes a goal with its milestones and links; false when the user has no such goal.</summary>
    public bool Delete(string userId, string id)
    {
        int deleted;
        using (var connection = database.OpenForWrite())
        using (var command = connection.Command("DELETE FROM goals WHERE id = @id AND user_id = @user").With("@id", id).With("@user", userId))
            deleted = command.ExecuteNonQuery();
        if (deleted > 0) notifier.Changed(userId, id);
        return deleted > 0;
    }

    public Milestone AddMilestone(string userId, string goalId, string title, DateOnly? due = null)
    {
        var cleanTitle = GoalValues.Title(title, "milestone");
        var now = ServerDatabase.Now(time);
        var id = NewId("m_");
        int order;
        using (var connection = database.OpenForWrite())
        using (var transaction = connection.BeginTransaction())
        {
            TouchIn(connection, transaction, userId, goalId, now);
            using (var next = connection.Command("SELECT COALESCE(MAX(position), 0) + 1 FROM goal_milestones WHERE goal_id = @goal", transaction).With("@goal", goalId))
                order = Convert.ToInt32(next.ExecuteScalar(), CultureInfo.InvariantCulture);
            using (var insert = connection.Command("""
                       INSERT INTO goal_milestones (id, goal_id, title, status, due, position, created_at)
                       VALUES (@id, @goal, @title, @status, @due, @position, @at)
                       """, transaction)
                       .With("@id", id)
                       .With("@goal", goalId)
                       .With("@title", cleanTitle)
                       .With("@status", MilestoneStatuses.Open)
                       .With("@due", due is { } d ? GoalValues.Format(d) : null)
                       .With("@position", order)
                       .With("@at", database.Timestamp(now)))
                insert.ExecuteNonQuery();
            transaction.Commit();
        }
        notifier.Changed(userId, goalId);
        return new Milestone(id, cleanTitle, MilestoneStatuses.Open, due, order, now);
    }

    public Milestone UpdateMilestone(string userId, string goalId, string milestoneId, MilestoneChanges changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var sets = new List<string>();
        var values = new List<(string, object?)>();
        if (changes.Title is not null) Set("title", GoalValues.Title(changes.Title, "milestone"));
        if (changes.Status is not null) Set("status", MilestoneStatuses.Parse(changes.Status));
        if (changes.SetDue) Set("due", changes.Due is { } d ? GoalValues.Format(d) : null);
        if (changes.Order is { } order) Set("position", order >= 1 ? order : throw new InvalidInputException($"Milestone order {order} must be at least 1."));
        var now = ServerDatabase.Now(time);
        using (var connection = database.OpenForWrite())
        using (var transaction = connection.BeginTransaction())
        {
            TouchIn(connection, transaction, userId, goalId, now);
            if (sets.Count > 0)
            {
                using var update = connection.Command($"UPDATE goal_milestones SET {string.Join(", ", sets)} WHERE id = @mid AND goal_id = @goal", transaction)
                    .With("@mid", milestoneId)
                    .With("@goal", goalId);
                foreach (var (name, value) in values) update.With(name, value);
                if (update.ExecuteNonQuery() == 0) throw MilestoneNotFound(goalId, milestoneId);
            }
            transaction.Commit();
        }
        notifier.Changed(userId, goalId);
        return Require(userId, goalId).Milestones.SingleOrDefault(m => m.Id == milestoneId) ?? throw MilestoneNotFound(goalId, milestoneId);

        void Set(string column, object? value)
        {
            sets.Add($"{column} = @{column}");
            values.Add(("@" + column, value));
        }
    }

    public void RemoveMilestone(string userId, string goalId, string milestoneId)
    {
        var now = ServerDatabase.Now(time);
        using (var connection = database.OpenForWrite())
        using (var transaction = connection.BeginTransaction())
        {
            TouchIn(connection, transaction, userId, goalId, now);
            using (var delete = connection.Command("DELETE FROM goal_milestones WHERE id = @mid AND goal_id = @goal", transaction)
                       .With("@mid", milestoneId).With("@goal", goalId))
            {
                if (delete.ExecuteNonQuery() == 0) throw MilestoneNotFound(goalId, milestoneId);
            }
            transaction.Commit();
        }
        notifier.Changed(userId, goalId);
    }

    /// <summary>Links the goal to a fact, run or conversation (checked by the caller: <see cref="GoalLinkCheck"/>); linking twice keeps one link.</summary>
    public GoalLink AddLink(string userId, string goalId, string kind, string target)
    {
        var cleanKind = GoalLinkKinds.Parse(kind);
        var cleanTarget = target?.Trim() is { Length: > 0 } t ? t : throw new InvalidInputException($"The {cleanKind} to link is empty.");
        var now = ServerDatabase.Now(time);
        using (var connection = database.OpenForWrite())
        using (var transaction = connection.BeginTransaction())
        {
            TouchIn(connection, transaction, userId, goalId, now);
            using (var existing = connection.Command("SELECT created_at FROM goal_links WHERE goal_id = @goal AND kind = @kind AND target = @target", transaction)
                       .With("@goal", goalId).With("@kind", cleanKind).With("@target", cleanTarget))
            using (var reader = existing.ExecuteReader())
            {
                if (reader.Read()) return new GoalLink(cleanKind, cleanTarget, database.ReadTimestamp(reader, 0));
            }
            using (var insert = connection.Command("INSERT INTO goal_links (id, goal_id, kind, target, created_at) VALUES (@id, @goal, @kind, @target, @at)", transaction)
                       .With("@id", NewId("l_"))
                       .With("@goal", goalId)
                       .With("@kind", cleanKind)
                       .With("@target", cleanTarget)
                       .With("@at", database.Timestamp(now)))
                insert.ExecuteNonQuery();
            transaction.Commit();
        }
        notifier.Changed(userId, goalId);
        return new GoalLink(cleanKind, cleanTarget, now);
    }

    /// <summary>Whether the user has this conversation (a link may only point at the user's own).</summary>
    internal bool HasConversation(string userId, string conversationId)
    {
        using var connection = database.Open();
        using var command = connection.Command("SELECT COUNT(*) FROM conversations WHERE id = @id AND user_id = @user").With("@id", conversationId).With("@user", userId);
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture) > 0;
    }

    private void Touch(string userId, string id, List<string> sets, List<(string Name, object? Value)> values)
    {
        using (var connection = database.OpenForWrite())
        using (var command = connection.Command($"UPDATE goals SET {string.Join(", ", sets)}, updated_at = @at WHERE id = @id AND user_id = @user"))
        {
            command.With("@at", database.Timestamp(ServerDatabase.Now(time))).With("@id", id).With("@user", userId);
            foreach (var (name, value) in values) command.With(name, value);
            if (command.ExecuteNonQuery() == 0) throw NotFound(id);
        }
        notifier.Changed(userId, id);
    }

    /// <summary>Marks the goal updated, inside the transaction that changes its milestones or links; the user must own it.</summary>
    private void TouchIn(DbConnection connection, DbTransaction transaction, string userId, string goalId, DateTimeOffset now)
    {
        using var touch = connection.Command("UPDATE goals SET updated_at = @at WHERE id = @id AND user_id = @user", transaction)
            .With("@at", database.Timestamp(now)).With("@id", goalId).With("@user", userId);
        if (touch.ExecuteNonQuery() == 0) throw NotFound(goalId);
    }

    private List<Goal> Read(DbConnection connection, string userId, string? condition, string? value)
    {
        var where = "g.user_id = @user" + (condition is null ? "" : " AND " + condition);
        var rows = new List<(string Id, string Title, string Description, string Status, DateOnly? Deadline, int Progress, DateTimeOffset Created, DateTimeOffset Updated)>();
        using (var command = connection.Command($"""
                   SELECT g.id, g.title, g.description, g.status, g.deadline, g.progress, g.created_at, g.updated_at
                   FROM goals g WHERE {where}
                   ORDER BY CASE WHEN g.deadline IS NULL THEN 1 ELSE 0 END, g.deadline, g.created_at DESC, g.id
                   """).With("@user", userId))
        {
            if (condition is not null) command.With(condition.Contains("@id", StringComparison.Ordinal) ? "@id" : "@status", value);
            using var reader = command.ExecuteReader();
            while (reader.Read())
                rows.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), StoredDate(reader, 4),
                    Convert.ToInt32(reader.GetValue(5), CultureInfo.InvariantCulture), database.ReadTimestamp(reader, 6), database.ReadTimestamp(reader, 7)));
        }
        if (rows.Count == 0) return [];

        var milestones = new Dictionary<string, List<Milestone>>(StringComparer.Ordinal);
        using (var command = connection.Command($"""
                   SELECT m.goal_id, m.id, m.title, m.status, m.due, m.position, m.created_at
                   FROM goal_milestones m JOIN goals g ON g.id = m.goal_id WHERE {where}
                   ORDER BY m.position, m.created_at, m.id
                   """).With("@user", userId))
        {
            if (condition is not null) command.With(condition.Contains("@id", StringComparison.Ordinal) ? "@id" : "@status", value);
            using var reader = command.ExecuteReader();
            while (reader.Read())
                For(milestones, reader.GetString(0)).Add(new Milestone(reader.GetString(1), reader.GetString(2), reader.GetString(3), StoredDate(reader, 4),
                    Convert.ToInt32(reader.GetValue(5), CultureInfo.InvariantCulture), database.ReadTimestamp(reader, 6)));
        }

        var links = new Dictionary<string, List<GoalLink>>(StringComparer.Ordinal);
        using (var command = connection.Command($"""
                   SELECT l.goal_id, l.kind, l.target, l.created_at
                   FROM goal_links l JOIN goals g ON g.id = l.goal_id WHERE {where}
                   ORDER BY l.created_at, l.id
                   """).With("@user", userId))
        {
            if (condition is not null) command.With(condition.Contains("@id", StringComparison.Ordinal) ? "@id" : "@status", value);
            using var reader = command.ExecuteReader();
            while (reader.Read())
                For(links, reader.GetString(0)).Add(new GoalLink(reader.GetString(1), reader.GetString(2), database.ReadTimestamp(reader, 3)));
        }

        return [.. rows.Select(r => new Goal(r.Id, r.Title, r.Description, r.Status, r.Deadline, r.Progress, r.Created, r.Updated,
            milestones.GetValueOrDefault(r.Id) ?? [], links.GetValueOrDefault(r.Id) ?? []))];
    }

    private static List<T> For<T>(Dictionary<string, List<T>> map, string key)
    {
        if (!map.TryGetValue(key, out var list)) map[key] = list = [];
        return list;
    }

    private static DateOnly? StoredDate(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : DateOnly.ParseExact(reader.GetString(ordinal), "yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string NewId(string prefix) => prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    private static NotFoundException NotFound(string id) => new($"No goal '{id}'; `minime goals list --all` (or GET /v1/goals) lists yours.");

    private static NotFoundException MilestoneNotFound(string goalId, string milestoneId) =>
        new($"Goal '{goalId}' has no milestone '{milestoneId}'; `minime goals show {goalId}` lists its milestones.");
}
