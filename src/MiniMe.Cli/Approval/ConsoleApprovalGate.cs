using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using MiniMe.Tools.Approval;
using MiniMe.Tracing;
using Spectre.Console;

namespace MiniMe.Cli.Approval;

/// <summary>
/// Asks the person at the terminal: each action is shown (diff or argv) and answered with a(ccept),
/// r(eject, with an optional reason) or e(dit). Editing opens $EDITOR on the arguments as JSON when an
/// editor is set, else takes one line of replacement JSON. End of input rejects: nothing runs unasked.
/// </summary>
internal sealed class ConsoleApprovalGate(IAnsiConsole console, TextReader input, string? editor) : IApprovalGate
{
    private const int MaxAnswers = 20;

    public async Task<ApprovalDecision> DecideAsync(ApprovalRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ActionRenderer.Render(console, request);
        for (var attempt = 0; attempt < MaxAnswers; attempt++)
        {
            console.Markup("[bold]Accept, reject or edit?[/] [[a/r/e]] ");
            var answer = await input.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            if (answer is null) return new ApprovalDecision.Reject(Approvers.Policy, "not run: input ended before a decision");
            switch (answer.Trim().ToLowerInvariant())
            {
                case "a" or "accept" or "y" or "yes":
                    return new ApprovalDecision.Accept(Approvers.User);
                case "r" or "reject" or "n" or "no":
                    console.Markup("Reason (optional, helps MiniMe learn): ");
                    var reason = await input.ReadLineAsync(cancellationToken).ConfigureAwait(false);
                    return new ApprovalDecision.Reject(Approvers.User, reason?.Trim() ?? "");
                case "e" or "edit":
                    if (await EditAsync(request.Proposal.Arguments, cancellationToken).ConfigureAwait(false) is { } edited)
                        return new ApprovalDecision.Edit(Approvers.User, edited);
                    break;
                default:
                    console.MarkupLine("[yellow]Type a to accept, r to reject or e to edit.[/]");
                    break;
            }
        }
        return new ApprovalDecision.Reject(Approvers.Policy, "not run: no valid answer");
    }

    private async Task<JsonObject?> EditAsync(JsonObject arguments, CancellationToken cancellationToken)
    {
        string? text;
        if (!string.IsNullOrWhiteSpace(editor))
        {
            text = await EditInEditorAsync(arguments.ToJsonString(JsonFormats.Indented), cancellationToken).ConfigureAwait(false);
        }
        else
        {
            console.MarkupLine($"[grey]current arguments:[/] {Markup.Escape(arguments.ToJsonString(JsonFormats.Line))}");
            console.Markup("Replacement arguments (one line of JSON): ");
            text = await input.ReadLineAsync(cancellationToken).ConfigureAwait(false);
        }
        if (string.IsNullOrWhiteSpace(text)) return null;
        try
        {
            if (JsonNode.Parse(text) is JsonObject edited) return edited;
            console.MarkupLine("[red]The arguments must be a JSON object; nothing changed.[/]");
        }
        catch (JsonException e)
        {
            console.MarkupLine($"[red]Not valid JSON ({Markup.Escape(e.Message)}); nothing changed.[/]");
        }
        return null;
    }

    /// <summary>Opens the editor (an argument vector: "code -w" is ["code", "-w", file]; no shell) on a temporary file.</summary>
    private async Task<string?> EditInEditorAsync(string content, CancellationToken cancellationToken)
    {
        var file = Path.Join(Path.GetTempPath(), $"minime-edit-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, content, cancellationToken).ConfigureAwait(false);
        try
        {
            var parts = editor!.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var start = new ProcessStartInfo(parts[0]) { UseShellExecute = false };
            foreach (var part in parts.Skip(1)) start.ArgumentList.Add(part);
            start.ArgumentList.Add(file);
            using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {parts[0]}");
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                console.MarkupLine($"[red]The editor exited with {process.ExitCode}; nothing changed.[/]");
                return null;
            }
            return await File.ReadAllTextAsync(file, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            console.MarkupLine($"[red]Cannot run the editor '{Markup.Escape(editor!)}': {Markup.Escape(e.Message)}[/]");
            return null;
        }
        finally
        {
            File.Delete(file);
        }
    }
}
