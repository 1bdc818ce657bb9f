namespace MiniMe.Tools.Processes;

/// <summary>
/// What a sandboxed command sees outside the tools root, worked out once: the system directories
/// (read-only, or recreated as the symlinks they are on a merged-/usr system), a short list of /etc
/// entries programs need (users, name resolution, certificates, time zone, the dynamic loader's cache,
/// Debian's alternatives — not shadow files, keys or service configuration), the toolchains the allowed
/// programs live in, the NuGet package cache, and what tools.sandboxReadOnly adds. Everything else
/// outside the root (home directories, /var, /srv, /opt, /root, other projects) does not exist inside.
/// </summary>
public sealed class SandboxLayout
{
    private static readonly string[] SystemDirectories = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];

    private static readonly string[] EtcEntries =
    [
        "alternatives", "ssl", "ca-certificates", "ca-certificates.conf", "pki", "crypto-policies",
        "passwd", "group", "nsswitch.conf", "hosts", "host.conf", "resolv.conf", "gai.conf", "protocols", "services", "networks",
        "localtime", "timezone", "locale.alias", "locale.conf", "default/locale",
        "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "os-release", "debian_version", "lsb-release",
        "mime.types", "magic", "magic.mime", "terminfo", "dotnet", "java-17-openjdk", "java-21-openjdk",
    ];

    private SandboxLayout(IReadOnlyList<string> arguments, IReadOnlyList<string> readOnly)
    {
        Arguments = arguments;
        ReadOnlyPaths = readOnly;
    }

    /// <summary>The bubblewrap arguments that build the view of the system (before the root is bound).</summary>
    public IReadOnlyList<string> Arguments { get; }

    /// <summary>The directories outside the system ones made visible read-only (toolchains, caches, user additions), for the description.</summary>
    public IReadOnlyList<string> ReadOnlyPaths { get; }

    /// <param name="programDirectories">Where the allowed programs really live (a toolchain outside /usr is bound read-only).</param>
    /// <param name="extraReadOnly">tools.sandboxReadOnly: absolute paths the user makes visible read-only.</param>
    /// <param name="environment">Reads HOME, NUGET_PACKAGES and DOTNET_ROOT.</param>
    public static SandboxLayout Create(IEnumerable<string> programDirectories, IEnumerable<string> extraReadOnly, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var args = new List<string>();
        foreach (var dir in SystemDirectories) AddSystem(args, dir);
        foreach (var entry in EtcEntries) AddSystem(args, "/etc/" + entry);

        var readOnly = new List<string>();
        void Add(string? path)
        {
            if (string.IsNullOrWhiteSpace(path) || !Path.IsPathRooted(path)) return;
            var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
            if (!Directory.Exists(full) || full == "/" || IsUnder(full, SystemDirectories) || readOnly.Any(r => IsUnder(full, [r]))) return;
            readOnly.RemoveAll(r => IsUnder(r, [full]));
            readOnly.Add(full);
        }
        foreach (var dir in programDirectories) Add(dir);
        Add(environment("DOTNET_ROOT"));
        Add(environment("NUGET_PACKAGES") ?? (environment("HOME") is { Length: > 0 } home ? Path.Join(home, ".nuget", "packages") : null));
        foreach (var path in extraReadOnly) Add(path);
        foreach (var path in readOnly) args.AddRange(["--ro-bind", path, path]);
        return new SandboxLayout(args, readOnly);
    }

    private static void AddSystem(List<string> args, string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is { } target) args.AddRange(["--symlink", target, path]);
        else if (Directory.Exists(path) || File.Exists(path)) args.AddRange(["--ro-bind", path, path]);
    }

    private static bool IsUnder(string path, IEnumerable<string> roots) =>
        roots.Any(r => path == r || path.StartsWith(r.TrimEnd('/') + "/", StringComparison.Ordinal));
}
