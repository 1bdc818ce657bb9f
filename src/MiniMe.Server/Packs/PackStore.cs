using System.Collections.Concurrent;
using System.Diagnostics;
using MiniMe.Packs;

namespace MiniMe.Server.Packs;

/// <summary>
/// One user's installed knowledge packs, as files: packs/NAME/VERSION/ holds a copy of each imported
/// version (its pack.yaml and the document files it names, nothing else), and packs/state.json which
/// versions are installed and which is active. Every change takes an exclusive lock on
/// packs/state.json.lock (the CLI and `minime serve` may change the same packs), copies into a staging
/// folder renamed into place, and rewrites state.json atomically.
/// </summary>
public sealed class PackStore
{
    public const string StateFileName = "state.json";
    private const int MaxPrevious = 20;
    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, LoadedPack> _cache;

    internal PackStore(string directory, ConcurrentDictionary<string, LoadedPack> cache)
    {
        Directory = Path.GetFullPath(directory);
        _cache = cache;
    }

    /// <summary>The user's packs folder (the workspace's packs/, or users/ID/packs/).</summary>
    public string Directory { get; }

    private string StatePath => Path.Combine(Directory, StateFileName);

    /// <summary>Installs <paramref name="loaded"/>'s version. The same content again changes nothing; other content under an installed version needs <paramref name="force"/>.</summary>
    /// <param name="activate">
    /// Make it active when the pack is new or the version is newer than the active one; a deactivated
    /// pack stays deactivated, and an older version is only kept.
    /// </param>
    public PackImportResult Import(LoadedPack loaded, bool force, bool activate = true)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        var pack = loaded.Pack;
        var version = pack.Version.ToString();
        var sha = loaded.ContentHash;
        return Change(state =>
        {
            var isNew = !state.Packs.TryGetValue(pack.Name, out var entry);
            entry ??= new PackEntryState();
            string outcome;
            if (entry.Versions.TryGetValue(version, out var existing) && System.IO.Directory.Exists(VersionFolder(pack.Name, version)))
            {
                if (existing.Sha256 == sha) return Result("unchanged");
                if (!force)
                    throw new PackConflictException($"{pack.Name} {version} is already installed with other content; raise the version in the pack, or replace it with --force.");
                outcome = "replaced";
            }
            else
            {
                outcome = "installed";
            }
            Install(loaded, version);
            entry.Versions[version] = new PackVersionState { Sha256 = sha, ImportedAt = DateTimeOffset.UtcNow };
            state.Packs[pack.Name] = entry;
            if (activate && (isNew || (entry.Active is { } active && PackVersion.Parse(active) < pack.Version)))
                SetActive(entry, version);
            return Result(outcome);

            PackImportResult Result(string what) => new(pack.Name, version, what, entry.Active == version, entry.Active, sha);
        });
    }

    /// <summary>Every installed pack, by name.</summary>
    public IReadOnlyList<PackSummary> List()
    {
        var state = PackStateFile.Read(StatePath);
        return [.. state.Packs.Select(p => Summary(p.Key, p.Value))];
    }

    /// <summary>One version of a pack (default: the active one, else the newest).</summary>
    public PackDetails Show(string name, string? version = null)
    {
        var entry = Entry(PackStateFile.Read(StatePath), name);
        var shown = version is null ? entry.Active ?? Newest(entry) : Installed(name, entry, version);
        var pack = LoadVersion(name, shown, entry.Versions[shown].Sha256).Pack;
        return new PackDetails(name, shown, entry.Active == shown, entry.Active,
            [.. Ordered(entry).Select(v => new PackVersionView(v, entry.Active == v, entry.Versions[v].Sha256, entry.Versions[v].ImportedAt))],
            pack.Description, pack.Topics, pack.Rules, pack.Facts,
            [.. pack.Documents.Select(d => new PackDocumentView(d.Title, d.Path, d.Text.Length, d.Text))]);
    }

    /// <summary>Makes <paramref name="version"/> (default: the newest installed) the active one; the one active before is remembered for rollback.</summary>
    public PackActivation Activate(string name, string? version = null) => Change(state =>
    {
        var entry = Entry(state, name);
        var target = version is null ? Newest(entry) : Installed(name, entry, version);
        var before = entry.Active;
        SetActive(entry, target);
        return new PackActivation(name, before, entry.Active);
    });

    /// <summary>Stops the pack joining runs; its versions are kept (activate brings it back).</summary>
    public PackActivation Deactivate(string name) => Change(state =>
    {
        var entry = Entry(state, name);
        var before = entry.Active;
        entry.Active = null;
        return new PackActivation(name, before, null);
    });

    /// <summary>Makes the version that was active before the current one active again.</summary>
    public PackActivation Rollback(string name) => Change(state =>
    {
        var entry = Entry(state, name);
        var current = entry.Active ?? throw new PackConflictException($"{name} is not active, so there is nothing to roll back; activate a version with `minime packs activate {name} --version V`.");
        while (entry.Previous.Count > 0)
        {
            var candidate = entry.Previous[^1];
            entry.Previous.RemoveAt(entry.Previous.Count - 1);
            if (candidate != current && entry.Versions.ContainsKey(candidate))
            {
                entry.Active = candidate;
                return new PackActivation(name, current, candidate);
            }
        }
        throw new PackConflictException($"{name} {current} has no earlier active version to roll back to; `minime packs activate {name} --version V` picks one of {string.Join(", ", Ordered(entry))}.");
    });

    /// <summary>Deletes one version (the pack is deactivated if it was the active one) or, without <paramref name="version"/>, the whole pack.</summary>
    public PackRemoval Remove(string name, string? version = null) => Change(state =>
    {
        var entry = Entry(state, name);
        List<string> removed;
        if (version is null)
        {
            removed = Ordered(entry);
            state.Packs.Remove(name);
            DeleteFolder(Path.Combine(Directory, name));
            return new PackRemoval(name, removed, null);
        }
        var target = Installed(name, entry, version);
        entry.Versions.Remove(target);
        entry.Previous.RemoveAll(v => v == target);
        if (entry.Active == target) entry.Active = null;
        DeleteFolder(VersionFolder(name, target));
        if (entry.Versions.Count == 0)
        {
            state.Packs.Remove(name);
            DeleteFolder(Path.Combine(Directory, name));
        }
        return new PackRemoval(name, [target], entry.Active);
    });

    /// <summary>The active version of every active pack, parsed once per content (kept in memory by folder and hash).</summary>
    public IReadOnlyList<KnowledgePack> ActivePacks()
    {
        var state = PackStateFile.Read(StatePath);
        var packs = new List<KnowledgePack>();
        foreach (var (name, entry) in state.Packs)
            if (entry.Active is { } active && entry.Versions.TryGetValue(active, out var info))
                packs.Add(LoadVersion(name, active, info.Sha256).Pack);
        return packs;
    }

    private PackSummary Summary(string name, PackEntryState entry)
    {
        var shown = entry.Active ?? Newest(entry);
        try
        {
            var pack = LoadVersion(name, shown, entry.Versions[shown].Sha256).Pack;
            return new PackSummary(name, entry.Active, Ordered(entry), pack.Description, pack.Topics);
        }
        catch (Exception e) when (e is MiniMeException or IOException or UnauthorizedAccessException)
        {
            return new PackSummary(name, entry.Active, Ordered(entry), $"(version {shown} cannot be read: {FirstLine(e.Message)})", []);
        }
    }

    private static string FirstLine(string text) => text.Split('\n')[0];

    private LoadedPack LoadVersion(string name, string version, string sha)
    {
        var folder = VersionFolder(name, version);
        var key = folder + "\n" + sha;
        if (_cache.TryGetValue(key, out var cached)) return cached;
        if (!System.IO.Directory.Exists(folder))
            throw new PackStoreException($"{name} {version} is listed in {StatePath} but its folder {folder} is gone; remove it with `minime packs remove {name} --version {version}` and import it again.");
        var loaded = PackParser.Load(folder);
        if (_cache.Count > 256) _cache.Clear();
        _cache[key] = loaded;
        return loaded;
    }

    private void Install(LoadedPack loaded, string version)
    {
        var packFolder = Path.Combine(Directory, loaded.Pack.Name);
        System.IO.Directory.CreateDirectory(packFolder);
        // Installs run under the store's lock, so a staging folder found now was left by one that was interrupted.
        foreach (var leftover in System.IO.Directory.EnumerateDirectories(packFolder, ".*-*"))
            if (Path.GetFileName(leftover) is { } name && (name.StartsWith(".import-", StringComparison.Ordinal) || name.StartsWith(".replaced-", StringComparison.Ordinal)))
                DeleteFolder(leftover);
        var staging = Path.Combine(packFolder, $".import-{Guid.NewGuid():N}");
        try
        {
            System.IO.Directory.CreateDirectory(staging);
            File.WriteAllBytes(Path.Combine(staging, PackParser.ManifestName), loaded.Manifest);
            foreach (var file in loaded.Files)
            {
                var target = Path.GetFullPath(Path.Combine(staging, file.Path));
                if (!target.StartsWith(staging + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                    throw new InvalidInputException($"Document path {file.Path} leaves the pack folder.");
                System.IO.Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.WriteAllBytes(target, file.Bytes);
            }
            var folder = VersionFolder(loaded.Pack.Name, version);
            string? replaced = null;
            if (System.IO.Directory.Exists(folder))
            {
                replaced = Path.Combine(packFolder, $".replaced-{Guid.NewGuid():N}");
                System.IO.Directory.Move(folder, replaced);
            }
            System.IO.Directory.Move(staging, folder);
            if (replaced is not null) DeleteFolder(replaced);
        }
        finally
        {
            DeleteFolder(staging);
        }
    }

    private string VersionFolder(string name, string version) => Path.Combine(Directory, name, version);

    private static void DeleteFolder(string folder)
    {
        if (System.IO.Directory.Exists(folder)) System.IO.Directory.Delete(folder, recursive: true);
    }

    private static PackEntryState Entry(PackStateFile state, string name)
    {
        if (!PackParser.IsName(name))
            throw new InvalidInputException($"'{name}' is not a pack name; pack names are slugs (lowercase letters, digits, '-').");
        return state.Packs.TryGetValue(name, out var entry)
            ? entry
            : throw new NotFoundException($"No pack {name} is installed; `minime packs list` shows the installed packs, `minime packs import PATH` installs one.");
    }

    private static string Installed(string name, PackEntryState entry, string version)
    {
        var normalized = PackVersion.Parse(version).ToString();
        return entry.Versions.ContainsKey(normalized)
            ? normalized
            : throw new NotFoundException($"{name} has no version {normalized}; installed: {string.Join(", ", Ordered(entry))}.");
    }

    private static List<string> Ordered(PackEntryState entry) => [.. entry.Versions.Keys.OrderBy(PackVersion.Parse)];

    private static string Newest(PackEntryState entry) => Ordered(entry)[^1];

    private static void SetActive(PackEntryState entry, string version)
    {
        if (entry.Active == version) return;
        if (entry.Active is { } before)
        {
            entry.Previous.RemoveAll(v => v == before);
            entry.Previous.Add(before);
            if (entry.Previous.Count > MaxPrevious) entry.Previous.RemoveAt(0);
        }
        entry.Active = version;
    }

    /// <summary>Reads the state under the lock, applies <paramref name="change"/>, writes the state back (not when the change throws).</summary>
    private T Change<T>(Func<PackStateFile, T> change)
    {
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            using var held = Lock();
            var state = PackStateFile.Read(StatePath);
            var result = change(state);
            state.Write(StatePath);
            return result;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PackStoreException($"Cannot change the packs in {Directory}: {e.Message}", e);
        }
    }

    private FileStream Lock()
    {
        var path = StatePath + ".lock";
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                // FileShare.None is an exclusive flock on Unix: held until disposed or the process dies.
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException e) when (e is not DirectoryNotFoundException && waited.Elapsed < LockWait)
            {
                Thread.Sleep(Random.Shared.Next(5, 25));
            }
            catch (IOException e)
            {
                throw new PackStoreException($"Another minime has held the lock on {path} for {LockWait.TotalSeconds:0} s; try again when it finishes.", e);
            }
        }
    }
}
