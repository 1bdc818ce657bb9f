using System.Text.Json.Nodes;
using MiniMe.Actions;

namespace MiniMe.Tools.Approval;

/// <summary>Who made a decision, as recorded in the trace.</summary>
public static class Approvers
{
    /// <summary>A person at the approval prompt.</summary>
    public const string User = "user";
    /// <summary>The --yes flag.</summary>
    public const string YesFlag = "--yes";
    /// <summary>A rule: the tool needs no approval, or approval could not be asked (no terminal), or a safe mode.</summary>
    public const string Policy = "policy";
    /// <summary>A person who decided through the API or the web UI.</summary>
    public const string Api = "api";

    /// <summary>Whether a person made the decision (at the prompt or through the API): their rejections and edits are corrections.</summary>
    public static bool IsPerson(string who) => who is User or Api;
}

/// <summary>The outcome of the approval gate for one action.</summary>
public abstract record ApprovalDecision(string Who)
{
    /// <summary>Run it as shown.</summary>
    public sealed record Accept(string Who) : ApprovalDecision(Who);

    /// <summary>Do not run it; the reason is kept (as a correction pair when a user gave it).</summary>
    public sealed record Reject(string Who, string Reason) : ApprovalDecision(Who);

    /// <summary>Run it with these arguments instead (checked against the allowlist again and shown again).</summary>
    public sealed record Edit(string Who, JsonObject Arguments) : ApprovalDecision(Who);
}

/// <summary>What the gate is asked about: the proposal, its tool, and the worked-out preview (diff or argv).</summary>
public sealed record ApprovalRequest(ActionProposal Proposal, ToolDescriptor Tool, ActionPreview Preview);

/// <summary>Asks whether an action may run. The console gate shows it and asks the user; others decide by rule.</summary>
public interface IApprovalGate
{
    Task<ApprovalDecision> DecideAsync(ApprovalRequest request, CancellationToken cancellationToken);
}

/// <summary>Shows an action without asking (--yes and --dry-run still show what happens or would happen).</summary>
public interface IActionPresenter
{
    void Present(ApprovalRequest request, string note);
}

/// <summary>Nobody can be asked (stdin is not a terminal and --yes was not given): the action is shown, and nothing runs.</summary>
public sealed class NonInteractiveGate(IActionPresenter? presenter = null) : IApprovalGate
{
    public const string Reason = "not run: stdin is not interactive and --yes was not given";

    public Task<ApprovalDecision> DecideAsync(ApprovalRequest request, CancellationToken cancellationToken)
    {
        presenter?.Present(request, Reason);
        return Task.FromResult<ApprovalDecision>(new ApprovalDecision.Reject(Approvers.Policy, Reason));
    }
}

/// <summary>Shows nothing (for callers that render outcomes themselves).</summary>
public sealed class SilentPresenter : IActionPresenter
{
    public void Present(ApprovalRequest request, string note) { }
}
