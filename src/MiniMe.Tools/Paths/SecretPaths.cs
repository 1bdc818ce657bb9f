using MiniMe.Tools.Allowlist;

namespace MiniMe.Tools.Paths;

/// <summary>
/// Paths no tool ever reads or writes, whatever allowlist.yaml says: key and credential files, and
/// (for writes) git's internals, where a hook or a config line would run code later.
/// </summary>
internal static class SecretPaths
{
    public static IReadOnlyList<Glob> Always { get; } = Globs(
        "**/.env", "**/.env.*", "**/*.pem", "**/*.key", "**/*.p12", "**/*.pfx", "**/*.jks", "**/*.keystore",
        "**/id_rsa*", "**/id_dsa*", "**/id_ecdsa*", "**/id_ed25519*",
        "**/.ssh", "**/.ssh/**", "**/.gnupg", "**/.gnupg/**", "**/.aws", "**/.aws/**", "**/.azure/**", "**/.kube/**",
        "**/.docker/config.json", "**/.netrc", "**/.npmrc", "**/.pypirc", "**/.git-credentials");

    public static IReadOnlyList<Glob> NeverWritten { get; } = Globs("**/.git", "**/.git/**");

    private static Glob[] Globs(params string[] patterns) => [.. patterns.Select(p => new Glob(p, ignoreCase: true))];
}
