using MiniMe.Hosting.Users;
using MiniMe.Memory.Facts;
using MiniMe.Server.Goals;

namespace MiniMe.Server.Signals;

/// <summary>
/// Computes a user's <see cref="Signal"/> from what the engine holds for them: the memory store's
/// documents (per domain), the fact store's active facts (per category), the goals in server.db, the
/// run traces, and the principles of identity.yaml. Registered once in the personal layer, for
/// `minime signal` / `minime badge` and GET /v1/signal / /v1/badge.svg alike.
/// </summary>
public sealed class SignalService(UserSpaces spaces, GoalStore goals, GoalAlerts alerts, TimeProvider time)
{
    /// <summary>How many domains the signal names (the rest are counted in <see cref="Signal.DomainCount"/>).</summary>
    public const int TopDomainCount = 5;

    /// <summary>The workspace owner's id (the user the CLI and a published badge speak for).</summary>
    public string OwnerId => spaces.OwnerId;

    public async Task<Signal> ComputeAsync(string userId, CancellationToken cancellationToken = default)
    {
        var space = spaces.Get(userId);
        var asOf = time.GetUtcNow();

        var store = await space.StoreAsync(cancellationToken).ConfigureAwait(false);
        var documents = await store.ListDocumentsAsync(null, cancellationToken).ConfigureAwait(false);
        var domains = documents
            .GroupBy(d => d.Domain, StringComparer.Ordinal)
            .Select(g => new DomainSignal(g.Key, g.Count(), g.Sum(d => (long)d.Chunks)))
            .OrderByDescending(d => d.Chunks).ThenByDescending(d => d.Documents).ThenBy(d => d.Domain, StringComparer.Ordinal)
            .ToList();

        var factStore = await space.FactStoreAsync(cancellationToken).ConfigureAwait(false);
        var facts = await factStore.ListAsync(new FactQuery(Statuses: [FactStatus.Active], Limit: int.MaxValue), cancellationToken).ConfigureAwait(false);
        var categories = facts
            .GroupBy(f => f.Category, StringComparer.Ordinal)
            .Select(g => new CategorySignal(g.Key, g.Count()))
            .OrderByDescending(c => c.Facts).ThenBy(c => c.Category, StringComparer.Ordinal)
            .ToList();

        var all = goals.List(userId);
        var active = all.Where(g => g.Status == GoalStatuses.Active).ToList();
        var goalSignal = new GoalSignal(
            active.Count,
            all.Count(g => g.Status == GoalStatuses.Done),
            all.Count(g => g.Status == GoalStatuses.Archived),
            active.Count == 0 ? null : Math.Round(active.Average(g => (double)g.Progress), 1, MidpointRounding.AwayFromZero),
            alerts.For(userId).Count(a => a.Overdue));

        var week = asOf.AddDays(-7);
        var month = asOf.AddDays(-30);
        var runs = space.Traces.List();
        var activity = new ActivitySignal(
            runs.Count(r => r.Started >= week),
            runs.Count(r => r.Started >= month),
            documents.Count(d => d.ImportedAt >= week),
            documents.Count(d => d.ImportedAt >= month));

        var principles = space.LoadIdentity().Principles;
        var parts = PrincipleCoherence.Compute(principles);
        var coherence = new CoherenceSignal(parts.Score, parts.Consistency, parts.Overlap, principles.Count, PrincipleCoherence.Method);

        return new Signal(
            space.UserId,
            asOf,
            documents.Count,
            documents.Sum(d => (long)d.Chunks),
            domains.Count,
            [.. domains.Take(TopDomainCount)],
            facts.Count,
            categories,
            goalSignal,
            activity,
            coherence);
    }
}
