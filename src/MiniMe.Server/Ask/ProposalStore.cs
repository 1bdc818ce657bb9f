using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using MiniMe.Actions;
using MiniMe.Server.Storage;

namespace MiniMe.Server.Ask;

/// <summary>
/// pending → deciding (one atomic claim, before anything runs) → approved, rejected or failed. A
/// decision that could not start goes back to pending; one that threw, or whose server died while it
/// ran, ends failed with what happened in the note (it may have partly run: the run trace says what).
/// </summary>
public static class ProposalStatuses
{
    public const string Pending = "pending";
    public const string Deciding = "deciding";
    public const string Approved = "approved";
    public const string Rejected = "rejected";
    public const string Failed = "failed";
    public static readonly IReadOnlyList<string> All = [Pending, Deciding, Approved, Rejected, Failed];
}

/// <summary>A proposed action kept for the user's decision. <paramref name="Note"/> holds the outcome or the rejection reason.</summary>
public sealed record StoredProposal(
    string Id,
    string RunId,
    ActionProposal Proposal,
    string Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset? DecidedAt,
    string? Note);

/// <summary>A proposal that is no longer pending (being decided, or decided) was decided again.</summary>
public sealed class ProposalStateException(string message) : MiniMeException(ErrorCategory.Conflict, message);

