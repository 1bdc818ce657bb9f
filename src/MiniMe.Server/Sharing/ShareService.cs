using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MiniMe.Hosting.Users;
using MiniMe.Memory.Facts;
using MiniMe.Server.Goals;
using MiniMe.Sharing;

namespace MiniMe.Server.Sharing;

/// <summary>What an export produced: the file written and, per section, what was published and held back.</summary>
public sealed record ShareExportResult(ShareContract Contract, string Out, DateTimeOffset Created, IReadOnlyList<ShareSectionResult> Sections, string ContentSha256)
{
    public IEnumerable<Suppression> Suppressed => Sections.SelectMany(s => s.Suppressed);
}

/// <summary>A contract in `minime share list`: its registered terms, its status and its exports.</summary>
public sealed record ShareContractStatus(
    string Name,
    string Status,
    string Recipient,
    string Purpose,
    int K,
    DateOnly Expires,
    bool Revocable,
    string Sha256,
    string Path,
    DateTimeOffset FirstUsed,
    DateTimeOffset? RevokedAt,
    int Exports,
    DateTimeOffset? LastExport);

/// <summary>The registry as `minime share list` shows it.</summary>
public sealed record ShareListing(IReadOnlyList<ShareContractStatus> Contracts, IReadOnlyList<ShareExportEntry> Exports);

/// <summary>The status names of a contract.</summary>
public static class ShareStatuses
{
    public const string Active = "active";
    public const string Expired = "expired";
    public const string Revoked = "revoked";
}

/// <summary>A change the contract's state does not allow (revoking twice).</summary>
public sealed class ShareStateException(string message) : MiniMeException(ErrorCategory.Conflict, message);

/// <summary>
/// Sharing contracts (docs/sharing.md): exports k-anonymous aggregates of a user's facts, documents, goals and
/// run activity under a contract, and keeps the registry of contracts used, exports made and revocations.
/// The only way anything personal leaves: no export without a contract that is neither revoked nor expired.
/// Registered once in the personal layer, for `minime share`.
/// </summary>
public sealed class ShareService(UserSpaces spaces, GoalStore goals, TimeProvider time)
{
    /// <summary>The format name the export file carries.</summary>
    public const string Format = "minime.share/1";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public string OwnerId => spaces.OwnerId;

    private string RegistryPath(string userId) => ShareRegistry.PathFor(spaces.Get(userId).Root);

