using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
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

/// <summary>
/// Proposals waiting for approval, per user, in the server database (<see cref="ServerDatabase"/>).
/// A decision first claims the proposal with one conditional UPDATE, atomic in the database, so of
/// any number of simultaneous decisions, on any number of servers over one database, exactly one
/// runs. The claim names the server process (<see cref="ServerProcess"/>) and its time, so a claim
/// whose server died can be ended: at once when that server ran on this host and its process is
/// gone, and otherwise after <see cref="ClaimLease"/>, since a process on another host cannot be checked.
/// </summary>
public sealed class ProposalStore
{
    /// <summary>
    /// How long a claim by a server on another host counts as live. Far beyond any decision (a tool
    /// runs for tools.commandTimeoutSeconds, 120 s by default); a decision still running after it
    /// is ended as failed, and that server's own finish is then refused.
    /// </summary>
    public static readonly TimeSpan ClaimLease = TimeSpan.FromHours(1);

    private readonly ServerDatabase _database;
    private readonly TimeProvider _time;
    private readonly ServerProcess _process;

    public ProposalStore(ServerDatabase database, TimeProvider? time = null)
        : this(database, time, ServerProcess.Current)
    {
    }

    /// <param name="process">The server process deciding through this store (another host's, in tests).</param>
    internal ProposalStore(ServerDatabase database, TimeProvider? time, ServerProcess process)
    {
        _database = database;
        _time = time ?? TimeProvider.System;
        _process = process;
    }

