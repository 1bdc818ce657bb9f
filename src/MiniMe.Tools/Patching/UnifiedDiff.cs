namespace MiniMe.Tools.Patching;

/// <summary>One line of a hunk: ' ' context, '-' removed, '+' added; PatchLine is its 1-based line in the patch text.</summary>
public sealed record HunkLine(char Kind, string Text, int PatchLine);

/// <summary>An "@@ -a,b +c,d @@" hunk. Starts are 1-based as written; a count of 0 means the start is the line before.</summary>
public sealed record Hunk(int OldStart, int OldCount, int NewStart, int NewCount, string Header, int PatchLine, IReadOnlyList<HunkLine> Lines, bool OldMissingFinalNewline, bool NewMissingFinalNewline)
{
    public IEnumerable<string> OldLines => Lines.Where(l => l.Kind != '+').Select(l => l.Text);
    public IEnumerable<string> NewLines => Lines.Where(l => l.Kind != '-').Select(l => l.Text);
}

/// <summary>The hunks for one file. OldPath is null for a new file, NewPath null for a deletion (/dev/null).</summary>
public sealed record FilePatch(string? OldPath, string? NewPath, IReadOnlyList<Hunk> Hunks)
{
    public bool Creates => OldPath is null;
    public bool Deletes => NewPath is null;
    public string Path => NewPath ?? OldPath!;
}

/// <summary>A patch that cannot be parsed or applied; the message names the file, the hunk and the line.</summary>
public sealed class PatchException(string message) : MiniMeException(ErrorCategory.InvalidInput, message);
