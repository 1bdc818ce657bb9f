namespace MiniMe.Masks;

/// <summary>The fixed set of task / document domains.</summary>
public static class Domains
{
    public const string Backend = "backend";
    public const string Frontend = "frontend";
    public const string Data = "data";
    public const string DevOps = "devops";
    public const string Security = "security";
    public const string Testing = "testing";
    public const string Docs = "docs";
    public const string Ml = "ml";
    public const string General = "general";

    /// <summary>All domains; <see cref="General"/> last.</summary>
    public static IReadOnlyList<string> All { get; } =
        [Backend, Frontend, Data, DevOps, Security, Testing, Docs, Ml, General];

    /// <summary>True when <paramref name="domain"/> is one of <see cref="All"/> (case-insensitive).</summary>
    public static bool IsKnown(string? domain) =>
        domain is not null && All.Contains(domain, StringComparer.OrdinalIgnoreCase);
}
