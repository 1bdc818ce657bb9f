using MiniMe.Hosting.Users;
using MiniMe.Tools;
using MiniMe.Tools.Approval;

namespace MiniMe.Server.Ask;

/// <summary>
/// What approving a pending proposal would do, as the terminal's approval prompt shows it: for
/// write_file and apply_patch the unified diff against the file as it is now, for run_command the
/// exact argument vector, working directory and sandbox, with the warnings. <see cref="Problem"/>
/// says why there is nothing to show instead (the action would be refused or is invalid, the
/// workspace is not trusted, tools run only for the owner).
/// </summary>
public sealed record ProposalPreviewView(
    string? Kind,
    string? Summary,
    string? Diff,
    IReadOnlyList<string>? Argv,
    string? WorkingDirectory,
    string? Sandbox,
    IReadOnlyList<string>? Files,
    IReadOnlyList<string>? Warnings,
    string? Problem);

/// <summary>Previews of pending proposals from the tool runner (<see cref="ToolRunner.PreviewAsync"/>): one implementation for both faces.</summary>
public static class ProposalPreviews
{
    public const string NotOwner = "no preview: tools run only for the workspace owner";

    /// <summary>The preview of each pending proposal, by id; decided proposals have none (the file may have changed since).</summary>
    public static async Task<IReadOnlyDictionary<string, ProposalPreviewView>> ForAsync(UserSpace user, IEnumerable<StoredProposal> proposals, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(proposals);
        var pending = proposals.Where(p => p.Status == ProposalStatuses.Pending).ToList();
        var previews = new Dictionary<string, ProposalPreviewView>(StringComparer.Ordinal);
        if (pending.Count == 0) return previews;
        if (!user.IsOwner)
        {
            foreach (var p in pending) previews[p.Id] = Problem(NotOwner);
            return previews;
        }
        ToolHost host;
        try
        {
            host = user.CreateTools();
        }
        catch (Exception e) when (e is MiniMeException or IOException or UnauthorizedAccessException)
        {
            foreach (var p in pending) previews[p.Id] = Problem($"no preview: {e.Message}");
            return previews;
        }
        foreach (var p in pending)
            previews[p.Id] = View(await host.Runner.PreviewAsync(p.Proposal, cancellationToken).ConfigureAwait(false));
        return previews;
    }

    private static ProposalPreviewView View(ProposalPreview preview)
    {
        if (preview.Preview is not { } shown)
        {
            var prefix = preview.Problem switch { OutcomeStatus.Refused => "refused", OutcomeStatus.Invalid => "invalid arguments", _ => "failed" };
            return Problem($"{prefix}: {preview.Message}");
        }
        var kind = shown.Kind switch { PreviewKind.FileChange => "file_change", PreviewKind.Command => "command", _ => "read" };
        return new ProposalPreviewView(kind, shown.Summary, shown.Kind == PreviewKind.FileChange ? shown.Diff ?? "" : null, shown.Argv, shown.WorkingDirectory, shown.Sandbox,
            shown.Files, shown.Warnings ?? [], null);
    }

    private static ProposalPreviewView Problem(string message) => new(null, null, null, null, null, null, null, null, message);
}