    private DateOnly Today => DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);

    /// <summary>Reads a contract file (line:col errors) without exporting anything.</summary>
    public static ShareContract Load(string path) => ShareContractParser.LoadFile(path);

    /// <summary>Exports the aggregates the contract allows to <paramref name="outPath"/> and registers the export.</summary>
    public async Task<ShareExportResult> ExportAsync(string userId, string contractPath, string outPath, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(contractPath);
        ArgumentException.ThrowIfNullOrEmpty(outPath);
        var contract = Load(contractPath);
        var registryPath = RegistryPath(userId);
        EnsureMayExport(contract, ShareRegistry.Read(registryPath));
        var outFull = Path.GetFullPath(outPath);
        if (Path.GetDirectoryName(outFull) is { } dir && !Directory.Exists(dir))
            throw new NotFoundException($"No folder '{dir}' for the export; create it or choose another --out.");
        if (string.Equals(outFull, Path.GetFullPath(contractPath), StringComparison.Ordinal))
            throw new InvalidInputException("--out is the contract file itself; write the export to another file.");

        var created = time.GetUtcNow();
        var sections = new List<ShareSectionResult>();
        foreach (var section in contract.What)
            sections.Add(KAnonymizer.Aggregate(section, await RecordsAsync(userId, section.Source, cancellationToken).ConfigureAwait(false), contract.K));

        var content = new JsonObject
        {
            ["sections"] = new JsonArray([.. sections.Select(SectionJson)]),
            ["suppressed"] = new JsonArray([.. sections.SelectMany(s => s.Suppressed).Select(SuppressionJson)]),
        };
        var contentHash = ShareContractParser.Hash(content.ToJsonString());
        var document = new JsonObject
        {
            ["format"] = Format,
            ["contract"] = new JsonObject
            {
                ["name"] = contract.Name,
                ["sha256"] = contract.Sha256,
                ["recipient"] = contract.Recipient,
                ["purpose"] = contract.Purpose,
                ["k"] = contract.K,
                ["expires"] = Date(contract.Expires),
                ["revocable"] = contract.Revocable,
                ["quasi_identifiers"] = new JsonArray([.. contract.QuasiIdentifiers.Select(q => (JsonNode)q)]),
            },
            ["created"] = created.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["expires"] = Date(contract.Expires),
            ["content_sha256"] = contentHash,
            ["suppressed_groups"] = sections.Sum(s => s.Suppressed.Where(x => x.Reason == SuppressionReasons.GroupBelowK).Sum(x => x.Groups)),
            ["sections"] = content["sections"]!.DeepClone(),
            ["suppressed"] = content["suppressed"]!.DeepClone(),
        };
        var temp = outFull + ".tmp";
        await File.WriteAllTextAsync(temp, document.ToJsonString(Indented) + "\n", cancellationToken).ConfigureAwait(false);

        var entry = new ShareExportEntry(contract.Name, contract.Sha256, created, outFull, sections.Sum(s => s.Groups.Count),
            sections.Sum(s => s.Suppressed.Where(x => x.Reason == SuppressionReasons.GroupBelowK).Sum(x => x.Groups)), contentHash);
        try
        {
            await ShareRegistry.UpdateAsync(registryPath, registry =>
            {
                // Checked again under the registry's lock: a revocation made meanwhile wins.
                EnsureMayExport(contract, registry);
                var previous = registry.Contracts.FirstOrDefault(c => c.Name == contract.Name);
                var registered = new RegisteredContract(contract.Name, contract.Sha256, Path.GetFullPath(contractPath), contract.Recipient, contract.Purpose,
                    contract.K, contract.Expires, contract.Revocable, previous?.FirstUsed ?? created);
                var contracts = registry.Contracts.Where(c => c.Name != contract.Name).Append(registered).OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
                return (new ShareRegistryFile(contracts, [.. registry.Exports, entry]), 0);
            }, cancellationToken).ConfigureAwait(false);
            File.Move(temp, outFull, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
        return new ShareExportResult(contract, outFull, created, sections, contentHash);
    }

    /// <summary>The contracts used and the exports made, with each contract's status today.</summary>
    public ShareListing List(string userId)
    {
        var registry = ShareRegistry.Read(RegistryPath(userId));
        var today = Today;
        var contracts = registry.Contracts.Select(c =>
        {
            var exports = registry.Exports.Where(e => e.Contract == c.Name).ToList();
            var status = c.RevokedAt is not null ? ShareStatuses.Revoked : today > c.Expires ? ShareStatuses.Expired : ShareStatuses.Active;
            return new ShareContractStatus(c.Name, status, c.Recipient, c.Purpose, c.K, c.Expires, c.Revocable, c.Sha256, c.Path, c.FirstUsed, c.RevokedAt,
                exports.Count, exports.Count == 0 ? null : exports.Max(e => e.Created));
        }).ToList();
        return new ShareListing(contracts, registry.Exports);
    }

    /// <summary>Revokes a registered contract: no export under its name is made again.</summary>
    public async Task<ShareContractStatus> RevokeAsync(string userId, string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var at = time.GetUtcNow();
        await ShareRegistry.UpdateAsync(RegistryPath(userId), registry =>
        {
            var contract = registry.Contracts.FirstOrDefault(c => c.Name == name);
            if (contract is null)
            {
                var names = registry.Contracts.Select(c => c.Name).ToList();
                var closest = MiniMe.Configuration.SettingKeys.Closest(name, names);
                throw new NotFoundException(names.Count == 0
                    ? $"No contract '{name}': none was used yet (`minime share export --contract FILE` registers one)."
                    : $"No contract '{name}'{(closest is null ? "" : $"; did you mean '{closest}'?")} (`minime share list` shows them).");
            }
            if (contract.RevokedAt is { } revoked)
                throw new ShareStateException($"Contract '{name}' was already revoked on {revoked.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC.");
            if (!contract.Revocable)
                throw new ShareRefusedException($"Contract '{name}' says revocable: false; it ends on its expiry date ({Date(contract.Expires)}).");
            var contracts = registry.Contracts.Select(c => c.Name == name ? c with { RevokedAt = at } : c).ToList();
            return (registry with { Contracts = contracts }, 0);
        }, cancellationToken).ConfigureAwait(false);
        return List(userId).Contracts.First(c => c.Name == name);
    }

    private void EnsureMayExport(ShareContract contract, ShareRegistryFile registry)
    {
        if (registry.Contracts.FirstOrDefault(c => c.Name == contract.Name) is { RevokedAt: { } revoked })
            throw new ShareRefusedException($"Contract '{contract.Name}' was revoked on {revoked.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}; nothing is exported under it (a new agreement takes a new contract name).");
        if (contract.IsExpired(Today))
            throw new ShareRefusedException($"Contract '{contract.Name}' expired on {Date(contract.Expires)}; nothing is exported under it.");
    }

    private async Task<IReadOnlyList<ShareRecord>> RecordsAsync(string userId, string source, CancellationToken cancellationToken)
    {
        var space = spaces.Get(userId);
        switch (source)
        {
            case ShareSourceKind.Facts:
                var factStore = await space.FactStoreAsync(cancellationToken).ConfigureAwait(false);
                var facts = await factStore.ListAsync(new FactQuery(Statuses: [FactStatus.Active], Limit: int.MaxValue), cancellationToken).ConfigureAwait(false);
                return [.. facts.Select(f => Record(f.Category, [(ShareQuasiIdentifiers.Category, f.Category), (ShareQuasiIdentifiers.Month, Month(f.CreatedAt))],
                    [("confidence", f.Confidence), ("importance", f.Importance)]))];
            case ShareSourceKind.Documents:
                var store = await space.StoreAsync(cancellationToken).ConfigureAwait(false);
                var documents = await store.ListDocumentsAsync(null, cancellationToken).ConfigureAwait(false);
                return [.. documents.Select(d => Record(d.Domain, [(ShareQuasiIdentifiers.Domain, d.Domain), (ShareQuasiIdentifiers.Month, Month(d.ImportedAt))],
                    [("chunks", d.Chunks)]))];
            case ShareSourceKind.Goals:
                return [.. goals.List(userId).Select(g => Record(g.Status, [(ShareQuasiIdentifiers.Status, g.Status), (ShareQuasiIdentifiers.Month, Month(g.CreatedAt))],
                    [("progress", g.Progress)]))];
            case ShareSourceKind.Activity:
                return [.. space.Traces.List().Select(r => Record(r.Domain, [(ShareQuasiIdentifiers.Domain, r.Domain ?? ""), (ShareQuasiIdentifiers.Month, Month(r.Started))], []))];
            default:
                throw new ArgumentOutOfRangeException(nameof(source), source, "not a sharing source");
        }
    }

    private static ShareRecord Record(string? filter, (string, string)[] keys, (string, double)[] values) =>
        new(keys.ToDictionary(k => k.Item1, k => k.Item2, StringComparer.Ordinal), values.ToDictionary(v => v.Item1, v => v.Item2, StringComparer.Ordinal))
        {
            FilterValue = filter,
        };

    private static string Month(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM", CultureInfo.InvariantCulture);

    private static string Date(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static JsonObject GroupJson(ShareGroup group, IReadOnlyList<string> measures)
    {
        var json = new JsonObject();
        foreach (var (key, value) in group.Keys) json[key] = value;
        if (measures.Contains(ShareSourceKind.Count)) json[ShareSourceKind.Count] = group.Count;
        foreach (var (measure, value) in group.Measures) json[measure] = value;
        return json;
    }

    private static JsonObject SectionJson(ShareSectionResult section) => new()
    {
        ["source"] = section.Source,
        ["group_by"] = new JsonArray([.. section.GroupBy.Select(q => (JsonNode)q)]),
        ["measures"] = new JsonArray([.. section.Measures.Select(m => (JsonNode)m)]),
        ["groups"] = new JsonArray([.. section.Groups.Select(g => GroupJson(g, section.Measures))]),
        ["total"] = section.Total is { } total ? GroupJson(total, section.Measures) : null,
    };

    private static JsonObject SuppressionJson(Suppression s) => new()
    {
        ["source"] = s.Source,
        ["reason"] = s.Reason,
        ["groups"] = s.Groups,
        ["records"] = s.Records,
        ["note"] = s.Note,
    };
}
