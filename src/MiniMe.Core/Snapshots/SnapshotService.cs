using System.Globalization;
using System.Security.Cryptography;
using MiniMe.Configuration;

namespace MiniMe.Snapshots;

/// <summary>A snapshot as listed; <paramref name="Problem"/> is set when its manifest cannot be read.</summary>
public sealed record SnapshotInfo(string Name, string Directory, SnapshotManifest? Manifest, string? Problem);

/// <summary>What a restore did: the snapshot restored and the safety snapshot of the state it replaced.</summary>
public sealed record RestoreResult(SnapshotManifest Restored, SnapshotInfo Safety, int FilesRestored)
{
    /// <summary>The replaced database was damaged: the safety snapshot keeps its bytes for salvage and cannot be restored.</summary>
    public bool ReplacedDamagedDatabase => Safety.Manifest?.Kind == SnapshotService.DamagedKind;
}

/// <summary>
/// Named, timestamped snapshots of a workspace under snapshots/NAME/: a consistent image of the memory
/// database (taken while it is in use), config.yaml, identity.yaml, allowlist.yaml, feedback.jsonl and
/// the traces, with a manifest of sizes and SHA-256 checksums. A snapshot is built in a hidden staging
/// folder and published by one rename. Restore verifies everything first, snapshots the current state,
/// then swaps the files in (write to a temporary file, rename over). A staging folder left by a killed
/// snapshot is removed by the next snapshot command; one a running snapshot owns is not (<see cref="StagingOwner"/>).
/// </summary>
public sealed class SnapshotService(Workspace workspace, IDatabaseSnapshotter database, TimeProvider? time = null)
{
    public const string DatabaseFile = "memory.db";
    public const string TracesFolder = "traces";
    public const string ManualKind = "manual";
    public const string SafetyKind = "safety";
    /// <summary>The state a restore replaced when its database was damaged: the bytes are kept (for salvage), not restorable.</summary>
    public const string DamagedKind = "damaged";
    public const string DamagedDatabaseFile = "memory.db.damaged";
    private const string StagingPrefix = ".staging-";

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public string Directory => workspace.SnapshotsDirectory;

    /// <summary>The workspace files a snapshot carries besides the database and traces, by snapshot path.</summary>
    private IReadOnlyList<(string Name, string Target)> PlainFiles =>
    [
        ("config.yaml", workspace.ConfigPath),
        ("identity.yaml", workspace.IdentityPath),
        ("allowlist.yaml", workspace.AllowlistPath),
        ("feedback.jsonl", workspace.FeedbackPath),
    ];

    public Task<SnapshotInfo> CreateAsync(string? name, CancellationToken cancellationToken) =>
        CreateAsync(name, ManualKind, cancellationToken);

