using System.Text;
using MiniMe.Tracing;

namespace MiniMe.Tools.External;

/// <summary>
/// An external tool as an action of the approval gate: a server the user did not mark read-only is code that changes
/// things elsewhere, so its tools need approval (category execute) and run only after it; a read-only server's tools
/// run without one (category read). The preview shows the server, the tool and the arguments (secrets masked).
/// </summary>
public sealed class ExternalActionTool(ExternalTool tool, IExternalToolSource source) : ITool
{
    public ToolDescriptor Descriptor { get; } = new(tool.Name, tool.Description,
        tool.ReadOnly ? ToolCategory.Read : ToolCategory.Execute, NeedsApproval: !tool.ReadOnly, ToolSchema.External(tool.InputSchema));

    public Task<PreparedAction> PrepareAsync(ToolArguments arguments, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var shown = SecretRedactor.Redact(arguments.Raw.DeepClone())!.ToJsonString();
        var preview = new ActionPreview(tool.ReadOnly ? PreviewKind.Read : PreviewKind.Command,
            $"call {tool.Tool} on MCP server '{tool.Server}' with {shown}",
            Warnings: tool.ReadOnly ? null : [$"MCP server '{tool.Server}' is not marked readOnly: this call can change whatever that server reaches"]);
        var raw = arguments.Raw;
        return Task.FromResult(new PreparedAction(preview, async token =>
        {
            var output = await source.CallAsync(tool, raw, token).ConfigureAwait(false);
            var bytes = Encoding.UTF8.GetByteCount(output.ToJsonString());
            return new ToolExecution(true, $"{tool.Tool} on '{tool.Server}' answered ({bytes} bytes)", output);
        }));
    }
}
