using System.Text;
using System.Text.Json.Nodes;
using MiniMe.Tools.Patching;
using MiniMe.Tools.Paths;

namespace MiniMe.Tools.BuiltIn;

/// <summary>
/// apply_patch: a unified diff over one or more files. Every file is confined, read and patched in
/// memory before anything is shown; a hunk that does not apply fails the whole patch with the hunk and
/// line. On approval all files are written, or (if a write fails) the ones written are restored.
/// </summary>
public sealed class ApplyPatchTool(ToolContext context) : ITool
{
    public ToolDescriptor Descriptor { get; } = new(
        "apply_patch",
        "Apply a unified diff (diff -u / git diff) to files under the workspace root; all hunks must apply.",
        ToolCategory.Write,
        NeedsApproval: true,
        new ToolSchema(
            new ToolParameter("patch", ParameterType.String, "The unified diff", Required: true),
            new ToolParameter("path", ParameterType.String, "The file to patch when the diff has no ---/+++ headers")));

    private sealed record FileChange(ConfinedPath Path, string? Before, string? After);

    public Task<PreparedAction> PrepareAsync(ToolArguments arguments, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var limit = context.Options.MaxFileBytes;
        IReadOnlyList<FilePatch> patches;
        try
        {
            patches = UnifiedDiffParser.Parse(arguments.RequiredString("patch"), arguments.String("path"));
        }
        catch (PatchException e)
        {
            throw new ToolArgumentException($"apply_patch: {e.Message}");
        }
        var changes = new List<FileChange>();
        foreach (var patch in patches)
        {
            var path = context.Paths.Check(patch.Path, PathAccess.Write);
            if (changes.Any(c => c.Path.FullPath == path.FullPath))
                throw new ToolArgumentException($"apply_patch: {patch.Path} and another header name the same file.");
            var before = FileText.ReadOrNull(context.Files, path, limit);
            if (patch.Creates && before is not null)
                throw new ToolFailedException($"The patch creates {path.RelativePath}, but it already exists.");
            if (!patch.Creates && before is null)
                throw new ToolFailedException($"The patch changes {path.RelativePath}, but it does not exist.");
            TextLines patched;
            try
            {
                patched = PatchApplier.Apply(TextLines.Parse(before ?? ""), patch);
            }
            catch (PatchException e)
            {
                throw new ToolFailedException(e.Message);
            }
            var after = patch.Deletes ? null : patched.ToString();
            if (patch.Deletes && patched.Lines.Count > 0)
                throw new ToolFailedException($"The patch deletes {path.RelativePath}, but {patched.Lines.Count} lines would remain.");
            if (after is not null) FileText.CheckSize(after, path.RelativePath, limit);
            changes.Add(new FileChange(path, before, after));
        }
        var diff = new StringBuilder();
        foreach (var change in changes) diff.Append(UnifiedDiffWriter.Write(change.Before, change.After, change.Path.RelativePath));
        var files = changes.Select(c => c.Path.RelativePath).ToList();
        var preview = new ActionPreview(PreviewKind.FileChange, $"patch {string.Join(", ", files)}", Diff: diff.ToString(), Files: files);
        return Task.FromResult(new PreparedAction(preview, _ => Task.FromResult(Execute(context.Files, changes, limit))));
    }

    private static ToolExecution Execute(ConfinedFiles confined, List<FileChange> changes, long limit)
    {
        foreach (var change in changes)
            FileText.EnsureUnchanged(confined, change.Path, change.Before, limit);
        var done = new List<FileChange>();
        try
        {
            foreach (var change in changes)
            {
                FileText.Write(confined, change.Path, change.After, expected: change.Before, limit);
                done.Add(change);
            }
        }
        catch (Exception e) when (e is ToolFailedException or ToolRefusedException or IOException or UnauthorizedAccessException)
        {
            // Undo through the same handles and checks: a file is restored only if it still holds what this patch wrote.
            var unrestored = new List<string>();
            foreach (var change in done)
            {
                try
                {
                    FileText.Write(confined, change.Path, change.Before, expected: change.After, limit);
                }
                catch (Exception undo) when (undo is ToolFailedException or ToolRefusedException or IOException or UnauthorizedAccessException)
                {
                    unrestored.Add($"{change.Path.RelativePath} ({undo.Message})");
                }
            }
            var restored = unrestored.Count == 0 ? "the files already patched were restored" : $"could not restore {string.Join(", ", unrestored)}";
            throw new ToolFailedException($"Writing {changes[done.Count].Path.RelativePath} failed ({e.Message}); {restored}.", e);
        }
        var files = changes.Select(c => c.Path.RelativePath).ToList();
        return new ToolExecution(
            true,
            $"patched {string.Join(", ", files)}",
            new JsonObject
            {
                ["files"] = new JsonArray([.. changes.Select(c => (JsonNode?)new JsonObject
                {
                    ["path"] = c.Path.RelativePath,
                    ["change"] = c.Before is null ? "created" : c.After is null ? "deleted" : "modified",
                })]),
            },
            FilesChanged: files);
    }
}
