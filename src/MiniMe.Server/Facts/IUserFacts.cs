using MiniMe.Hosting.Users;

namespace MiniMe.Server.Facts;

/// <summary>A fact about the user as the API shows it.</summary>
public sealed record FactView(
    long Id,
    string Text,
    string Category,
    string Source,
    double Confidence,
    double Importance,
    int SeenCount,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    FactOriginView? Origin = null);

/// <summary>Where a captured fact was said: kind "conversation" (id, message_id) or "run" (id); run_id is the run that captured it.</summary>
public sealed record FactOriginView(string Kind, string Id, string? MessageId, string? RunId);

/// <summary>POST/PUT body of /v1/memory/facts. Null members keep their defaults (add) or current values (update).</summary>
public sealed record FactInput(string? Text, string? Category = null, string? Source = null, double? Confidence = null, double? Importance = null);

/// <summary>What an add did: "added" a new fact, or "reinforced" a known one (a duplicate is not stored twice).</summary>
public sealed record FactWriteResult(string Outcome, FactView Fact);

/// <summary>
/// Facts CRUD for one user (SPEC 3.2), the seam between the HTTP API and the fact store:
/// <see cref="FactServiceUserFacts"/>, the same fact service as the CLI.
/// </summary>
public interface IUserFacts
{
    Task<IReadOnlyList<FactView>> ListAsync(UserSpace user, string? category, int limit, CancellationToken cancellationToken);

    Task<FactView?> GetAsync(UserSpace user, long id, CancellationToken cancellationToken);

    Task<FactWriteResult> AddAsync(UserSpace user, FactInput input, CancellationToken cancellationToken);

    Task<FactView> UpdateAsync(UserSpace user, long id, FactInput input, CancellationToken cancellationToken);

    /// <summary>False when the user has no such fact.</summary>
    Task<bool> DeleteAsync(UserSpace user, long id, CancellationToken cancellationToken);
}
