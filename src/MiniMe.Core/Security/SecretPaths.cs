namespace MiniMe.Security;

/// <summary>
/// Paths nothing in MiniMe ever reads, imports or shows, whatever allowlist.yaml says: key and
/// credential files. Shared by the tools (read/write confinement and the sandbox's masks) and the
/// importer, so one list decides what is a secret. <see cref="NeverWritten"/> is git's internals,
/// where a hook or a config line would run code later.
/// </summary>
public static class SecretPaths
{
    /// <summary>The patterns, as written (for messages and docs).</summary>
    public static IReadOnlyList<string> Patterns { get; } =
    [
        "**/.env", "**/.env.*", "**/*.pem", "**/*.key", "**/*.p12", "**/*.pfx", "**/*.jks", "**/*.keystore",
        "**/id_rsa*", "**/id_dsa*", "**/id_ecdsa*", "**/id_ed25519*",
        "**/.ssh", "**/.ssh/**", "**/.gnupg", "**/.gnupg/**", "**/.aws", "**/.aws/**", "**/.azure/**", "**/.kube/**",
        "**/.docker/config.json", "**/.netrc", "**/.npmrc", "**/.pypirc", "**/.git-credentials",
    ];

    public static IReadOnlyList<Glob> Always { get; } = Globs(Patterns);

    private static readonly GlobSet Set = new(Patterns, ignoreCase: true);

    public static IReadOnlyList<Glob> NeverWritten { get; } = Globs(["**/.git", "**/.git/**"]);

    /// <summary>The first secret pattern a '/'-separated relative path matches, or null.</summary>
    public static string? Match(string relativePath) => Set.Match(relativePath);

    public static bool IsSecret(string relativePath) => Match(relativePath) is not null;

    private static Glob[] Globs(IEnumerable<string> patterns) => [.. patterns.Select(p => new Glob(p, ignoreCase: true))];
}
