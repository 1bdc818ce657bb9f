using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using MiniMe.Actions;
using MiniMe.Server.Storage;

namespace MiniMe.Server.Ask;

public static class ProposalStatuses
{
    public const string Pending = "pending";
    public const string Approved = "approved";
    public const string Rejected = "rejected";
    public static readonly IReadOnlyList<string> All = [Pending, Approved, Rejected];
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

/// <summary>A proposal that is no longer pending was decided again.</summary>
public sealed class ProposalStateException(string message) : MiniMeException(message);

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

    /// <summary>Moves a pending proposal to approved or rejected, once.</summary>
    public StoredProposal Decide(string userId, string id, string status, string? note)
    {
        var decidedAt = _time.GetUtcNow();
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE proposals SET status = $status, decided_at = $at, note = $note WHERE user_id = $user AND id = $id AND status = 'pending'";
        command.Parameters.AddWithValue("$status", status);
        command.Parameters.AddWithValue("$at", ServerDatabase.Timestamp(decidedAt));
        command.Parameters.AddWithValue("$note", (object?)note ?? DBNull.Value);
        command.Parameters.AddWithValue("$user", userId);
        command.Parameters.AddWithValue("$id", id);
        if (command.ExecuteNonQuery() == 0)
        {
            var current = Require(userId, id);
            throw new ProposalStateException($"Proposal '{id}' was already {current.Status}.");
        }
        return Require(userId, id);
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
