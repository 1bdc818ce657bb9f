using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MiniMe.Tracing;

namespace MiniMe.Tools.Trust;

/// <summary>
/// The trust file: which workspaces the user trusts, kept outside every workspace (default
/// $XDG_CONFIG_HOME/minime/trust.json, else ~/.config/minime/trust.json; MINIME_TRUST_FILE overrides).
/// Readers see whole files only (writes go to a temporary file that is renamed over the old one);
/// writers take an exclusive lock on a sibling .lock file, so concurrent `minime trust` and
/// `minime init` runs never lose each other's entries. A file that does not parse is a
/// <see cref="TrustFileException"/>: nothing in it is trusted and nothing is written over it.
/// </summary>
public sealed class TrustStore
{
    public const string EnvironmentVariable = "MINIME_TRUST_FILE";
    private const int Version = 1;
    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(30);

    public TrustStore(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
    }

    /// <summary>The trust file (it may not exist yet).</summary>
    public string Path { get; }

    /// <summary>The trust file of the user running MiniMe: MINIME_TRUST_FILE, else $XDG_CONFIG_HOME/minime/trust.json, else ~/.config/minime/trust.json.</summary>
    public static TrustStore ForUser(Func<string, string?>? environment = null) => new(DefaultPath(environment));

    public static string DefaultPath(Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        if (environment(EnvironmentVariable) is { Length: > 0 } explicitPath) return System.IO.Path.GetFullPath(explicitPath);
        // The XDG spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
        var config = environment("XDG_CONFIG_HOME") is { Length: > 0 } xdg && System.IO.Path.IsPathRooted(xdg)
            ? xdg
            : System.IO.Path.Combine(environment("HOME") is { Length: > 0 } home ? home : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
        return System.IO.Path.Combine(config, "minime", "trust.json");
    }

    /// <summary>Every trusted workspace, by real path.</summary>
    public IReadOnlyList<TrustEntry> List() => [.. Read().Values.OrderBy(e => e.Workspace, StringComparer.Ordinal)];

    /// <summary>The entry for a workspace's real path, or null.</summary>
    public TrustEntry? Find(string workspace) => Read().GetValueOrDefault(workspace);

    /// <summary>Adds or replaces the entry for its workspace.</summary>
    public void Record(TrustEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        Update(entries => entries[entry.Workspace] = entry);
    }

    /// <returns>True when the workspace was trusted and no longer is.</returns>
    public bool Revoke(string workspace)
    {
        var removed = false;
        Update(entries => removed = entries.Remove(workspace));
        return removed;
    }

    private void Update(Action<SortedDictionary<string, TrustEntry>> change)
    {
        var directory = System.IO.Path.GetDirectoryName(Path)!;
        try
        {
            CreatePrivateDirectory(directory);
            using var held = Lock();
            var entries = Read();
            change(entries);
            Write(entries);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TrustFileException($"Cannot update the trust file {Path}: {e.Message}", e);
        }
    }

    private FileStream Lock()
    {
        var lockPath = Path + ".lock";
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                // FileShare.None is an exclusive flock on Unix: held until disposed or the process dies.
                return new FileStream(lockPath, PrivateFile(FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException e) when (e is not DirectoryNotFoundException && waited.Elapsed < LockWait)
            {
                Thread.Sleep(Random.Shared.Next(5, 25));
            }
            catch (IOException e)
            {
                throw new TrustFileException($"Another minime has held the lock on {lockPath} for {LockWait.TotalSeconds:0} s; try again when it finishes.", e);
            }
        }
    }

    private SortedDictionary<string, TrustEntry> Read()
    {
        byte[] bytes;
        try
        {
            if (!File.Exists(Path)) return new(StringComparer.Ordinal);
            bytes = File.ReadAllBytes(Path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TrustFileException($"Cannot read the trust file {Path} ({e.Message}), so no workspace is trusted; fix its permissions.", e);
        }
        try
        {
            return Parse(bytes);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or ArgumentException)
        {
            var what = e is JsonException { LineNumber: { } line, BytePositionInLine: { } column }
                ? $"not valid JSON at line {line + 1}, column {column + 1}"
                : e.Message;
            throw new TrustFileException($"The trust file {Path} is damaged ({what}), so no workspace is trusted; fix it or delete it and trust your workspaces again with `minime trust`.", e);
        }
    }

    private static SortedDictionary<string, TrustEntry> Parse(byte[] bytes)
    {
        using var document = JsonDocument.Parse(bytes);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new FormatException("the top level is not an object");
        if (!root.TryGetProperty("version", out var version) || version.ValueKind != JsonValueKind.Number || version.GetInt32() != Version)
            throw new FormatException($"\"version\" must be {Version}");
        if (!root.TryGetProperty("workspaces", out var workspaces) || workspaces.ValueKind != JsonValueKind.Object)
            throw new FormatException("\"workspaces\" must be an object");
        var entries = new SortedDictionary<string, TrustEntry>(StringComparer.Ordinal);
        foreach (var property in workspaces.EnumerateObject())
        {
            if (!System.IO.Path.IsPathRooted(property.Name)) throw new FormatException($"'{property.Name}' is not an absolute path");
            var e = property.Value;
            if (e.ValueKind != JsonValueKind.Object) throw new FormatException($"the entry for {property.Name} is not an object");
            var fingerprint = new WorkspaceFingerprint(
                property.Name,
                Text(e, "toolsRoot", property.Name),
                Hash(e, "allowlistSha256", property.Name),
                Hash(e, "settingsSha256", property.Name));
            var trustedAt = DateTimeOffset.Parse(Text(e, "trustedAt", property.Name), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
            var how = Text(e, "how", property.Name) switch
            {
                "init" => TrustSource.Init,
                "user" => TrustSource.User,
                var other => throw new FormatException($"\"how\" of {property.Name} is '{other}', not init or user"),
            };
            if (!entries.TryAdd(property.Name, new TrustEntry(fingerprint, trustedAt, how)))
                throw new FormatException($"{property.Name} is listed twice");
        }
        return entries;
    }

    private static string Text(JsonElement entry, string name, string workspace) =>
        entry.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
            ? text
            : throw new FormatException($"the entry for {workspace} has no \"{name}\"");

    private static string Hash(JsonElement entry, string name, string workspace)
    {
        var text = Text(entry, name, workspace);
        return text == Allowlist.ToolAllowlist.AbsentSha256 || (text.Length == 64 && text.All(char.IsAsciiHexDigitLower))
            ? text
            : throw new FormatException($"\"{name}\" of {workspace} is not a SHA-256");
    }

    private void Write(SortedDictionary<string, TrustEntry> entries)
    {
        var workspaces = new JsonObject();
        foreach (var (path, entry) in entries)
            workspaces[path] = new JsonObject
            {
                ["toolsRoot"] = entry.Fingerprint.ToolsRoot,
                ["allowlistSha256"] = entry.Fingerprint.AllowlistSha256,
                ["settingsSha256"] = entry.Fingerprint.SettingsSha256,
                ["trustedAt"] = entry.TrustedAt.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture),
                ["how"] = entry.How == TrustSource.Init ? "init" : "user",
            };
        var text = new JsonObject { ["version"] = Version, ["workspaces"] = workspaces }.ToJsonString(JsonFormats.Indented) + "\n";
        var temporary = $"{Path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temporary, PrivateFile(FileMode.CreateNew, FileAccess.Write, FileShare.None)))
            {
                stream.Write(Encoding.UTF8.GetBytes(text));
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, Path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    /// <summary>Options for a file only its owner can read and write.</summary>
    private static FileStreamOptions PrivateFile(FileMode mode, FileAccess access, FileShare share)
    {
        var options = new FileStreamOptions { Mode = mode, Access = access, Share = share };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        return options;
    }

    private static void CreatePrivateDirectory(string directory)
    {
        if (Directory.Exists(directory)) return;
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(directory);
        else Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}

/// <summary>The trust file cannot be read, parsed or written; the message says what to do. Nothing is trusted meanwhile.</summary>
public sealed class TrustFileException(string message, Exception? inner = null) : MiniMeException(ErrorCategory.Configuration, message, inner);
