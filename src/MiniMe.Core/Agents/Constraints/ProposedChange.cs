using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using MiniMe.Actions;

namespace MiniMe.Agents.Constraints;

public enum ChangeKind
{
    /// <summary>A whole file written (Builder file, Integrator write_file).</summary>
    File,
    /// <summary>A unified diff (Builder patch, Integrator apply_patch).</summary>
    Patch,
    /// <summary>A command (Integrator run_command): program then arguments, no shell.</summary>
    Command,
}

/// <summary>One line a change introduces, with its 1-based line number in the resulting file (1 for a command).</summary>
public readonly record struct AddedLine(int Number, string Text);

/// <summary>
/// One change the static checks look at: a file, a patch or a command, in one shape for the Builder's
/// output and for the Integrator's proposals. <see cref="Digest"/> identifies exactly what is changed.
/// </summary>
/// <param name="Path">The file's path as proposed (null for a command).</param>
/// <param name="Text">The file's content, the diff, or the argv joined by spaces.</param>
/// <param name="Argv">A command's argument vector (empty for files and patches).</param>
/// <param name="ProposalId">The proposal it came from, when it came from one.</param>
public sealed record ProposedChange(ChangeKind Kind, string? Path, string Text, IReadOnlyList<string> Argv, string? ProposalId = null)
{
    /// <summary>The key a change is compared under: "file:path" for files and patches (normalised path), "command" for commands.</summary>
    public string Key => Kind == ChangeKind.Command ? "command:" + Digest : "path:" + NormalizePath(Path ?? "");

    /// <summary>Where a finding is reported: the path, else the proposal id, else the command line.</summary>
    public string Location => Path ?? ProposalId ?? Text;

    /// <summary>SHA-256 over the kind and the exact text (content, diff or argv), lower-case hex.</summary>
    public string Digest { get; } = Hash(Kind, Kind == ChangeKind.Command ? string.Join('\0', Argv) : Text);

    public static ProposedChange File(string path, string content, string? proposalId = null) => new(ChangeKind.File, path, content, [], proposalId);

    public static ProposedChange Patch(string path, string diff, string? proposalId = null) => new(ChangeKind.Patch, path, diff, [], proposalId);

    public static ProposedChange Command(IReadOnlyList<string> argv, string? proposalId = null) => new(ChangeKind.Command, null, string.Join(' ', argv), argv, proposalId);

    /// <summary>The Builder's files and patches.</summary>
    public static IReadOnlyList<ProposedChange> FromBuild(BuildOutput build)
    {
        ArgumentNullException.ThrowIfNull(build);
        return [.. build.Files.Select(f => File(f.Path, f.Content)), .. build.Patches.Select(p => Patch(p.Path, p.Diff))];
    }

    /// <summary>The changes action proposals make (write_file, apply_patch, run_command); other tools change nothing and are left out.</summary>
    public static IReadOnlyList<ProposedChange> FromProposals(IEnumerable<ActionProposal> proposals)
    {
        ArgumentNullException.ThrowIfNull(proposals);
        var changes = new List<ProposedChange>();
        foreach (var p in proposals)
        {
            var change = FromProposal(p);
            if (change is not null) changes.Add(change);
        }
        return changes;
    }

    public static ProposedChange? FromProposal(ActionProposal proposal)
    {
        ArgumentNullException.ThrowIfNull(proposal);
        var args = proposal.Arguments;
        return proposal.Tool switch
        {
            "write_file" => File(Str(args, "path") ?? "", Str(args, "content") ?? "", proposal.Id),
            "apply_patch" => Patch(Str(args, "path") ?? PathOfDiff(Str(args, "patch") ?? ""), Str(args, "patch") ?? "", proposal.Id),
            "run_command" => Command(args["argv"] is JsonArray argv ? [.. argv.Select(a => a is JsonValue v && v.TryGetValue<string>(out var s) ? s : a?.ToJsonString() ?? "")] : [], proposal.Id),
            _ => null,
        };
    }

    /// <summary>
    /// The lines this change introduces: every line of a file; the '+' lines of a patch, numbered by its
    /// hunk headers in the new file (a removed line is not introduced, so removing a secret is not flagged);
    /// a command as one line.
    /// </summary>
    public IEnumerable<AddedLine> AddedLines()
    {
        switch (Kind)
        {
            case ChangeKind.Command:
                yield return new AddedLine(1, Text);
                break;
            case ChangeKind.File:
                var number = 0;
                foreach (var line in Lines(Text)) yield return new AddedLine(++number, line);
                break;
            case ChangeKind.Patch:
                var next = 0;
                var inHunk = false;
                foreach (var line in Lines(Text))
                {
                    if (line.StartsWith("@@", StringComparison.Ordinal))
                    {
                        next = NewStart(line);
                        inHunk = true;
                    }
                    else if (!inHunk || line.StartsWith("+++ ", StringComparison.Ordinal))
                    {
                        continue;
                    }
                    else if (line.StartsWith('+'))
                    {
                        yield return new AddedLine(Math.Max(1, next), line[1..]);
                        next++;
                    }
                    else if (!line.StartsWith('-') && !line.StartsWith('\\'))
                    {
                        next++;
                    }
                }
                break;
        }
    }

    /// <summary>Forward slashes, no leading "./" or "/".</summary>
    public static string NormalizePath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var p = path.Replace('\\', '/');
        while (p.StartsWith("./", StringComparison.Ordinal)) p = p[2..];
        return p.TrimStart('/');
    }

    private static IEnumerable<string> Lines(string text) => text.Split('\n').Select(l => l.TrimEnd('\r'));

    private static int NewStart(string hunkHeader)
    {
        // @@ -a,b +c,d @@
        var plus = hunkHeader.IndexOf('+', StringComparison.Ordinal);
        if (plus < 0) return 1;
        var end = plus + 1;
        while (end < hunkHeader.Length && char.IsAsciiDigit(hunkHeader[end])) end++;
        return int.TryParse(hunkHeader.AsSpan(plus + 1, end - plus - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var start) ? start : 1;
    }

    private static string PathOfDiff(string diff)
    {
        foreach (var line in Lines(diff))
            if (line.StartsWith("+++ ", StringComparison.Ordinal))
            {
                var p = line[4..].Trim();
                return p.StartsWith("b/", StringComparison.Ordinal) ? p[2..] : p;
            }
        return "";
    }

    private static string? Str(JsonObject args, string name) => args[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static string Hash(ChangeKind kind, string text) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(kind.ToString() + "\n" + text)));
}
