using MiniMe.Packs;

namespace MiniMe.Server.Packs;

/// <summary>An installed pack: its active version (null when deactivated), every version kept, and the topics of the version shown.</summary>
public sealed record PackSummary(string Name, string? Active, IReadOnlyList<string> Versions, string Description, IReadOnlyList<string> Topics);

/// <summary>One version kept in the store.</summary>
public sealed record PackVersionView(string Version, bool Active, string Sha256, DateTimeOffset ImportedAt);

/// <summary>A document of a pack as shown: its title, its file (null when inline), its size and text.</summary>
public sealed record PackDocumentView(string Title, string? Path, int Characters, string Text);

/// <summary>One version of a pack in full: what it adds to a run's context when it is active and its topics match.</summary>
public sealed record PackDetails(
    string Name,
    string Version,
    bool Active,
    string? ActiveVersion,
    IReadOnlyList<PackVersionView> Versions,
    string Description,
    IReadOnlyList<string> Topics,
    IReadOnlyList<string> Rules,
    IReadOnlyList<PackFact> Facts,
    IReadOnlyList<PackDocumentView> Documents);

/// <summary>What an import did: installed (a new version), unchanged (the same content again), replaced (--force over other content).</summary>
public sealed record PackImportResult(string Name, string Version, string Outcome, bool Active, string? ActiveVersion, string Sha256);

/// <summary>The active version before and after a change (activate, deactivate, rollback).</summary>
public sealed record PackActivation(string Name, string? Previous, string? Active);

/// <summary>What a remove deleted.</summary>
public sealed record PackRemoval(string Name, IReadOnlyList<string> Removed, string? Active);
