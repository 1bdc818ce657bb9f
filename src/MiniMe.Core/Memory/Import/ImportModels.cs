namespace MiniMe.Memory.Import;

/// <summary>What to import. Domain null means: guess it from each document's content.</summary>
public sealed record ImportRequest(string Path, string? Domain = null, IReadOnlyList<string>? Tags = null);

public enum ImportPhase
{
    Scanning,
    Reading,
    Done,
}

/// <summary>Progress of an import, reported after each file.</summary>
public sealed record ImportProgress(ImportPhase Phase, int Done, int Total, string? Current);

/// <summary>What an import did. Every file is accounted for in exactly one counter.</summary>
public sealed class ImportReport
{
    public int FilesSeen { get; set; }
    public int FilesImported { get; set; }
    public int FilesUnchanged { get; set; }
    public int ChunksAdded { get; set; }
    public int ChunksRemoved { get; set; }
    public int SkippedBinary { get; set; }
    public int SkippedTooLarge { get; set; }
    public int SkippedUnreadable { get; set; }
    public int DecodedAsLatin1 { get; set; }
    /// <summary>Files imported with secrets (keys, tokens, passwords) masked in their stored text.</summary>
    public int FilesRedacted { get; set; }
    /// <summary>Documents stored by an earlier import whose path is now a secret or ignored by .gitignore or .minimeignore; removed from memory.</summary>
    public List<string> DocumentsRemoved { get; } = [];
    /// <summary>Documents stored under the imported folder whose files no longer exist (deleted or moved); removed from memory.</summary>
    public List<string> DocumentsPruned { get; } = [];
    /// <summary>What the walk skipped: secret files and folders, files and folders ignored by .gitignore or .minimeignore (never counted in <see cref="FilesSeen"/>).</summary>
    public WalkCounts Walk { get; } = new();
    /// <summary>Files or directories that were skipped for a reason the user may want to fix.</summary>
    public List<(string Path, string Reason)> Problems { get; } = [];
    public TimeSpan Elapsed { get; set; }
}
