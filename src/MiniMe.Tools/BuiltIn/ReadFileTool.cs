using System.Text.Json.Nodes;
using MiniMe.Tools.Paths;

namespace MiniMe.Tools.BuiltIn;

/// <summary>read_file: a text file under the root (secrets and excluded files refused), optionally a range of lines.</summary>
public sealed class ReadFileTool(ToolContext context) : ITool
{
    public ToolDescriptor Descriptor { get; } = new(
        "read_file",
        "Read a text file under the workspace root, optionally a range of lines.",
        ToolCategory.Read,
        NeedsApproval: false,
        new ToolSchema(
            new ToolParameter("path", ParameterType.String, "File path relative to the workspace root", Required: true),
            new ToolParameter("startLine", ParameterType.Integer, "First line to return (1-based)", Minimum: 1),
            new ToolParameter("maxLines", ParameterType.Integer, "How many lines at most", Minimum: 1, Maximum: 100_000)));

    public Task<PreparedAction> PrepareAsync(ToolArguments arguments, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var path = context.Paths.Check(arguments.RequiredString("path"), PathAccess.Read);
        FileText.EnsureOpenable(context.Files, path);
        var start = arguments.Integer("startLine") ?? 1;
        var max = arguments.Integer("maxLines");
        var preview = new ActionPreview(PreviewKind.Read, $"read {path.RelativePath}", Files: [path.RelativePath]);
        return Task.FromResult(new PreparedAction(preview, _ =>
        {
            var text = FileText.ReadOrNull(context.Files, path, context.Options.MaxFileBytes)
                ?? throw new ToolFailedException($"{path.RelativePath} does not exist.");
            var lines = text.Split('\n');
            var total = text.EndsWith('\n') ? lines.Length - 1 : lines.Length;
            var selected = lines.Skip(start - 1).Take(Math.Min(max ?? int.MaxValue, Math.Max(0, total - (start - 1)))).ToList();
            var content = start == 1 && max is null ? text : string.Join('\n', selected) + (selected.Count > 0 ? "\n" : "");
            return Task.FromResult(new ToolExecution(
                true,
                $"read {path.RelativePath} ({total} lines)",
                new JsonObject
                {
                    ["path"] = path.RelativePath,
                    ["startLine"] = start,
                    ["lines"] = selected.Count,
                    ["totalLines"] = total,
                    ["content"] = content,
                }));
        }));
    }
}