    public StoredProposal Add(string userId, string runId, ActionProposal proposal)
    {
        ArgumentNullException.ThrowIfNull(proposal);
        var stored = new StoredProposal("p_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)), runId, proposal, ProposalStatuses.Pending, ServerDatabase.Now(_time), null, null);
        using var connection = _database.OpenForWrite();
        using var command = connection.Command("""
            INSERT INTO proposals (id, user_id, run_id, tool, arguments, rationale, proposed_by, status, created_at)
            VALUES (@id, @user, @run, @tool, @arguments, @rationale, @by, @status, @at)
            """)
            .With("@id", stored.Id)
            .With("@user", userId)
            .With("@run", runId)
            .With("@tool", proposal.Tool)
            .With("@arguments", proposal.Arguments.ToJsonString())
            .With("@rationale", proposal.Rationale)
            .With("@by", proposal.ProposedBy)
            .With("@status", stored.Status)
            .With("@at", _database.Timestamp(stored.CreatedAt));
        command.ExecuteNonQuery();
        return stored;
    }

    public IReadOnlyList<StoredProposal> List(string userId, string? status, int limit)
    {
        if (status is not null && !ProposalStatuses.All.Contains(status))
            throw new InvalidInputException($"Status '{status}' is unknown; use {string.Join(", ", ProposalStatuses.All)}.");
        if (status is null or ProposalStatuses.Deciding) RecoverAbandoned(userId);
        using var connection = _database.Open();
        using var command = connection.Command(Select + " WHERE user_id = @user" + (status is null ? "" : " AND status = @status") + " ORDER BY created_at DESC, id LIMIT @limit")
            .With("@user", userId)
            .With("@limit", limit);
        if (status is not null) command.With("@status", status);
        return ReadAll(command);
    }

    public StoredProposal Require(string userId, string id)
    {
        using var connection = _database.Open();
        using var command = connection.Command(Select + " WHERE user_id = @user AND id = @id")
            .With("@user", userId)
            .With("@id", id);
        return ReadAll(command).FirstOrDefault()
            ?? throw new NotFoundException($"No proposal '{id}'; GET /v1/proposals lists yours.");
    }

    /// <summary>
    /// Claims a pending proposal for one decision: a single conditional UPDATE, so of any number of
    /// simultaneous decisions exactly one gets it; every other one gets a <see cref="ProposalStateException"/>.
    /// </summary>
    public StoredProposal Claim(string userId, string id)
    {
        using (var connection = _database.OpenForWrite())
        using (var command = connection.Command(
                   "UPDATE proposals SET status = 'deciding', claimed_by = @claimer, claimed_at = @at WHERE user_id = @user AND id = @id AND status = 'pending'")
                   .With("@claimer", _process.Id)
                   .With("@at", _database.Timestamp(ServerDatabase.Now(_time)))
                   .With("@user", userId)
                   .With("@id", id))
        {
            if (command.ExecuteNonQuery() == 1) return Require(userId, id);
        }
        RecoverAbandoned(userId);
        var current = Require(userId, id);
        throw new ProposalStateException(current.Status == ProposalStatuses.Deciding
            ? $"Proposal '{id}' is already being decided (another approve or reject of it is in progress)."
            : $"Proposal '{id}' was already {current.Status}.");
    }

    /// <summary>Ends a claimed decision: approved or rejected with the outcome, or failed with what went wrong.</summary>
    public StoredProposal Finish(string userId, string id, string status, string? note)
    {
        if (status is not (ProposalStatuses.Approved or ProposalStatuses.Rejected or ProposalStatuses.Failed))
            throw new ArgumentOutOfRangeException(nameof(status), status, "a decision ends approved, rejected or failed");
        return Move(userId, id, status, note, ServerDatabase.Now(_time))
            ? Require(userId, id)
            : throw new ProposalStateException($"Proposal '{id}' is no longer being decided by this server; it is {Require(userId, id).Status}.");
    }

    /// <summary>Ends a claimed decision that threw as failed, with what happened; never throws for the claim itself.</summary>
    public void Fail(string userId, string id, string note) => Move(userId, id, ProposalStatuses.Failed, note, ServerDatabase.Now(_time));

    /// <summary>Gives a claimed proposal back (pending again): the decision failed before anything ran.</summary>
    public void Release(string userId, string id) => Move(userId, id, ProposalStatuses.Pending, null, null);

    /// <summary>
    /// Ends as failed every claim of this user's proposals whose server is gone (killed or crashed
    /// mid-decision), so no proposal stays silently stuck in deciding. Each end is conditional on the
    /// claim being unchanged, so servers recovering at once end a claim once.
    /// </summary>
    public void RecoverAbandoned(string userId)
    {
        using var connection = _database.Open();
        var now = ServerDatabase.Now(_time);
        var abandoned = new List<(string Id, string? Claimer)>();
        using (var find = connection.Command("SELECT id, claimed_by, claimed_at FROM proposals WHERE user_id = @user AND status = 'deciding'")
                   .With("@user", userId))
        using (var reader = find.ExecuteReader())
        {
            while (reader.Read())
            {
                var claimer = reader.GetStringOrNull(1);
                if (!_process.ClaimLives(claimer, _database.ReadTimestampOrNull(reader, 2), now)) abandoned.Add((reader.GetString(0), claimer));
            }
        }
        foreach (var (id, claimer) in abandoned)
        {
            using var update = connection.Command("""
                UPDATE proposals SET status = 'failed', decided_at = @at, claimed_by = NULL, claimed_at = NULL,
                    note = 'failed: the server stopped while this was being decided; it may have partly run (the run trace shows what did)'
                WHERE user_id = @user AND id = @id AND status = 'deciding' AND claimed_by IS NOT DISTINCT FROM @claimer
                """)
                .With("@at", _database.Timestamp(now))
                .With("@user", userId)
                .With("@id", id)
                .With("@claimer", claimer);
            update.ExecuteNonQuery();
        }
    }

    /// <summary>Moves a proposal this server process claimed; false when it is not (or no longer) claimed by it.</summary>
    private bool Move(string userId, string id, string status, string? note, DateTimeOffset? decidedAt)
    {
        using var connection = _database.OpenForWrite();
        using var command = connection.Command("""
            UPDATE proposals SET status = @status, decided_at = @at, note = @note, claimed_by = NULL, claimed_at = NULL
            WHERE user_id = @user AND id = @id AND status = 'deciding' AND claimed_by = @claimer
            """)
            .With("@status", status)
            .With("@at", decidedAt is { } at ? _database.Timestamp(at) : null)
            .With("@note", note)
            .With("@user", userId)
            .With("@id", id)
            .With("@claimer", _process.Id);
        return command.ExecuteNonQuery() == 1;
    }

    private const string Select =
        "SELECT id, run_id, tool, arguments, rationale, proposed_by, status, created_at, decided_at, note FROM proposals";

    private List<StoredProposal> ReadAll(DbCommand command)
    {
        using var reader = command.ExecuteReader();
        var list = new List<StoredProposal>();
        while (reader.Read())
        {
            var arguments = JsonNode.Parse(reader.GetString(3)) as JsonObject ?? throw new JsonException("stored proposal arguments are not an object");
            var proposal = new ActionProposal(reader.GetString(0), reader.GetString(2), arguments, reader.GetString(4), reader.GetString(5));
            list.Add(new StoredProposal(
                reader.GetString(0), reader.GetString(1), proposal, reader.GetString(6),
                _database.ReadTimestamp(reader, 7),
                _database.ReadTimestampOrNull(reader, 8),
                reader.GetStringOrNull(9)));
        }
        return list;
    }
}

/// <summary>
/// One server process as a claim names it, "host:pid:start" (start = the process's start time in
/// ticks), and whether a claim's process still runs. Only a process on this host can be checked:
/// there, a claim is dead when its pid is gone or now belongs to a process started at another time.
/// A claim from another host lives until <see cref="ProposalStore.ClaimLease"/> has passed since it
/// was made. Claims written before hosts were named ("pid:start") came from server.db, a file on this
/// host, and are checked as this host's. Two servers on different hosts must not share a host name
/// (containers get their own by default).
/// </summary>
internal sealed record ServerProcess(string Host, int Pid, long StartTicks)
{
    public static ServerProcess Current { get; } = new(Environment.MachineName, Environment.ProcessId, StartOf(Environment.ProcessId) ?? 0);

    public string Id => $"{Host}:{Pid.ToString(CultureInfo.InvariantCulture)}:{StartTicks.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>False when the claim's process is gone (or its lease expired); true when it runs or cannot be told yet.</summary>
    public bool ClaimLives(string? claimer, DateTimeOffset? claimedAt, DateTimeOffset now)
    {
        if (claimer is null) return false;
        if (claimer == Id) return true;
        var parts = claimer.Split(':');
        var (host, pidText, startText) = parts.Length switch
        {
            3 => (parts[0], parts[1], parts[2]),
            2 => (Host, parts[0], parts[1]),
            _ => ("", "", ""),
        };
        if (!int.TryParse(pidText, CultureInfo.InvariantCulture, out var pid) || !long.TryParse(startText, CultureInfo.InvariantCulture, out var start))
            return false;
        if (!string.Equals(host, Host, StringComparison.OrdinalIgnoreCase))
            return claimedAt is { } at && now - at < ProposalStore.ClaimLease;
        if (pid == Pid) return false;   // an earlier server that had this pid
        return StartOf(pid) switch
        {
            null => false,
            long.MinValue => true,
            var started => Math.Abs(started.Value - start) < TimeSpan.TicksPerSecond,
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
