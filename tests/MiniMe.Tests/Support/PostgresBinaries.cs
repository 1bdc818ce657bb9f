using System.Diagnostics;
using System.Globalization;

namespace MiniMe.Tests.Support;

/// <summary>
/// Finds a local PostgreSQL server installation: $MINIME_TEST_POSTGRES_BIN, else the newest Debian
/// /usr/lib/postgresql/N/bin holding initdb and pg_ctl. Tests that need a server skip, with this
/// reason, only when none is installed.
/// </summary>
public sealed record PostgresBinaries(string BinDirectory, string Version)
{
    public static PostgresBinaries? Found { get; } = Find();

    private readonly Lazy<bool> _hasPgvector = new(() => ExtensionDirectories(BinDirectory, Version).Any(d => File.Exists(Path.Combine(d, "vector.control"))));

    public static string? SkipReason => Found is null
        ? "PostgreSQL server binaries not found (no /usr/lib/postgresql/*/bin/initdb; install the Debian package postgresql or set MINIME_TEST_POSTGRES_BIN)"
        : null;

    /// <summary>Whether the pgvector extension is installed for this server (its control file is in the extension folder).</summary>
    public bool HasPgvector => _hasPgvector.Value;

    public static string? PgvectorSkipReason => Found switch
    {
        null => SkipReason,
        { HasPgvector: false } found =>
            $"pgvector is not installed for PostgreSQL {found.Version} (no vector.control; Debian has no package for this release; scripts/build-pgvector.sh builds it from the vendored source, see its output): the exact float4[] path runs instead",
        _ => null,
    };

    public string Tool(string name) => Path.Combine(BinDirectory, name);

    /// <summary>
    /// The server's extension folder: what its pg_config reports (PostgreSQL finds its share folder
    /// relative to its binaries, so this also holds for a staged copy from scripts/build-pgvector.sh),
    /// else the usual places.
    /// </summary>
    private static IEnumerable<string> ExtensionDirectories(string binDirectory, string version)
    {
        if (ShareDirectory(binDirectory) is { } share)
        {
            yield return Path.Combine(share, "extension");
            yield break;
        }
        yield return Path.Combine("/usr/share/postgresql", version, "extension");
        yield return Path.GetFullPath(Path.Combine(binDirectory, "..", "share", "extension"));
        yield return Path.GetFullPath(Path.Combine(binDirectory, "..", "share", "postgresql", "extension"));
    }

    private static string? ShareDirectory(string binDirectory)
    {
        var pgConfig = Path.Combine(binDirectory, "pg_config");
        if (!File.Exists(pgConfig)) return null;
        try
        {
            using var process = Process.Start(new ProcessStartInfo(pgConfig, "--sharedir") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false });
            if (process is null) return null;
            var output = process.StandardOutput.ReadToEnd().Trim();
            return process.WaitForExit(10_000) && process.ExitCode == 0 && Directory.Exists(output) ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    private static PostgresBinaries? Find()
    {
        var overridden = Environment.GetEnvironmentVariable("MINIME_TEST_POSTGRES_BIN");
        if (!string.IsNullOrWhiteSpace(overridden))
            return HasTools(overridden) ? new PostgresBinaries(overridden, Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(overridden).TrimEnd('/'))) ?? "") : null;
        const string root = "/usr/lib/postgresql";
        if (!Directory.Exists(root)) return null;
        return Directory.EnumerateDirectories(root)
            .Select(d => (Dir: Path.Combine(d, "bin"), Version: Path.GetFileName(d)))
            .Where(v => HasTools(v.Dir))
            .OrderByDescending(v => decimal.TryParse(v.Version, NumberStyles.Number, CultureInfo.InvariantCulture, out var n) ? n : 0)
            .Select(v => new PostgresBinaries(v.Dir, v.Version))
            .FirstOrDefault();
    }

    private static bool HasTools(string dir) => File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl"));
}
