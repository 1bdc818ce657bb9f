using System.Text.Json.Serialization;

namespace MiniMe.Server.Signals;

/// <summary>
/// A summary of one user's memory at one moment: what it holds (documents per domain, facts per
/// category), where their goals stand, how active they have been, and how coherent their principles are.
/// `minime signal`, GET /v1/signal and the badge all show this one record.
/// </summary>
/// <param name="AsOf">When it was computed (UTC); the badge shows its date.</param>
/// <param name="TopDomains">The domains holding the most chunks, at most <see cref="SignalService.TopDomainCount"/>.</param>
/// <param name="DomainCount">How many domains memory holds in all.</param>
/// <param name="Facts">Active facts (believed true, used in retrieval).</param>
/// <param name="FactCategories">Active facts per category, most first.</param>
public sealed record Signal(
    string User,
    DateTimeOffset AsOf,
    int Documents,
    long Chunks,
    int DomainCount,
    IReadOnlyList<DomainSignal> TopDomains,
    int Facts,
    IReadOnlyList<CategorySignal> FactCategories,
    GoalSignal Goals,
    ActivitySignal Activity,
    CoherenceSignal Coherence);

/// <summary>One domain of memory: its documents and their chunks.</summary>
public sealed record DomainSignal(string Domain, int Documents, long Chunks);

/// <summary>Active facts in one category.</summary>
public sealed record CategorySignal(string Category, int Facts);

/// <summary>
/// Goals by status; <paramref name="MeanProgress"/> is the mean progress (0-100) of the active goals,
/// null without one; <paramref name="Overdue"/> counts active goals whose deadline has passed.
/// </summary>
public sealed record GoalSignal(int Active, int Done, int Archived, double? MeanProgress, int Overdue);

/// <summary>Runs started and documents imported (or re-imported) in the last 7 and 30 days before <see cref="Signal.AsOf"/>.</summary>
public sealed record ActivitySignal(
    [property: JsonPropertyName("runs_7d")] int Runs7Days,
    [property: JsonPropertyName("runs_30d")] int Runs30Days,
    [property: JsonPropertyName("imports_7d")] int Imports7Days,
    [property: JsonPropertyName("imports_30d")] int Imports30Days);

/// <summary>
/// The coherence of the principles in identity.yaml (<see cref="PrincipleCoherence"/>), in [0, 1]: the mean of
/// <paramref name="Consistency"/> (how evenly their magnitudes are held) and <paramref name="Overlap"/> (how much
/// their words overlap, weighted by magnitude); all rounded to 3 decimals.
/// </summary>
public sealed record CoherenceSignal(double Score, double Consistency, double Overlap, int Principles, string Method);
