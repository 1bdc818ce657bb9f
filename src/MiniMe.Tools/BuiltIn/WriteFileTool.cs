using System.Text.Json.Nodes;
using MiniMe.Tools.Patching;
using MiniMe.Tools.Paths;

namespace MiniMe.Tools.BuiltIn;

/// <summary>write_file: creates or replaces a text file the allowlist's write rules allow; shown as a diff first.</summary>
public sealed class WriteFileTool(ToolContext context) : ITool
{
    public ToolDescriptor Descriptor { get; } = new(
        "write_file",
        "Create or replace a text file under the workspace root (allowlist write rules apply).",
        ToolCategory.Write,
        NeedsApproval: true,
        new ToolSchema(
            new ToolParameter("path", ParameterType.String, "File path relative to the workspace root", Required: true),
            new ToolParameter("content", ParameterType.String, "The whole new content of the file", Required: true)));

    public Task<PreparedAction> PrepareAsync(ToolArguments arguments, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var path = context.Paths.Check(arguments.RequiredString("path"), PathAccess.Write);
        var content = arguments.RequiredString("content");
        var limit = context.Options.MaxFileBytes;
        FileText.CheckSize(content, path.RelativePath, limit);
        var old = FileText.ReadOrNull(context.Files, path, limit);
        var diff = UnifiedDiffWriter.Write(old, content, path.RelativePath);
        var verb = old is null ? "create" : diff.Length == 0 ? "leave unchanged" : "replace";
        var preview = new ActionPreview(PreviewKind.FileChange, $"{verb} {path.RelativePath}", Diff: diff, Files: [path.RelativePath]);
        return Task.FromResult(new PreparedAction(preview, _ =>
        {
            var changed = !string.Equals(old, content, StringComparison.Ordinal);
            if (changed) FileText.Write(context.Files, path, content, expected: old, limit);
            else FileText.EnsureUnchanged(context.Files, path, old, limit);
            return Task.FromResult(new ToolExecution(
                true,
                changed ? $"{(old is null ? "created" : "wrote")} {path.RelativePath}" : $"{path.RelativePath} already had this content",
                new JsonObject { ["path"] = path.RelativePath, ["created"] = old is null, ["bytes"] = System.Text.Encoding.UTF8.GetByteCount(content) },
                FilesChanged: changed ? [path.RelativePath] : []));
        }));
    }
}
