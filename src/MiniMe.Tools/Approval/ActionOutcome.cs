using MiniMe.Actions;

namespace MiniMe.Tools.Approval;

public enum OutcomeStatus
{
    /// <summary>Executed and succeeded.</summary>
    Succeeded,
    /// <summary>Executed (or tried) and failed: non-zero exit, timeout, a patch that does not apply.</summary>
    Failed,
    /// <summary>The allowlist or a safety rule refused it; approval could not override that.</summary>
    Refused,
    /// <summary>The arguments do not fit the tool's schema, or the tool does not exist.</summary>
    Invalid,
    /// <summary>Rejected at the approval gate (by the user, or because nobody could be asked).</summary>
    Rejected,
    /// <summary>Not executed by choice: dry run or analysis only.</summary>
    NotRun,
    /// <summary>Approved, then a before_tool hook denied it (docs/hooks.md): not executed; the message has the hook and its reason.</summary>
    Vetoed,
}

/// <summary>What happened to one proposal, for rendering and for the caller (the agent team, `minime tool run`).</summary>
public sealed record ActionOutcome(
    ActionProposal Proposal,
    OutcomeStatus Status,
    string Message,
    ActionPreview? Preview = null,
    ApprovalDecision? Decision = null,
    ToolExecution? Execution = null,
    bool Edited = false)
{
    /// <summary>
    /// What an executed run_command printed and how it ended (exit code, both streams with secrets
    /// masked, truncation, duration); null when no command ran. The value a caller routes on: a failed
    /// test run's <see cref="CommandOutput.Stderr"/> can go back to the Builder.
    /// </summary>
    public CommandOutput? Command => Execution?.Command;
}

/// <summary>
/// What approving a proposal would do (<see cref="Preview"/>), or why it would not run: <see cref="Problem"/>
/// (refused, invalid or failed) with <see cref="Message"/>.
/// </summary>
public sealed record ProposalPreview(ActionPreview? Preview, OutcomeStatus? Problem, string? Message);