/// <summary>Proposals waiting for approval, per user, in server.db.</summary>
public sealed class ProposalStore(ServerDatabase database, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public StoredProposal Add(string userId, string runId, ActionProposal proposal)
    {
        ArgumentNullException.ThrowIfNull(proposal);
        var stored = new StoredProposal("p_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)), runId, proposal, ProposalStatuses.Pending, _time.GetUtcNow(), null, null);
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO proposals (id, user_id, run_id, tool, arguments, rationale, proposed_by, status, created_at)
            VALUES ($id, $user, $run, $tool, $arguments, $rationale, $by, $status, $at)
            """;
        command.Parameters.AddWithValue("$id", stored.Id);
        command.Parameters.AddWithValue("$user", userId);
        command.Parameters.AddWithValue("$run", runId);
        command.Parameters.AddWithValue("$tool", proposal.Tool);
        command.Parameters.AddWithValue("$arguments", proposal.Arguments.ToJsonString());
        command.Parameters.AddWithValue("$rationale", proposal.Rationale);
        command.Parameters.AddWithValue("$by", proposal.ProposedBy);
        command.Parameters.AddWithValue("$status", stored.Status);
        command.Parameters.AddWithValue("$at", ServerDatabase.Timestamp(stored.CreatedAt));
        command.ExecuteNonQuery();
        return stored;
    }

    public IReadOnlyList<StoredProposal> List(string userId, string? status, int limit)
    {
        if (status is not null && !ProposalStatuses.All.Contains(status))
            throw new InvalidInputException($"Status '{status}' is unknown; use {string.Join(", ", ProposalStatuses.All)}.");
        if (status is null or ProposalStatuses.Deciding) RecoverAbandoned(userId);
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = Select + " WHERE user_id = $user" + (status is null ? "" : " AND status = $status") + " ORDER BY created_at DESC, id LIMIT $limit";
        command.Parameters.AddWithValue("$user", userId);
        if (status is not null) command.Parameters.AddWithValue("$status", status);
        command.Parameters.AddWithValue("$limit", limit);
        return ReadAll(command);
    }

    public StoredProposal Require(string userId, string id)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = Select + " WHERE user_id = $user AND id = $id";
        command.Parameters.AddWithValue("$user", userId);
        command.Parameters.AddWithValue("$id", id);
        return ReadAll(command).FirstOrDefault()
            ?? throw new NotFoundException($"No proposal '{id}'; GET /v1/proposals lists yours.");
    }

    /// <summary>
    /// Claims a pending proposal for one decision: a single conditional UPDATE, so of any number of
    /// simultaneous decisions exactly one gets it; every other one gets a <see cref="ProposalStateException"/>.
    /// </summary>
    public StoredProposal Claim(string userId, string id)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE proposals SET status = 'deciding', claimed_by = $claimer WHERE user_id = $user AND id = $id AND status = 'pending'";
        command.Parameters.AddWithValue("$claimer", ServerProcess.Id);
        command.Parameters.AddWithValue("$user", userId);
        command.Parameters.AddWithValue("$id", id);
        if (command.ExecuteNonQuery() == 0)
        {
            RecoverAbandoned(userId);
            var current = Require(userId, id);
            throw new ProposalStateException(current.Status == ProposalStatuses.Deciding
                ? $"Proposal '{id}' is already being decided (another approve or reject of it is in progress)."
                : $"Proposal '{id}' was already {current.Status}.");
        }
        return Require(userId, id);
    }

    /// <summary>Ends a claimed decision: approved or rejected with the outcome, or failed with what went wrong.</summary>
    public StoredProposal Finish(string userId, string id, string status, string? note)
    {
        if (status is not (ProposalStatuses.Approved or ProposalStatuses.Rejected or ProposalStatuses.Failed))
            throw new ArgumentOutOfRangeException(nameof(status), status, "a decision ends approved, rejected or failed");
        return Move(userId, id, status, note, _time.GetUtcNow())
            ? Require(userId, id)
            : throw new ProposalStateException($"Proposal '{id}' is no longer being decided by this server; it is {Require(userId, id).Status}.");
    }

    /// <summary>Ends a claimed decision that threw as failed, with what happened; never throws for the claim itself.</summary>
    public void Fail(string userId, string id, string note) => Move(userId, id, ProposalStatuses.Failed, note, _time.GetUtcNow());

    /// <summary>Gives a claimed proposal back (pending again): the decision failed before anything ran.</summary>
    public void Release(string userId, string id) => Move(userId, id, ProposalStatuses.Pending, null, null);

    /// <summary>
    /// Ends as failed every claim of this user's proposals whose server process is gone (killed or
    /// crashed mid-decision), so no proposal stays silently stuck in deciding.
    /// </summary>
    public void RecoverAbandoned(string userId)
    {
        using var connection = database.Open();
        var abandoned = new List<(string Id, string? Claimer)>();
        using (var find = connection.CreateCommand())
        {
            find.CommandText = "SELECT id, claimed_by FROM proposals WHERE user_id = $user AND status = 'deciding'";
            find.Parameters.AddWithValue("$user", userId);
            using var reader = find.ExecuteReader();
            while (reader.Read())
            {
                var claimer = reader.IsDBNull(1) ? null : reader.GetString(1);
                if (!ServerProcess.IsAlive(claimer)) abandoned.Add((reader.GetString(0), claimer));
            }
        }
        foreach (var (id, claimer) in abandoned)
        {
            using var update = connection.CreateCommand();
            update.CommandText = """
                UPDATE proposals SET status = 'failed', decided_at = $at, claimed_by = NULL,
                    note = 'failed: the server stopped while this was being decided; it may have partly run (the run trace shows what did)'
                WHERE user_id = $user AND id = $id AND status = 'deciding' AND claimed_by IS $claimer
                """;
            update.Parameters.AddWithValue("$at", ServerDatabase.Timestamp(_time.GetUtcNow()));
            update.Parameters.AddWithValue("$user", userId);
            update.Parameters.AddWithValue("$id", id);
            update.Parameters.AddWithValue("$claimer", (object?)claimer ?? DBNull.Value);
            update.ExecuteNonQuery();
        }
    }

    /// <summary>Moves a proposal this server process claimed; false when it is not (or no longer) claimed by it.</summary>
    private bool Move(string userId, string id, string status, string? note, DateTimeOffset? decidedAt)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            UPDATE proposals SET status = $status, decided_at = $at, note = $note, claimed_by = NULL
            WHERE user_id = $user AND id = $id AND status = 'deciding' AND claimed_by = $claimer
            """;
        command.Parameters.AddWithValue("$status", status);
        command.Parameters.AddWithValue("$at", decidedAt is { } at ? ServerDatabase.Timestamp(at) : DBNull.Value);
        command.Parameters.AddWithValue("$note", (object?)note ?? DBNull.Value);
        command.Parameters.AddWithValue("$user", userId);
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$claimer", ServerProcess.Id);
        return command.ExecuteNonQuery() == 1;
    }

    private const string Select =
        "SELECT id, run_id, tool, arguments, rationale, proposed_by, status, created_at, decided_at, note FROM proposals";

    private static List<StoredProposal> ReadAll(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        var list = new List<StoredProposal>();
        while (reader.Read())
        {
            var arguments = JsonNode.Parse(reader.GetString(3)) as JsonObject ?? throw new JsonException("stored proposal arguments are not an object");
            var proposal = new ActionProposal(reader.GetString(0), reader.GetString(2), arguments, reader.GetString(4), reader.GetString(5));
            list.Add(new StoredProposal(
                reader.GetString(0), reader.GetString(1), proposal, reader.GetString(6),
                ServerDatabase.ParseTimestamp(reader.GetString(7)),
                reader.IsDBNull(8) ? null : ServerDatabase.ParseTimestamp(reader.GetString(8)),
                reader.IsDBNull(9) ? null : reader.GetString(9)));
        }
        return list;
    }
}

/// <summary>Names this server process in a claim ("pid:start time"), and tells whether a claim's process still runs.</summary>
internal static class ServerProcess
{
    private static readonly long StartTicks = StartOf(Environment.ProcessId) ?? 0;

    public static string Id { get; } = $"{Environment.ProcessId}:{StartTicks}";

    /// <summary>False when the claiming process is gone (or its pid now belongs to another process); true when it runs or cannot be told.</summary>
    public static bool IsAlive(string? claimer)
    {
        if (claimer is null) return false;
        if (claimer == Id) return true;
        var parts = claimer.Split(':');
        if (parts.Length != 2 || !int.TryParse(parts[0], CultureInfo.InvariantCulture, out var pid) || !long.TryParse(parts[1], CultureInfo.InvariantCulture, out var start))
            return false;
        if (pid == Environment.ProcessId) return false;   // an earlier server that had this pid
        return StartOf(pid) switch
        {
            null => false,
            long.MinValue => true,
            var now => Math.Abs(now.Value - start) < TimeSpan.TicksPerSecond,
        };
    }

    private static long? StartOf(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.StartTime.ToUniversalTime().Ticks;
        }
        catch (ArgumentException)
        {
            return null;   // no such process
        }
        catch (InvalidOperationException)
        {
            return null;   // it exited
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return long.MinValue;   // it exists but cannot be inspected (another user's): counted as alive
        }
    }
}
