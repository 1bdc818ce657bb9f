namespace MiniMe.Sharing;

/// <summary>
/// A sharing contract (a <c>*.share.yaml</c> file, docs/sharing.md): what may leave the workspace, for whom and
/// why, grouped by which quasi-identifiers, with which k, until when. Nothing personal leaves without one, and
/// only aggregates over groups of at least <see cref="K"/> records do.
/// </summary>
public sealed record ShareContract(
    string Name,
    string Recipient,
    string Purpose,
    int K,
    DateOnly Expires,
    bool Revocable,
    IReadOnlyList<string> QuasiIdentifiers,
    IReadOnlyList<ShareSection> What)
{
    /// <summary>The file it was read from (errors and the registry name it).</summary>
    public string Source { get; init; } = "";

    /// <summary>"sha256:" and the SHA-256 of the file's text (UTF-8): the export and the registry carry it.</summary>
    public string Sha256 { get; init; } = "";

    /// <summary>True once <paramref name="today"/> is past <see cref="Expires"/> (the contract holds through its expiry day, UTC).</summary>
    public bool IsExpired(DateOnly today) => today > Expires;
}

/// <summary>
/// One source the contract shares (facts, documents, goals, activity): the values it is limited to
/// (categories, domains or goal statuses; null: all), the measures asked for, and the quasi-identifiers of
/// the contract that apply to this source (its groups).
/// </summary>
public sealed record ShareSection(string Source, IReadOnlyList<string>? Values, IReadOnlyList<string> Measures, IReadOnlyList<string> GroupBy);

/// <summary>A contract file that cannot be used: every problem, each "file:line:col: message".</summary>
public sealed class ShareContractException(IReadOnlyList<string> problems)
    : MiniMeException(ErrorCategory.InvalidInput, string.Join('\n', problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}

/// <summary>An export the contract's state does not allow (revoked, expired, not revocable).</summary>
public sealed class ShareRefusedException(string message) : MiniMeException(ErrorCategory.Refused, message);

/// <summary>The quasi-identifiers a contract may group by.</summary>
public static class ShareQuasiIdentifiers
{
    /// <summary>A fact's category (free text: the contract lists the categories that may leave).</summary>
    public const string Category = "category";
    /// <summary>A document's or a run's domain (free text: the contract lists the domains that may leave).</summary>
    public const string Domain = "domain";
    /// <summary>The month (UTC, yyyy-MM) a fact, document, goal or run was created, imported or started.</summary>
    public const string Month = "month";
    /// <summary>A goal's status (active, done, archived).</summary>
    public const string Status = "status";

    public static IReadOnlyList<string> All { get; } = [Category, Domain, Month, Status];
}

/// <summary>
/// What each source is: the key that limits its values, the quasi-identifiers it has (and which of them are
/// free text, so usable only with that list), and the measures it offers (count, share, mean_VALUE).
/// </summary>
public sealed record ShareSourceKind(
    string Name,
    string FilterKey,
    IReadOnlyList<string>? FilterValues,
    IReadOnlyList<string> QuasiIdentifiers,
    string? FreeTextQuasiIdentifier,
    IReadOnlyList<string> Measures)
{
    public const string Facts = "facts";
    public const string Documents = "documents";
    public const string Goals = "goals";
    public const string Activity = "activity";

    /// <summary>The number of records of a group.</summary>
    public const string Count = "count";
    /// <summary>The group's records over all the records of the published groups of its section.</summary>
    public const string Share = "share";
    /// <summary>Prefix of a mean: mean_confidence is the mean of the records' confidence value.</summary>
    public const string MeanPrefix = "mean_";

    public static IReadOnlyList<ShareSourceKind> All { get; } =
    [
        new(Facts, "categories", null, [ShareQuasiIdentifiers.Category, ShareQuasiIdentifiers.Month], ShareQuasiIdentifiers.Category,
            [Count, Share, "mean_confidence", "mean_importance"]),
        new(Documents, "domains", null, [ShareQuasiIdentifiers.Domain, ShareQuasiIdentifiers.Month], ShareQuasiIdentifiers.Domain,
            [Count, Share, "mean_chunks"]),
        new(Goals, "status", ["active", "done", "archived"], [ShareQuasiIdentifiers.Status, ShareQuasiIdentifiers.Month], null,
            [Count, Share, "mean_progress"]),
        new(Activity, "domains", null, [ShareQuasiIdentifiers.Domain, ShareQuasiIdentifiers.Month], ShareQuasiIdentifiers.Domain,
            [Count, Share]),
    ];

    public static IReadOnlyList<string> Names { get; } = [.. All.Select(s => s.Name)];

    public static ShareSourceKind Get(string name) => All.First(s => s.Name == name);
}

/// <summary>
/// One record of a source as the export sees it: its quasi-identifier values and its numeric values (no text,
/// no id). A fact is {category, month} and {confidence, importance}; a document {domain, month} and {chunks}.
/// </summary>
public sealed record ShareRecord(IReadOnlyDictionary<string, string> Keys, IReadOnlyDictionary<string, double> Values)
{
    /// <summary>The value a filter of the contract is checked against (category, domain, status).</summary>
    public string? FilterValue { get; init; }
}