    private async Task<SnapshotInfo> CreateAsync(string? name, string kind, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        System.IO.Directory.CreateDirectory(Directory);
        RemoveStaleStaging();
        string chosen;
        if (name is null)
        {
            chosen = UniqueName(kind == ManualKind ? "" : "pre-restore-", now);
        }
        else
        {
            chosen = SnapshotName.Validate(name);
            if (System.IO.Directory.Exists(PathOf(chosen)))
                throw new InvalidInputException($"A snapshot named '{chosen}' already exists; choose another name (`minime snapshot list` shows them).");
        }

        var staging = Path.Combine(Directory, $"{StagingPrefix}{chosen}-{Guid.NewGuid():N}");
        // Locked before the folder exists and until it is published or removed: see StagingOwner.
        using var owner = StagingOwner.Claim(staging);
        System.IO.Directory.CreateDirectory(staging);
        try
        {
            var files = new List<SnapshotFile>();
            DatabaseImage? image = null;
            if (kind == DamagedKind)
            {
                foreach (var copied in await database.CopyRawAsync(Path.Combine(staging, DamagedDatabaseFile), cancellationToken).ConfigureAwait(false))
                    files.Add(Describe(staging, Path.GetRelativePath(staging, copied).Replace('\\', '/')));
            }
            else
            {
                image = await database.BackupAsync(Path.Combine(staging, DatabaseFile), cancellationToken).ConfigureAwait(false);
                files.Add(Describe(staging, DatabaseFile));
            }
            var counts = new Dictionary<string, long>(image?.Counts ?? new Dictionary<string, long>(), StringComparer.Ordinal);
            foreach (var (file, source) in PlainFiles)
            {
                if (!File.Exists(source)) continue;
                var destination = Path.Combine(staging, file);
                if (file.EndsWith(".jsonl", StringComparison.Ordinal)) counts[Path.GetFileNameWithoutExtension(file)] = CopyWholeLines(source, destination);
                else File.Copy(source, destination);
                files.Add(Describe(staging, file));
            }
            var traces = 0;
            if (System.IO.Directory.Exists(workspace.TracesDirectory))
            {
                var tracesCopy = Path.Combine(staging, TracesFolder);
                System.IO.Directory.CreateDirectory(tracesCopy);
                foreach (var source in System.IO.Directory.EnumerateFiles(workspace.TracesDirectory).Order(StringComparer.Ordinal))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var fileName = Path.GetFileName(source);
                    if (!IsSafeFileName(fileName)) continue;
                    CopyWholeLines(source, Path.Combine(tracesCopy, fileName));
                    files.Add(Describe(staging, $"{TracesFolder}/{fileName}"));
                    traces++;
                }
            }
            counts["traces"] = traces;

            var manifest = new SnapshotManifest(chosen, kind, now, image?.SchemaVersion ?? 0, counts, files);
            await File.WriteAllTextAsync(Path.Combine(staging, SnapshotManifest.FileName), manifest.ToJson(), cancellationToken).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            // Publishing is one rename: a snapshot folder either has everything or does not exist.
            System.IO.Directory.Move(staging, PathOf(chosen));
            return new SnapshotInfo(chosen, PathOf(chosen), manifest, null);
        }
        catch
        {
            TryDeleteDirectory(staging);
            throw;
        }
    }

    /// <summary>Snapshots, oldest first; damaged ones are listed with the problem. Stale staging folders are removed first.</summary>
    public IReadOnlyList<SnapshotInfo> List()
    {
        RemoveStaleStaging();
        return ListSnapshots();
    }

    /// <summary>
    /// Removes staging folders (and orphan lock files) that no living snapshot owns: what a killed
    /// `snapshot create` or restore left behind. Returns how many it removed.
    /// </summary>
    public int RemoveStaleStaging()
    {
        if (!System.IO.Directory.Exists(Directory)) return 0;
        var removed = 0;
        foreach (var folder in System.IO.Directory.EnumerateDirectories(Directory, StagingPrefix + "*"))
            if (StagingOwner.RemoveIfAbandoned(folder)) removed++;
        foreach (var lockFile in System.IO.Directory.EnumerateFiles(Directory, StagingPrefix + "*" + StagingOwner.LockSuffix))
        {
            var folder = lockFile[..^StagingOwner.LockSuffix.Length];
            if (!System.IO.Directory.Exists(folder)) StagingOwner.RemoveIfAbandoned(folder);
        }
        return removed;
    }

    private List<SnapshotInfo> ListSnapshots()
    {
        if (!System.IO.Directory.Exists(Directory)) return [];
        var result = new List<SnapshotInfo>();
        foreach (var folder in System.IO.Directory.EnumerateDirectories(Directory))
        {
            var name = Path.GetFileName(folder);
            if (!SnapshotName.IsValid(name)) continue;
            try
            {
                result.Add(new SnapshotInfo(name, folder, ReadManifest(name), null));
            }
            catch (SnapshotException e)
            {
                result.Add(new SnapshotInfo(name, folder, null, e.Message));
            }
        }
        return [.. result.OrderBy(s => s.Manifest?.CreatedAt ?? DateTimeOffset.MaxValue).ThenBy(s => s.Name, StringComparer.Ordinal)];
    }

    /// <summary>The newest snapshot whose manifest reads, to name when the memory needs restoring; null when there is none.</summary>
    public static string? NewestName(Workspace workspace) =>
        new SnapshotService(workspace, ListingOnly.Instance).ListSnapshots()
            .LastOrDefault(s => s.Manifest is { } m && m.Files.Any(f => f.Path == DatabaseFile))?.Name;

    /// <summary>Listing reads manifests only; no database is touched.</summary>
    private sealed class ListingOnly : IDatabaseSnapshotter
    {
        public static readonly ListingOnly Instance = new();

        public Task<DatabaseImage> BackupAsync(string destinationPath, CancellationToken cancellationToken) => throw new InvalidOperationException("listing only");

        public Task<DatabaseImage> VerifyAsync(string imagePath, CancellationToken cancellationToken) => throw new InvalidOperationException("listing only");

        public Task RestoreAsync(string imagePath, CancellationToken cancellationToken) => throw new InvalidOperationException("listing only");

        public Task<IReadOnlyList<string>> CopyRawAsync(string destinationPath, CancellationToken cancellationToken) => throw new InvalidOperationException("listing only");
    }

    /// <summary>Checks every file against the manifest and the database image for soundness; throws when anything is off.</summary>
    public async Task<SnapshotManifest> VerifyAsync(string name, CancellationToken cancellationToken)
    {
        var manifest = ReadManifest(SnapshotName.Validate(name));
        var folder = PathOf(name);
        if (manifest.Kind == DamagedKind)
            throw new SnapshotException($"Snapshot '{name}' keeps the damaged {DatabaseFile} a restore replaced ({DamagedDatabaseFile}, for salvage); it cannot be restored. Nothing was changed.");
        if (!manifest.Files.Any(f => f.Path == DatabaseFile))
            throw new SnapshotException($"Snapshot '{name}' is damaged: its manifest lists no {DatabaseFile}; nothing was changed.");
        foreach (var file in manifest.Files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            TargetOf(file.Path, name);
            var path = Path.Combine(folder, file.Path);
            if (!File.Exists(path))
                throw new SnapshotException($"Snapshot '{name}' is damaged: {file.Path} is missing; nothing was changed.");
            if (new FileInfo(path).Length != file.Bytes || !string.Equals(Sha256(path), file.Sha256, StringComparison.OrdinalIgnoreCase))
                throw new SnapshotException($"Snapshot '{name}' is damaged: {file.Path} does not match its checksum; nothing was changed.");
        }
        await database.VerifyAsync(Path.Combine(folder, DatabaseFile), cancellationToken).ConfigureAwait(false);
        return manifest;
    }

    /// <summary>
    /// Verifies the snapshot, snapshots the current state (kind "safety"), then restores the database
    /// (atomically, through the store) and the files (temporary file, then rename over the original).
    /// </summary>
    public async Task<RestoreResult> RestoreAsync(string name, CancellationToken cancellationToken)
    {
        var manifest = await VerifyAsync(name, cancellationToken).ConfigureAwait(false);
        var folder = PathOf(name);
        SnapshotInfo safety;
        try
        {
            safety = await CreateAsync(null, SafetyKind, cancellationToken).ConfigureAwait(false);
        }
        catch (MiniMe.Memory.DamagedMemoryException)
        {
            // The database being replaced is damaged, which is why it is being restored: it cannot be
            // imaged, so the safety snapshot keeps its bytes as they are (and the other files as usual).
            safety = await CreateAsync(null, DamagedKind, cancellationToken).ConfigureAwait(false);
        }

        // Past this point the restore runs to the end: a half-restored workspace is worse than a late cancel.
        try
        {
            await database.RestoreAsync(Path.Combine(folder, DatabaseFile), CancellationToken.None).ConfigureAwait(false);
            var restored = 1;
            var inSnapshot = manifest.Files.Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
            foreach (var (file, target) in PlainFiles)
            {
                if (inSnapshot.Contains(file))
                {
                    ReplaceFile(Path.Combine(folder, file), target);
                    restored++;
                }
                else if (File.Exists(target))
                {
                    // Absent when the snapshot was taken; the safety snapshot keeps the current copy.
                    File.Delete(target);
                }
            }
            restored += ReplaceTraces(folder, manifest);
            return new RestoreResult(manifest, safety, restored);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or MiniMeException)
        {
            throw new SnapshotException(
                $"Restoring '{name}' stopped part-way ({e.Message}); the state before it is in snapshot '{safety.Name}' (`minime snapshot restore {safety.Name}`).", e);
        }
    }

    private int ReplaceTraces(string folder, SnapshotManifest manifest)
    {
        var traces = manifest.Files.Where(f => f.Path.StartsWith(TracesFolder + "/", StringComparison.Ordinal)).ToList();
        var parent = Path.GetDirectoryName(workspace.TracesDirectory)!;
        var staging = Path.Combine(parent, $".traces-restore-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(staging);
        foreach (var file in traces)
            File.Copy(Path.Combine(folder, file.Path), Path.Combine(staging, file.Path[(TracesFolder.Length + 1)..]));
        var replaced = Path.Combine(parent, $".traces-replaced-{Guid.NewGuid():N}");
        if (System.IO.Directory.Exists(workspace.TracesDirectory)) System.IO.Directory.Move(workspace.TracesDirectory, replaced);
        System.IO.Directory.Move(staging, workspace.TracesDirectory);
        TryDeleteDirectory(replaced);
        return traces.Count;
    }

    private SnapshotManifest ReadManifest(string name)
    {
        var folder = PathOf(name);
        if (!System.IO.Directory.Exists(folder))
            throw new NotFoundException($"No snapshot '{name}' in {Directory}; `minime snapshot list` shows them.");
        var path = Path.Combine(folder, SnapshotManifest.FileName);
        if (!File.Exists(path))
            throw new SnapshotException($"Snapshot '{name}' is damaged: it has no {SnapshotManifest.FileName}.");
        return SnapshotManifest.Parse(File.ReadAllText(path), $"{name}/{SnapshotManifest.FileName}");
    }

    /// <summary>Where a snapshot file goes back to; refuses any path the snapshot format does not produce.</summary>
    private string TargetOf(string snapshotPath, string name)
    {
        if (snapshotPath == DatabaseFile) return DatabaseFile;
        foreach (var (file, target) in PlainFiles)
            if (snapshotPath == file) return target;
        if (snapshotPath.StartsWith(TracesFolder + "/", StringComparison.Ordinal) && IsSafeFileName(snapshotPath[(TracesFolder.Length + 1)..]))
            return Path.Combine(workspace.TracesDirectory, snapshotPath[(TracesFolder.Length + 1)..]);
        throw new SnapshotException($"Snapshot '{name}' is damaged: its manifest lists an unexpected file '{snapshotPath}'; nothing was changed.");
    }

    private string PathOf(string name) => Path.Combine(Directory, name);

    private string UniqueName(string prefix, DateTimeOffset now)
    {
        var stem = prefix + now.UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        var name = stem;
        for (var n = 2; System.IO.Directory.Exists(PathOf(name)); n++)
            name = string.Create(CultureInfo.InvariantCulture, $"{stem}-{n}");
        return name;
    }

    private static bool IsSafeFileName(string name) =>
        name.Length is > 0 and <= 200 && name[0] != '.' && !name.Contains("..", StringComparison.Ordinal)
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_');

    private static SnapshotFile Describe(string folder, string relative)
    {
        var path = Path.Combine(folder, relative);
        return new SnapshotFile(relative, new FileInfo(path).Length, Sha256(path));
    }

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>Copies a JSONL file up to its last newline (a line being appended right now is left out); returns the line count.</summary>
    private static long CopyWholeLines(string source, string destination)
    {
        byte[] bytes;
        using (var stream = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        using (var memory = new MemoryStream())
        {
            stream.CopyTo(memory);
            bytes = memory.ToArray();
        }
        var end = Array.LastIndexOf(bytes, (byte)'\n') + 1;
        using var output = new FileStream(destination, FileMode.CreateNew, FileAccess.Write);
        output.Write(bytes, 0, end);
        return bytes.AsSpan(0, end).Count((byte)'\n');
    }

    /// <summary>Replaces <paramref name="target"/> by a copy of <paramref name="source"/> with one rename.</summary>
    private static void ReplaceFile(string source, string target)
    {
        var temporary = $"{target}.restore-{Guid.NewGuid():N}.tmp";
        try
        {
            File.Copy(source, temporary);
            File.Move(temporary, target, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    private static void TryDeleteDirectory(string path)
    {
        try
        {
            if (System.IO.Directory.Exists(path)) System.IO.Directory.Delete(path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a leftover hidden folder is ignored by List and never restored.
        }
    }
}
