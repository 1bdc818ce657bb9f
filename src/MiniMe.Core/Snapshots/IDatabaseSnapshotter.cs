namespace MiniMe.Snapshots;

/// <summary>What a database image holds: its schema version and row counts per table.</summary>
public sealed record DatabaseImage(int SchemaVersion, IReadOnlyDictionary<string, long> Counts);

/// <summary>
/// The store-specific half of snapshots: a consistent copy of the live database while it is in
/// use, a soundness check of a copy, and an atomic replacement of the live contents from a copy.
/// </summary>
public interface IDatabaseSnapshotter
{
    /// <summary>Writes a consistent image of the live database to <paramref name="destinationPath"/> (a new file).</summary>
    Task<DatabaseImage> BackupAsync(string destinationPath, CancellationToken cancellationToken);

    /// <summary>Checks an image is sound and usable by this MiniMe; throws a one-line MiniMeException when not.</summary>
    Task<DatabaseImage> VerifyAsync(string imagePath, CancellationToken cancellationToken);

    /// <summary>Replaces the live database's contents with the image, atomically: readers see the old or the new state.</summary>
    Task RestoreAsync(string imagePath, CancellationToken cancellationToken);

    /// <summary>
    /// Copies the live database's files byte for byte to <paramref name="destinationPath"/> (and beside it
    /// what else holds its data, such as a write-ahead log), for a damaged database that cannot be imaged.
    /// Returns the files written.
    /// </summary>
    Task<IReadOnlyList<string>> CopyRawAsync(string destinationPath, CancellationToken cancellationToken);
}
